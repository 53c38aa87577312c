#!/bin/sh
# bench/reduce.sh — cohort-reduce beside xarray + netCDF4-python, whole
# programs (netCDF-4 in, results out), on one (time, lat, lon) float32
# field with a fill value: count, mean, std, min, max over time (a
# climatology) and over (lat, lon) (a field mean).  Wall time, throughput of
# the stored values, peak memory per process, Cohort's phases (-v).
#   bench/reduce.sh [TIMES] [RANKS...]      (default 365 steps of 361 x 720; ranks 1 2)
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
steps=${1:-365}
shift 2>/dev/null || true
ranks=${*:-1 2}
dir=${BENCH_DIR:-$(mktemp -d /tmp/cohort-bench.XXXXXX)}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
f=$dir/field-$steps.nc
[ -f "$f" ] || /usr/bin/python3 - "$f" "$steps" <<'PY'
import sys
import netCDF4
import numpy as np
path, T = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(1)
with netCDF4.Dataset(path, "w") as d:
    for name, n in (("time", T), ("lat", 361), ("lon", 720)):
        d.createDimension(name, n)
    d.createVariable("time", "f8", ("time",))[:] = np.arange(T)
    d.createVariable("lat", "f4", ("lat",))[:] = np.linspace(-90, 90, 361)
    d.createVariable("lon", "f4", ("lon",))[:] = np.arange(720) * 0.5
    v = d.createVariable("tas", "f4", ("time", "lat", "lon"), fill_value=np.float32(-1e20))
    for t in range(T):  # one step at a time: bounded memory
        a = (rng.normal(280, 10, (361, 720))).astype("f4")
        a[rng.random((361, 720)) < 0.01] = -1e20
        v[t] = np.ma.masked_values(a, np.float32(-1e20))
PY
echo "# reduce benchmark: tas($steps, 361, 720) float32, count+mean+std+min+max; $(nproc) cores; $(date -u +%FT%TZ)"
for over in time lat,lon; do
    echo "## over $over"
    rm -f "$dir/x.nc"
    /usr/bin/time -f "peak_rss=%MKiB" /usr/bin/python3 "$top/bench/xarray_reduce.py" "$f" tas "$over" "$dir/x.nc" 2>&1
    for np in $ranks; do
        t0=$(date +%s.%N)
        /usr/bin/time -f "peak_rss=%MKiB (rank 0's mpirun)" mpirun -n "$np" --oversubscribe "$top/apps/cohort-reduce" -v \
            --input "$f:/tas" --over "$over" --agg count,mean,std,min,max --output "$dir/c.h5:/r" --force \
            > "$dir/c.log" 2>&1
        t1=$(date +%s.%N)
        awk -v t0="$t0" -v t1="$t1" -v np="$np" -v n="$((steps * 361 * 720))" 'BEGIN {
            printf "cohort-reduce     reduce       ranks=%d values=%d time=%.3fs rate=%.2f GB/s\n", np, n, t1 - t0,
                n * 4 / 1e9 / (t1 - t0) }'
        sed -n '/^phase/,/^write/p' "$dir/c.log"
    done
done
[ -n "$BENCH_DIR" ] || rm -rf "$dir"

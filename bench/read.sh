#!/bin/sh
# bench/read.sh — read throughput of Cohort's HDF5 layer against the page-cache
# rate (cat, dd) and an mpi4py + h5py script, on the same file in the same run.
#   bench/read.sh [ROWS] [RANKS...]      (default 256M doubles = 2 GiB; ranks 1 2)
# Needs a built tree and Debian's python3-h5py-mpi and python3-mpi4py.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-268435456}
shift 2>/dev/null || true
ranks=${*:-1 2}
dir=${BENCH_DIR:-$(mktemp -d /tmp/cohort-bench.XXXXXX)}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
f=$dir/read.h5
[ -f "$f" ] || mpirun -n 2 "$top/apps/cohort-gen" --output "$f:/x" --rows "$rows" --no-progress >/dev/null
bytes=$(stat -c %s "$f")
echo "# read benchmark: $rows float64 ($bytes bytes) in $f; $(nproc) cores; $(date -u +%FT%TZ)"
cat "$f" >/dev/null # into the page cache
rate() { python3 -c "import sys; print('%.2f' % ($bytes / float(sys.argv[1]) / 1e9))" "$1"; }
best=999
for k in 1 2 3; do
    t0=$(date +%s.%N); cat "$f" >/dev/null; t1=$(date +%s.%N)
    t=$(python3 -c "print($t1 - $t0)"); best=$(python3 -c "print(min($best, $t))")
done
echo "cat       file      -           ranks=1 bytes=$bytes time=${best}s rate=$(rate "$best") GB/s"
cat_rate=$(rate "$best")
out=$(dd if="$f" of=/dev/null bs=16M 2>&1 | tail -n 1)
echo "dd bs=16M file      -           ranks=1 $out"
for np in $ranks; do
    for xfer in collective independent; do
        COHORT_HDF5_XFER=$xfer mpirun -n "$np" --oversubscribe "$top/bench/bench_read" "$f:/x" partition 3
    done
    mpirun -n "$np" --oversubscribe "$top/bench/bench_read" "$f:/x" stream 3
    mpirun -n "$np" --oversubscribe /usr/bin/python3 "$top/bench/h5py_read.py" "$f" /x 3
done | tee "$dir/results.txt"
echo "# ratios to cat's page-cache rate ($cat_rate GB/s):"
awk -v c="$cat_rate" '{ for (i = 1; i <= NF; i++) if ($i ~ /^rate=/) { r = substr($i, 6); printf "  %-9s %-9s %-11s %s  %.0f%% of cat\n", $1, $2, $3, $4, 100 * r / c } }' "$dir/results.txt"
[ -n "$BENCH_DIR" ] || rm -rf "$dir"

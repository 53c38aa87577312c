#!/bin/sh
# bench/hist.sh — histogram (100 bins), exact median and the sketch's median (eps 0.01) of the same float64
# values: Cohort against numpy.histogram/numpy.median in one process (with
# glibc's default malloc, and with its mmap/trim thresholds raised, which
# numpy needs for speed) and an mpi4py + numpy version.
#   bench/hist.sh [VALUES] [RANKS...]       (default 100M; ranks 1 2)
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
values=${1:-100000000}
shift 2>/dev/null || true
ranks=${*:-1 2}
dir=${BENCH_DIR:-$(mktemp -d /tmp/cohort-bench.XXXXXX)}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
f=$dir/hist.h5
[ -f "$f" ] || mpirun -n 2 "$top/apps/cohort-gen" --output "$f:/x" --rows "$values" --dist normal --no-progress >/dev/null
echo "# histogram benchmark: $values float64 values in memory; $(nproc) cores; $(date -u +%FT%TZ)"
/usr/bin/python3 "$top/bench/numpy_hist.py" "$f" /x 100
MALLOC_MMAP_THRESHOLD_=1000000000000 MALLOC_TRIM_THRESHOLD_=1000000000000 /usr/bin/python3 "$top/bench/numpy_hist.py" "$f" /x 100 |
    sed 's/^numpy.histogram  /numpy.histogram(tuned malloc)/; s/^numpy.median     /numpy.median(tuned malloc)/'
for np in $ranks; do
    mpirun -n "$np" --oversubscribe "$top/bench/bench_hist" "$f:/x" 100 3
    [ "$np" -gt 1 ] && mpirun -n "$np" --oversubscribe /usr/bin/python3 "$top/bench/numpy_hist.py" "$f" /x 100
done
[ -n "$BENCH_DIR" ] || rm -rf "$dir"

#!/bin/sh
# bench/stats.sh — per-column moments, covariance and regression of a
# rows × d float64 dataset: Cohort against numpy (var, cov, lstsq) in one
# process, on the same data.  Two shapes: tall and narrow (memory-bound),
# and wide (d = 256, BLAS-bound); the tall one in the reproducible mode too
# (one run: it is far slower).
#   bench/stats.sh [ROWS] [RANKS...]       (default 10M x 16 and ROWS/25 x 256; ranks 1 2)
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-10000000}
shift 2>/dev/null || true
ranks=${*:-1 2}
dir=${BENCH_DIR:-$(mktemp -d /tmp/cohort-bench.XXXXXX)}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
echo "# linear aggregates benchmark; $(nproc) cores; $(date -u +%FT%TZ)"
for shape in "$rows 16" "$((rows / 25)) 256"; do
    set -- $shape
    f=$dir/stats-$1x$2.h5
    [ -f "$f" ] || mpirun -n 2 "$top/apps/cohort-gen" --output "$f:/X" --rows "$1" --cols "$2" --dist normal \
        --no-progress >/dev/null
    /usr/bin/python3 "$top/bench/numpy_stats.py" "$f" /X
    for np in $ranks; do
        mpirun -n "$np" --oversubscribe "$top/bench/bench_stats" "$f:/X" 3
        [ "$2" != 16 ] || mpirun -n "$np" --oversubscribe "$top/bench/bench_stats" "$f:/X" 1 exact
    done
done
[ -n "$BENCH_DIR" ] || rm -rf "$dir"

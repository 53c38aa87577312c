#!/bin/sh
# bench/read.sh — read throughput of Cohort's HDF5 layer, layout by layout,
# against the page cache's rate (cat) and an mpi4py + h5py script, on the
# same file in the same run.  Layouts (about the same bytes each; gzip a
# quarter of them): contiguous 1-D float64; contiguous 2-D (16 float64
# columns); chunked 1-D (chunks of 1 Mi rows); gzip 1-D (level 1 + shuffle,
# chunks of 1 Mi rows); one float64 member of a pandas table (4 float64
# columns, DataFrame.to_hdf format="table"); a file set of 8 files (glob).
#   bench/read.sh [ROWS] [RANKS...]      (default 256M doubles = 2 GiB; ranks 1 2)
# Needs a built tree and Debian's python3-h5py-mpi, python3-mpi4py, python3-pandas.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-268435456}
shift 2>/dev/null || true
ranks=${*:-1 2}
dir=${BENCH_DIR:-$(mktemp -d /tmp/cohort-bench.XXXXXX)}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
gen() { mpirun -n 2 "$top/apps/cohort-gen" --no-progress --force "$@" >/dev/null; }
d=$dir/read
mkdir -p "$d"
[ -f "$d/c1.h5" ] || {
    gen --output "$d/c1.h5:/x" --rows "$rows"
    gen --output "$d/c2.h5:/x" --rows $((rows / 16)) --cols 16
    gen --output "$d/ch.h5:/x" --rows "$rows" --chunk 1048576
    gen --output "$d/gz.h5:/x" --rows $((rows / 4)) --chunk 1048576 --gzip 1
    /usr/bin/python3 -c "
import sys, numpy as np, pandas as pd
n = int(sys.argv[2]) // 4
pd.DataFrame({c: np.random.default_rng(k).random(n) for k, c in enumerate('abcd')}).to_hdf(
    sys.argv[1], key='df', format='table', data_columns=True, mode='w')" "$d/pd.h5" "$rows"
    for k in 0 1 2 3 4 5 6 7; do gen --output "$d/set-$k.h5:/x" --rows $((rows / 8)) --seed $k; done
}
echo "# read benchmark: $rows float64 (about $((rows * 8)) bytes) per layout in $d; $(nproc) cores; $(date -u +%FT%TZ)"
rate() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2]) / 1e9))" "$1" "$2"; }
# The page cache's rate on FILES: the best of three cats.
cat_line() {
    bytes=$(cat "$@" | wc -c)
    best=999
    for k in 1 2 3; do
        t0=$(date +%s.%N); cat "$@" >/dev/null; t1=$(date +%s.%N)
        best=$(python3 -c "print(min($best, $t1 - $t0))")
    done
    echo "cat       file      -           ranks=1 bytes=$bytes time=${best}s rate=$(rate "$bytes" "$best") GB/s"
}
# layout, values (float64), files to cat, Cohort's reference, h5py's file and dataset (none: no h5py row)
layout() {
    name=$1 values=$2 files=$3 ref=$4 h5file=$5 h5dset=$6
    echo "## $name, $(awk -v n="$values" 'BEGIN { printf "%.2f", n * 8 / 1e9 }') GB of values"
    # shellcheck disable=SC2086
    cat_line $files
    for np in $ranks; do
        mpirun -n "$np" --oversubscribe "$top/bench/bench_read" "$ref" stream 3
        mpirun -n "$np" --oversubscribe "$top/bench/bench_read" "$ref" partition 3
        [ -z "$h5file" ] || mpirun -n "$np" --oversubscribe /usr/bin/python3 "$top/bench/h5py_read.py" "$h5file" "$h5dset" 3
    done
}
{
    layout "contiguous 1-D" "$rows" "$d/c1.h5" "$d/c1.h5:/x" "$d/c1.h5" /x
    layout "contiguous 2-D, 16 columns" $((rows / 16 * 16)) "$d/c2.h5" "$d/c2.h5:/x" "$d/c2.h5" /x
    layout "chunked 1-D" "$rows" "$d/ch.h5" "$d/ch.h5:/x" "$d/ch.h5" /x
    layout "gzip 1-D" $((rows / 4)) "$d/gz.h5" "$d/gz.h5:/x" "$d/gz.h5" /x
    layout "pandas table, 1 of 4 columns" $((rows / 4)) "$d/pd.h5" "$d/pd.h5:/df/table#b" "$d/pd.h5" "/df/table#b"
    layout "file set of 8" $((rows / 8 * 8)) "$d/set-*.h5" "$d/set-*.h5:/x" "" ""
} | tee "$dir/results.txt"
[ -n "$BENCH_DIR" ] || rm -rf "$dir"

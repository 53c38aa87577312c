#!/bin/sh
# bench/sort.sh — the distributed sort against an mpi4py + numpy sample sort
# and single-process numpy.sort, on the same keys in the same run, plus the
# end-to-end cohort-sort (HDF5 in, HDF5 out).
#   bench/sort.sh [KEYS] [RANKS...]       (default 20M keys; ranks 1 2)
# Needs a built tree and Debian's python3-mpi4py.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
keys=${1:-20000000}
shift 2>/dev/null || true
ranks=${*:-1 2}
dir=${BENCH_DIR:-$(mktemp -d /tmp/cohort-bench.XXXXXX)}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
gen() { name=$1; shift; mpirun -n 2 "$top/apps/cohort-gen" --output "$dir/$name.h5:/x" --rows "$keys" --no-progress --force "$@" >/dev/null; }
gen int64-uniform --type int64 --dist uniform --min 0 --max 1e15 --seed 1
gen int64-zipf --type int64 --dist zipf --max 1000000
gen int64-equal --type int64 --dist constant --min 7
gen int64-sorted --type int64 --dist sorted --max 1e12
gen double-uniform --type double --dist uniform
gen double-zipf --type double --dist zipf --max 1000000
echo "# sort benchmark: $keys keys per dataset; $(nproc) cores; $(date -u +%FT%TZ)"
for data in int64-uniform int64-zipf int64-equal int64-sorted double-uniform double-zipf; do
    for np in $ranks; do
        mpirun -n "$np" --oversubscribe "$top/bench/bench_sort" "$dir/$data.h5:/x" - - 3 | sed "s/ file / $data /"
        mpirun -n "$np" --oversubscribe /usr/bin/python3 "$top/bench/mpi4py_samplesort.py" "$dir/$data.h5" /x 3 |
            sed "s/ file / $data /"
        t0=$(date +%s.%N)
        mpirun -n "$np" --oversubscribe "$top/apps/cohort-sort" --input "$dir/$data.h5:/x" \
            --output "$dir/sorted.h5:/x" --force --no-progress >/dev/null
        t1=$(date +%s.%N)
        python3 -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); print('cohort-sort(h5->h5) %s ranks=%s keys=%s time=%.3fs rate=%.1f Mkeys/s (whole program, with MPI start-up)' % (sys.argv[3], sys.argv[4], sys.argv[5], t, int(sys.argv[5])/t/1e6))" "$t0" "$t1" "$data" "$np" "$keys"
    done
done | tee "$dir/sort-results.txt"
echo "# ratios, cohort_sort to mpi4py_samplesort at the same ranks and data:"
awk 'function rate() { for (i = 1; i <= NF; i++) if ($i ~ /^rate=/) return substr($i, 6) + 0; return 0 }
     $1 == "cohort_sort" { c[$3 " " $4] = rate() }
     $1 == "mpi4py_samplesort" { m[$3 " " $4] = rate() }
     END { for (k in c) if (m[k] > 0) printf "  %-26s %5.1fx\n", k, c[k] / m[k] }' "$dir/sort-results.txt" | sort
[ -n "$BENCH_DIR" ] || rm -rf "$dir"

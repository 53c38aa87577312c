#!/bin/sh
# demo.sh — what `make demo` runs: the bundled programs on a generated
# dataset under mpirun -n 2 (COHORT_DEMO_NP overrides), printing results.
# Expects MPIEXEC and the build tree in BUILDDIR (both set by make demo).
set -e
np=${COHORT_DEMO_NP:-2}
b=${BUILDDIR:-.}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ "$np" -gt "$(nproc)" ] && export OMPI_MCA_mpi_yield_when_idle=1
dir=$(mktemp -d "${TMPDIR:-/tmp}/cohort-demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT
run() {
    echo
    echo "\$ mpirun -n $np $*" | sed "s|$b/[a-z]*/||g; s|$dir/||g"
    "$MPIEXEC" -n "$np" --oversubscribe "$@"
}

echo "== Cohort demo: $np MPI ranks, files in a temporary directory"
run "$b/apps/cohort-gen" --output "$dir/demo.h5:/events" --rows 2000000 --table --no-progress \
    --column key:int64:zipf:0:1000000 --column value:double:normal --column weight:float:uniform:0:1
run "$b/apps/cohort-gen" --output "$dir/demo.h5:/matrix" --rows 100000 --cols 4 --gzip 4 --append --no-progress
run "$b/apps/cohort-info" "$dir/demo.h5"
run "$b/apps/cohort-info" "$dir/demo.h5:/events/key" --ranks 4
run "$b/apps/cohort-sort" --input "$dir/demo.h5:/events/key" --with "$dir/demo.h5:/events/value" \
    --index row --output "$dir/sorted.h5:/by_key/key" --verify --no-progress
echo
echo "the first sorted keys, their values and original rows (h5dump):"
for d in key value row; do
    printf '  %-6s' "$d"
    h5dump -A 0 -w 0 -d "/by_key/$d" -c 8 -s 0 "$dir/sorted.h5" 2>/dev/null | sed -n 's/^ *(0): //p'
done
run "$b/apps/cohort-groupby" --keys "$dir/demo.h5:/events/key" --values "$dir/demo.h5:/events/value" \
    --agg size,mean,std --output "$dir/groups.h5:/by_key"
echo
echo "the largest groups (the Zipf keys 0, 1, 2, ...), from groups.h5:"
for d in key size value_mean; do
    printf '  %-11s' "$d"
    h5dump -A 0 -w 0 -d "/by_key/$d" -c 5 -s 0 "$dir/groups.h5" 2>/dev/null | sed -n 's/^ *(0): //p'
done
run "$b/apps/cohort-hist" --input "$dir/demo.h5:/events/value" --bins 16 --range -4:4 --format text
run "$b/apps/cohort-quantile" --input "$dir/demo.h5:/events/value" --q 0.01,0.25,0.5,0.75,0.99
run "$b/apps/cohort-stats" --input "$dir/demo.h5:/matrix" --corr --pca 2
run "$b/apps/cohort-stats" --input "$dir/demo.h5:/events/weight" --regress "$dir/demo.h5:/events/value"
run "$b/examples/bucket_sort" 4000000

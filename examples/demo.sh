#!/bin/sh
# demo.sh — what `make demo` runs: the bundled programs on a generated
# dataset under mpirun -n 2 (COHORT_DEMO_NP overrides), printing results.
# Expects MPIEXEC and the build tree in BUILDDIR (both set by make demo).
set -e
np=${COHORT_DEMO_NP:-2}
b=${BUILDDIR:-.}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ "$np" -gt "$(nproc)" ] && export OMPI_MCA_mpi_yield_when_idle=1
run() { echo "\$ mpirun -n $np $*" | sed "s|$b/||g"; "$MPIEXEC" -n "$np" --oversubscribe "$@"; }

echo "== Cohort demo: $np MPI ranks"
run "$b/examples/bucket_sort" 4000000

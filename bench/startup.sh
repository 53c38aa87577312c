#!/bin/sh
# bench/startup.sh — what a launch costs, and Cohort's share of it: the wall
# time of `mpirun -n P` running (1) a program linked with MPI alone that
# only calls MPI_Init and MPI_Finalize (mpi_init_only), (2) the same linked
# with Cohort (its libraries loaded: HDF5, OpenBLAS), (3) that plus HDF5's
# initialisation, a context and the opening of a small input (bench_startup,
# which also prints each stage's time inside the process), (4) cohort-stats
# on that input (a whole program: options, MPI, HDF5, the read, the
# result), each the median of 11 runs;
# then the same with examples/openmpi-single-node.conf (mpirun --tune: Open
# MPI's own transports rather than UCX).
#   bench/startup.sh [RANKS...]      (default 1 2)
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
ranks=${*:-1 2}
dir=$(mktemp -d /tmp/cohort-startup.XXXXXX)
trap 'rm -rf "$dir"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# The built binaries themselves, not libtool's wrapper scripts (a shell's
# start-up on every rank would be counted as Cohort's).
export LD_LIBRARY_PATH="$top/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
bin() { if [ -x "$top/$1/.libs/$2" ]; then echo "$top/$1/.libs/$2"; else echo "$top/$1/$2"; fi; }
startup=$(bin bench bench_startup) stats=$(bin apps cohort-stats)
mpirun -n 1 "$top/apps/cohort-gen" --output "$dir/small.h5:/x" --rows 1000 --no-progress >/dev/null
# The median wall time in ms of 11 runs of the command.
median() {
    for k in 1 2 3 4 5 6 7 8 9 10 11; do
        t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000))
    done | sort -n | sed -n 6p | awk '{ printf "%.1f", $1 / 1000 }'
}
echo "# start-up: $(nproc) cores, Open MPI $(mpirun --version 2>/dev/null | sed -n 's/.*) //p' | head -n 1); $(date -u +%FT%TZ)"
for mca in "" "--tune $top/examples/openmpi-single-node.conf"; do
    for np in $ranks; do
        run="mpirun -n $np --oversubscribe $mca"
        # shellcheck disable=SC2086
        echo "launcher: ${mca:-defaults}, ranks=$np: MPI only $(median $run "$top/bench/mpi_init_only") ms;" \
            "linked with Cohort $(median $run "$startup") ms;" \
            "+ HDF5, context, input $(median $run "$startup" "$dir/small.h5:/x") ms;" \
            "cohort-stats $(median $run "$stats" -i "$dir/small.h5:/x") ms; inside:" \
            "$($run "$startup" "$dir/small.h5:/x")"
    done
done

#!/bin/bash
# bench/scaling.sh — weak scaling: every rank holds the same number of rows at
# every rank count, so a perfectly scaling operation takes the same time at 16
# ranks as at 1.  Efficiency at p ranks = time at 1 rank / time at p ranks.
#   bench/scaling.sh OUTDIR [ROWS_PER_RANK] [RANKS...]     (default 10M; 1 2 4 8 16)
# Writes OUTDIR/scaling.log (every line the benchmarks print) and
# OUTDIR/scaling.md (time and efficiency per rank count).  Runs:
#   the machine's ceiling (bench_machine: a compute-only loop and a triad on every
#   rank at once: what shared cores and shared memory bandwidth allow),
#   sort in memory (bench_sort: int64 uniform, Zipf, all equal, sorted; double
#   uniform), cohort-sort end to end (HDF5 in, HDF5 out), group-by (bench_groupby,
#   half the rows: 1M groups, 1000 groups, Zipf keys), histogram and exact median
#   (bench_hist, twice the rows); single-process numpy.sort on one rank's keys as
#   the reference, and the mpi4py + numpy sample sort where mpi4py runs.
# COHORT_BIN: a folder holding cohort-gen, cohort-sort, bench_machine, bench_sort,
# bench_groupby and bench_hist (default: this tree's apps/ and bench/); COHORT_SCRATCH: where the data
# files go (default /dev/shm); COHORT_PYTHON: a python with numpy and h5py;
# COHORT_SCALING_PARTS: which of "machine sort groupby hist rounds" to run (default
# all but rounds).  rounds: the machine's ceiling and the int64 uniform sort with
# the rank counts interleaved, COHORT_SCALING_ROUNDS times (default 4), so that a
# drift in a shared machine's speed falls on every rank count alike; the summary
# keeps each rank count's best time.
# The device machine (../shared/device/README.md) runs it with binaries built here.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: bench/scaling.sh OUTDIR [ROWS_PER_RANK] [RANKS...]}
rows=${2:-10000000}
shift 2 2>/dev/null || shift $#
ranks=${*:-1 2 4 8 16}
mkdir -p "$out"
log=$out/scaling.log
bin() { if [ -n "${COHORT_BIN:-}" ]; then echo "$COHORT_BIN/$1"; elif [ -x "$top/apps/$1" ]; then echo "$top/apps/$1"; else echo "$top/bench/$1"; fi; }
scratch=$(mktemp -d "${COHORT_SCRATCH:-/dev/shm}/cohort-scaling.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PMIX_MCA_pcompress_base_silence_warning=1
cores=$(nproc)
parts=" ${COHORT_SCALING_PARTS:-machine sort groupby hist} "
part() { case $parts in *" $1 "*) return 0 ;; esac; return 1; }
run() { # run NP PROGRAM ARGS...: under mpirun, cores bound while they last, a time limit
    local np=$1 bind=core
    shift
    [ "$np" -gt "$cores" ] && bind=none
    timeout 300 mpirun -n "$np" --bind-to $bind --oversubscribe "$@"
}
gen() { # gen NP FILE:/path ARGS...
    local np=$1 target=$2
    shift 2
    run "$np" "$(bin cohort-gen)" --output "$target" --no-progress --force "$@" >/dev/null
}
{
    echo "# weak scaling, $rows rows per rank; ranks: $ranks; $(date -u +%FT%TZ)"
    echo "# $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $cores cores, $(awk '/^MemTotal:/ {printf "%.0f", $2 / 1048576}' /proc/meminfo) GiB"
} | tee "$log"

# The machine's own ceiling: a compute-only loop and a memory-bound triad on every rank at once.
part machine && for p in $ranks; do
    run "$p" "$(bin bench_machine)" | tee -a "$log"
done

# Sort in memory: every rank generates its rows of the same global data (with
# the time of each phase for uniform int64 keys).
part sort && for spec in "int64 uniform" "int64 zipf" "int64 constant" "int64 sorted" "double uniform"; do
    for p in $ranks; do
        if [ "$spec" = "int64 uniform" ]; then export COHORT_BENCH_PHASES=1; else unset COHORT_BENCH_PHASES; fi
        # shellcheck disable=SC2086
        run "$p" "$(bin bench_sort)" $spec $((p * rows)) 3 |
            sed 's/^/sort-memory /' | tee -a "$log"
    done
done
unset COHORT_BENCH_PHASES

# End to end: one rank's worth of keys per rank in a file, sorted into another;
# the mpi4py sample sort beside it where this python's mpi4py runs under this mpirun.
mpi4py=
part sort && run 2 "${COHORT_PYTHON:-python3}" -c 'from mpi4py import MPI; assert MPI.COMM_WORLD.Get_size() == 2' >/dev/null 2>&1 && mpi4py=1
part sort && [ -z "$mpi4py" ] && echo "# mpi4py does not run under this mpirun: no sample-sort baseline" | tee -a "$log"
part sort && for p in $ranks; do
    f=$scratch/keys-$p.h5
    gen "$p" "$f:/x" --rows $((p * rows)) --type int64 --dist uniform --min 0 --max 1e15 --seed 1
    t0=$(date +%s.%N)
    run "$p" "$(bin cohort-sort)" --input "$f:/x" --output "$scratch/sorted.h5:/x" --force --no-progress >/dev/null
    t1=$(date +%s.%N)
    echo "sort-file cohort-sort(h5->h5) ranks=$p keys=$((p * rows)) time=$(awk "BEGIN {printf \"%.3f\", $t1 - $t0}")s (whole program, MPI start-up and I/O included)" | tee -a "$log"
    if [ "$p" = 1 ]; then # the single-process reference on the same keys
        "${COHORT_PYTHON:-python3}" - "$f" <<'EOF' 2>&1 | sed 's/^/sort-reference /' | tee -a "$log"
import sys, time, h5py, numpy as np
x = h5py.File(sys.argv[1], "r")["/x"][...]
for kind in ("quicksort", "stable"):
    best = 1e30
    for _ in range(3):
        y = x.copy(); t0 = time.perf_counter(); y.sort(kind=kind); best = min(best, time.perf_counter() - t0)
    print("numpy.sort(%s) numpy %s ranks=1 keys=%d time=%.3fs rate=%.1f Mkeys/s" % (kind, np.__version__, len(x), best, len(x) / best / 1e6))
EOF
    fi
    if [ -n "$mpi4py" ]; then # the mpi4py + numpy sample sort on the same keys
        run "$p" "${COHORT_PYTHON:-python3}" "$top/bench/mpi4py_samplesort.py" "$f" /x 3 2>&1 | grep mpi4py_samplesort |
            sed 's/^/sort-baseline /' | tee -a "$log"
    fi
    rm -f "$f" "$scratch/sorted.h5"
done

# The machine's ceiling and the sort again, the rank counts interleaved.
part rounds && for _ in $(seq "${COHORT_SCALING_ROUNDS:-4}"); do
    for p in $ranks; do
        run "$p" "$(bin bench_machine)" | sed 's/^/rounds /' | tee -a "$log"
        run "$p" "$(bin bench_sort)" int64 uniform $((p * rows)) 3 | sed 's/^/rounds /' | tee -a "$log"
    done
done

# Group-by: count, sum and mean of a double per int64 key.
part groupby && for p in $ranks; do
    f=$scratch/table-$p.h5
    gen "$p" "$f:/t" --table --rows $((p * rows / 2)) --column k1m:int64:uniform:0:999999 \
        --column k1k:int64:uniform:0:999 --column kzipf:int64:zipf:0:1000000 --column v:double:normal
    for k in k1m k1k kzipf; do
        run "$p" "$(bin bench_groupby)" "$f:/t/$k" "$f:/t/v" 3 | sed "s/^/groupby-$k /" | tee -a "$log"
    done
    rm -f "$f"
done

# Histogram (100 bins over the automatic range) and the exact median of doubles.
part hist && for p in $ranks; do
    f=$scratch/values-$p.h5
    gen "$p" "$f:/x" --rows $((p * rows * 2)) --dist normal
    run "$p" "$(bin bench_hist)" "$f:/x" 100 3 | sed 's/^/hist /' | tee -a "$log"
    rm -f "$f"
done

# The summary: time and efficiency (time at the fewest ranks / time at p) per line kind.
awk -v ranks="$ranks" '
    function field(name,   i) { for (i = 1; i <= NF; i++) if (index($i, name "=") == 1) return substr($i, length(name) + 2); return "" }
    /^#/ || field("ranks") == "" || field("time") == "" || $1 == "sort-reference" { next }
    $1 == "sort-baseline" { key = "sort-baseline mpi4py_samplesort" }
    { key = $1 " " $2 " " $3; if ($2 ~ /^cohort_sort$/) key = $1 " " $3 " " $4
      if ($2 ~ /^cohort_histogram$/) key = $1 " histogram"; if ($2 ~ /^cohort_quantiles$/) key = $1 " median"
      if ($1 ~ /^groupby/) key = $1; if ($1 == "sort-file") key = "sort-file cohort-sort"
      if ($1 == "sort-baseline") key = "sort-baseline mpi4py_samplesort"
      if ($1 == "machine") key = "machine " $2
      if ($1 == "rounds" && $2 == "machine") key = "rounds machine " $3
      if (!(key in seen)) { seen[key] = 1; order[++n] = key }
      v = field("time") + 0; r = field("ranks") # the best of repeated lines (rounds)
      if (!((key, r) in t) || v < t[key, r]) t[key, r] = v }
    END {
        np = split(ranks, R, " ")
        printf "| benchmark |"; for (j = 1; j <= np; j++) printf " %s |", R[j]; printf "\n|---|"
        for (j = 1; j <= np; j++) printf "---:|"; printf "\n"
        for (i = 1; i <= n; i++) {
            k = order[i]; printf "| %s |", k
            for (j = 1; j <= np; j++) {
                v = t[k, R[j]]; b = t[k, R[1]]
                if (v > 0) printf " %.3f s (%.0f%%) |", v, 100 * b / v; else printf " - |"
            }
            printf "\n"
        }
    }' "$log" > "$out/scaling.md"
echo "# time at each rank count (weak scaling efficiency against $(echo "$ranks" | awk '{print $1}') rank(s))" | tee -a "$log"
cat "$out/scaling.md"

#!/bin/sh
# bench/report.sh — every benchmark beside its baselines on data it
# generates, then the report: bench/report/results.md (tables, Cohort's
# ratio to the best baseline) and PNG plots (gnuplot), with the raw logs and
# a description of the machine.  `make bench` runs it.
#   bench/report.sh [--quick] [OUTDIR]        (default OUTDIR: bench/report)
# --quick: small data (a minute; checks the machinery, not the speed).
# COHORT_BENCH_RANKS overrides the rank counts (default 1 2 4 ... up to the cores).
# Needs a built tree, Debian's python3-mpi4py, python3-h5py-mpi, python3-pandas
# and gnuplot; DuckDB comes from npm (skipped when the registry is out of reach).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
quick=
[ "$1" = --quick ] && { quick=1; shift; }
out=${1:-$top/bench/report}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cores=$(nproc)
ranks=${COHORT_BENCH_RANKS:-$(n=1; while [ $n -lt "$cores" ]; do printf '%d ' $n; n=$((n * 2)); done; echo "$cores")}
export BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cohort-bench.XXXXXX")
trap 'rm -rf "$BENCH_DIR"' EXIT
[ "$(echo "$ranks" | awk '{print $NF}')" -gt "$cores" ] && export OMPI_MCA_mpi_yield_when_idle=1

if [ -n "$quick" ]; then
    sizes="read=4000000 sort=500000 hist=2000000 stats=200000 groupby=500000"
else
    sizes="read=268435456 sort=20000000 hist=100000000 stats=10000000 groupby=20000000"
fi
size() { echo "$sizes" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

{
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname -s): $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)," \
        "$cores cores, $(awk '/^MemTotal:/ {printf "%.0f", $2 / 1048576}' /proc/meminfo) GiB;" \
        "$(. /etc/os-release && echo "$PRETTY_NAME"), Open MPI $(mpirun --version 2>/dev/null | sed -n 's/.*) //p' | head -n 1)," \
        "HDF5 $(dpkg-query -W -f '${Version}' libhdf5-openmpi-dev 2>/dev/null | sed 's/+.*//')," \
        "numpy $(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')," \
        "pandas $(/usr/bin/python3 -c 'import pandas; print(pandas.__version__)')," \
        "DuckDB $(sed -n 's/ *"version": "\(.*\)",/\1/p' "${DUCKDB_DIR:-$HOME/.cache/cohort-bench-duckdb}/node_modules/@duckdb/node-api/package.json" 2>/dev/null || echo '(not installed)');" \
        "ranks: $ranks${quick:+ (quick sizes: not a measurement)}."
} > "$out/machine.txt"
cat "$out/machine.txt"
for b in read sort hist stats groupby; do
    echo "== $b ($(size $b) rows)"
    # shellcheck disable=SC2086
    sh "$top/bench/$b.sh" "$(size $b)" $ranks > "$out/$b.log" 2>&1 || { tail -n 20 "$out/$b.log"; exit 1; }
done
rm -f "$out"/*.dat
/usr/bin/python3 "$top/bench/report.py" "$out"
rm -f "$out"/*.dat

#!/bin/sh
# bench/groupby.sh — count, sum and mean of a float64 value per int64 key,
# 20M rows: 1M uniform groups, 1K uniform groups, Zipf keys.  Cohort beside
# pandas (one process) and DuckDB (2 threads; installed from npm into
# $DUCKDB_DIR on first use, skipped when npm cannot reach the registry), on
# the same data.
#   bench/groupby.sh [ROWS] [RANKS...]       (default 20M; ranks 1 2)
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-20000000}
shift 2>/dev/null || true
ranks=${*:-1 2}
dir=${BENCH_DIR:-$(mktemp -d /tmp/cohort-bench.XXXXXX)}
duck=${DUCKDB_DIR:-$HOME/.cache/cohort-bench-duckdb}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
f=$dir/groupby-$rows.h5
[ -f "$f" ] || mpirun -n 2 "$top/apps/cohort-gen" --output "$f:/t" --table --rows "$rows" --no-progress \
    --column k1m:int64:uniform:0:999999 --column k1k:int64:uniform:0:999 --column kzipf:int64:zipf:0:1000000 \
    --column v:double:normal >/dev/null
if [ ! -d "$duck/node_modules/@duckdb/node-api" ]; then
    mkdir -p "$duck" && (cd "$duck" && npm install --silent @duckdb/node-api >/dev/null 2>&1) ||
        echo "# DuckDB: npm install @duckdb/node-api failed; skipping it"
fi
echo "# group-by benchmark: $rows rows, count+sum+mean; $(nproc) cores; $(date -u +%FT%TZ)"
for k in k1m k1k kzipf; do
    echo "## keys $k"
    /usr/bin/python3 "$top/bench/pandas_groupby.py" "$f" "/t/$k" /t/v --dump "$dir" "$k"
    if [ -d "$duck/node_modules/@duckdb/node-api" ]; then
        # ES modules resolve packages from the script's folder (not NODE_PATH)
        cp "$top/bench/duckdb_groupby.mjs" "$duck/" && node "$duck/duckdb_groupby.mjs" "$dir" "$k" 2
    fi
    rm -f "$dir/$k.keys" "$dir/$k.values"
    for np in $ranks; do
        mpirun -n "$np" --oversubscribe "$top/bench/bench_groupby" "$f:/t/$k" "$f:/t/v" 3
        mpirun -n "$np" --oversubscribe "$top/bench/bench_groupby" "$f:/t/$k" "$f:/t/v" 3 exact
    done
done
[ -n "$BENCH_DIR" ] || rm -rf "$dir"

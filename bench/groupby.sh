#!/bin/sh
# bench/groupby.sh — count, sum and mean of a float64 value per int64 key,
# 20M rows: 1M uniform groups, 1K uniform groups, Zipf keys; then, with 1M
# and 1K groups, the variance (also in the reproducible mode), median, a
# quantile, nunique and the product.  Cohort beside pandas (one process)
# and DuckDB (2 threads; installed from npm into $DUCKDB_DIR on first use,
# skipped when npm cannot reach the registry), on the same data.
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
# One data set: keys, aggregates; the reproducible mode too where it differs.
run() {
    k=$1 aggs=$2 modes=$3
    echo "## keys $k, $aggs"
    /usr/bin/python3 "$top/bench/pandas_groupby.py" "$f" "/t/$k" /t/v --dump "$dir" "$k" --agg "$aggs"
    if [ -d "$duck/node_modules/@duckdb/node-api" ]; then
        # ES modules resolve packages from the script's folder (not NODE_PATH)
        cp "$top/bench/duckdb_groupby.mjs" "$duck/" && node "$duck/duckdb_groupby.mjs" "$dir" "$k" 2 "$aggs"
    fi
    rm -f "$dir/$k.keys" "$dir/$k.values"
    for np in $ranks; do
        for mode in $modes; do
            mpirun -n "$np" --oversubscribe "$top/bench/bench_groupby" "$f:/t/$k" "$f:/t/v" 3 "$mode" "$aggs"
        done
    done
}
for k in k1m k1k kzipf; do
    run "$k" count,sum,mean "default exact"
done
for k in k1m k1k; do
    run "$k" var "default exact"
    run "$k" median default
    run "$k" quantile:0.9 default
    run "$k" nunique default
    run "$k" prod "default exact"
done
[ -n "$BENCH_DIR" ] || rm -rf "$dir"

// Baseline for the group-by: DuckDB (@duckdb/node-api) with 2 threads, the
// aggregates of a float64 value per int64 key (count, sum and mean by
// default; AGGS as cohort-groupby --agg names them), on the columns that
// pandas_groupby.py dumped; loads them into a table (not timed), then times
// the query alone (its result kept in a table, not read out), best of 3.
//   node bench/duckdb_groupby.mjs DIR NAME [threads] [AGGS]
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, name, threads = '2', aggs = 'count,sum,mean'] = process.argv.slice(2);
const SQL = { count: 'count(v)', sum: 'sum(v)', mean: 'avg(v)', var: 'var_samp(v)', std: 'stddev_samp(v)',
              median: 'median(v)', nunique: 'count(DISTINCT v)', prod: 'product(v)' };
const select = aggs.split(',').map((a, i) =>
    (a.startsWith('quantile:') ? `quantile_cont(v, ${a.slice(9)})` : SQL[a]) + ` AS a${i}`).join(', ');
const kb = readFileSync(join(dir, name + '.keys')), vb = readFileSync(join(dir, name + '.values'));
const k = new BigInt64Array(kb.buffer, kb.byteOffset, kb.length / 8);
const v = new Float64Array(vb.buffer, vb.byteOffset, vb.length / 8);
const db = await DuckDBInstance.create(':memory:', { threads });
const con = await db.connect();
await con.run('CREATE TABLE t (k BIGINT, v DOUBLE)');
const app = await con.createAppender('t');
for (let i = 0; i < k.length; i++) {
    app.appendBigInt(k[i]);
    app.appendDouble(v[i]);
    app.endRow();
}
app.closeSync();
let best = 1e30, groups = 0;
for (let r = 0; r < 3; r++) {
    await con.run('DROP TABLE IF EXISTS g');
    const t0 = performance.now();
    await con.run(`CREATE TABLE g AS SELECT k, ${select} FROM t GROUP BY k`);
    best = Math.min(best, (performance.now() - t0) / 1000);
}
const res = await con.runAndReadAll('SELECT count(*) FROM g');
groups = Number(res.getRows()[0][0]);
console.log(`duckdb (${threads} thr)   rows=${k.length} groups=${groups} aggs=${aggs} time=${best.toFixed(3)}s ` +
            `rate=${(k.length / best / 1e6).toFixed(1)} Mrows/s`);

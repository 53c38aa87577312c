#!/usr/bin/env python3
"""Baseline for the group-by, one process: pandas (Debian's) aggregates of a
float64 value per int64 key (count, sum and mean by default; --agg LIST as
cohort-groupby takes it: sum, mean, var, std, median, nunique, prod,
quantile:Q), on the same columns as bench_groupby; times the groupby alone,
best of 3.  With --dump DIR it also writes the columns as raw little-endian
files for the DuckDB baseline.
    python3 bench/pandas_groupby.py FILE /keys /values [--dump DIR NAME] [--agg LIST]"""
import os
import resource
import sys
import time

import h5py
import numpy as np
import pandas as pd

path, kname, vname = sys.argv[1:4]
with h5py.File(path, "r") as f:
    k = f[kname][...]
    v = f[vname][...]
if "--dump" in sys.argv:
    d, name = sys.argv[sys.argv.index("--dump") + 1:sys.argv.index("--dump") + 3]
    k.astype("<i8").tofile(os.path.join(d, name + ".keys"))
    v.astype("<f8").tofile(os.path.join(d, name + ".values"))
aggs = sys.argv[sys.argv.index("--agg") + 1] if "--agg" in sys.argv else "count,sum,mean"
df = pd.DataFrame({"k": k, "v": v})


def run():
    g = df.groupby("k")["v"]
    out = {}
    for a in aggs.split(","):
        if a.startswith("quantile:"):
            out[a] = g.quantile(float(a.split(":")[1]))
        else:
            out[a] = getattr(g, a)()
    return pd.DataFrame(out)


best = 1e30
for _ in range(3):
    t0 = time.perf_counter()
    r = run()
    best = min(best, time.perf_counter() - t0)
print("pandas.groupby    ranks=1 rows=%d groups=%d aggs=%s time=%.3fs rate=%.1f Mrows/s peak_rss=%.0f MB" %
      (len(k), len(r), aggs, best, len(k) / best / 1e6, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))

#!/usr/bin/env python3
"""Baseline for the group-by, one process: pandas (Debian's) count, sum and
mean of a float64 value per int64 key, on the same columns as
bench_groupby; times the groupby alone, best of 3.  With --dump DIR it
also writes the columns as raw little-endian files for the DuckDB baseline.
    python3 bench/pandas_groupby.py FILE /keys /values [--dump DIR NAME]"""
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
df = pd.DataFrame({"k": k, "v": v})
best = 1e30
for _ in range(3):
    t0 = time.perf_counter()
    r = df.groupby("k")["v"].agg(["count", "sum", "mean"])
    best = min(best, time.perf_counter() - t0)
print("pandas.groupby    ranks=1 rows=%d groups=%d time=%.3fs rate=%.1f Mrows/s peak_rss=%.0f MB" %
      (len(k), len(r), best, len(k) / best / 1e6, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))

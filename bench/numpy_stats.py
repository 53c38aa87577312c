#!/usr/bin/env python3
"""Baselines for the linear aggregates, one process: numpy var (ddof=1, per
column), np.cov, and np.linalg.lstsq of the last column on the others with
an intercept, on the same rows × d dataset; times the computation only.
    python3 bench/numpy_stats.py FILE /X"""
import resource
import sys
import time

import h5py
import numpy as np

path, dset = sys.argv[1], sys.argv[2]
with h5py.File(path, "r") as f:
    X = f[dset][...]
N, d = X.shape


def best(fn):
    b = 1e30
    for _ in range(3):
        t0 = time.perf_counter()
        fn()
        b = min(b, time.perf_counter() - t0)
    return b


gb = X.nbytes / 1e9
t = best(lambda: np.var(X, axis=0, ddof=1))
print("numpy.var         moments      ranks=1 rows=%d cols=%d time=%.3fs rate=%.2f GB/s" % (N, d, t, gb / t))
t = best(lambda: np.cov(X, rowvar=False))
print("numpy.cov         cov          ranks=1 rows=%d cols=%d time=%.3fs rate=%.2f GB/s" % (N, d, t, gb / t))
A = np.column_stack([np.ones(N), X[:, :-1]])
t = best(lambda: np.linalg.lstsq(A, X[:, -1], rcond=None))
print("numpy.lstsq       regression   ranks=1 rows=%d cols=%d time=%.3fs rate=%.2f GB/s peak_rss=%.0f MB" %
      (N, d, t, gb / t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))

#!/usr/bin/env python3
"""Baselines for the histogram: numpy.histogram (100 bins, automatic range)
and numpy.median in one process, or an mpi4py + numpy version at p ranks
(local np.histogram over the global min/max from an allreduce, then a
Reduce of the counts).  Reads the same dataset; times the computation only.
    [mpirun -n P] python3 bench/numpy_hist.py FILE /x [bins]"""
import resource
import sys
import time

import h5py
import numpy as np

path, dset = sys.argv[1], sys.argv[2]
bins = int(sys.argv[3]) if len(sys.argv) > 3 else 100
try:
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
except ImportError:
    comm = None
p = comm.Get_size() if comm else 1
r = comm.Get_rank() if comm else 0
with h5py.File(path, "r") as f:
    d = f[dset]
    N = d.shape[0]
    b = r * (N // p) + min(r, N % p)
    c = N // p + (1 if r < N % p else 0)
    x = d[b:b + c]
best = 1e30
for _ in range(3):
    if comm:
        comm.Barrier()
    t0 = time.perf_counter()
    if p == 1:
        counts, edges = np.histogram(x, bins)
    else:
        lo = comm.allreduce(np.nanmin(x), op=MPI.MIN)
        hi = comm.allreduce(np.nanmax(x), op=MPI.MAX)
        counts, edges = np.histogram(x, bins, (lo, hi))
        total = np.empty_like(counts)
        comm.Allreduce(counts, total, op=MPI.SUM)
    dt = time.perf_counter() - t0
    if comm:
        dt = comm.allreduce(dt, op=MPI.MAX)
    best = min(best, dt)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if r == 0:
    name = "numpy.histogram  " if p == 1 else "mpi4py+numpy hist"
    print("%s %d bins ranks=%d values=%d time=%.3fs rate=%.0f Mvalues/s peak_rss=%.0f MB/rank" %
          (name, bins, p, N, best, N / best / 1e6, rss / 1024.0))
    if p == 1:
        t0 = time.perf_counter()
        med = np.median(x)
        dt = time.perf_counter() - t0
        print("numpy.median      median   ranks=1 values=%d time=%.3fs rate=%.0f Mvalues/s median=%.17g" %
              (N, dt, N / dt / 1e6, med))

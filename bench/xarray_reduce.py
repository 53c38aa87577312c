#!/usr/bin/env python3
"""Baseline for cohort-reduce, as a user would write it: xarray (through
netCDF4-python) opens the netCDF-4 file, computes count, mean, std (ddof 1),
min and max of a variable over some dimensions, and writes them to a
netCDF-4 file; whole program, with its phases (read: the values into
memory; compute; write) and peak memory.  One process.
    python3 bench/xarray_reduce.py FILE VAR DIM[,DIM...] OUT"""
import resource
import sys
import time

t0 = time.perf_counter()
import xarray as xr  # noqa: E402 (its import is part of a user's run)

path, var, dims, out = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4]
t1 = time.perf_counter()
v = xr.open_dataset(path)[var].load()  # float32, masked to NaN, as the file says
t2 = time.perf_counter()
res = xr.Dataset({"count": v.count(dims), "mean": v.mean(dims), "std": v.std(dims, ddof=1), "min": v.min(dims),
                  "max": v.max(dims)})
t3 = time.perf_counter()
res.to_netcdf(out)
t4 = time.perf_counter()
gb = v.size * v.dtype.itemsize / 1e9
print("xarray            reduce       ranks=1 values=%d time=%.3fs rate=%.2f GB/s read=%.3fs compute=%.3fs "
      "write=%.3fs start=%.3fs peak_rss=%.0fMiB" % (v.size, t4 - t0, gb / (t4 - t0), t2 - t1, t3 - t2, t4 - t3,
                                                    t1 - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))

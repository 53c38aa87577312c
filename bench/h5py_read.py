#!/usr/bin/env python3
"""The baseline users would write: mpi4py + h5py (Debian's MPI build), each
rank reading its contiguous slice of rows of a dataset (1-D, 2-D, or one
member of a compound table: DSET#member) with MPI-IO, collectively.  HDF5
1.10 fails on a read over 2 GiB ("can't convert from size to size_i"), so
the slice is read in pieces of at most 1 GiB into one numpy array.
    mpirun -n 2 python3 bench/h5py_read.py FILE /x[#member] [repeats]"""
import resource
import sys
import time

from mpi4py import MPI
import h5py
import numpy as np

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
path, dset = sys.argv[1], sys.argv[2]
dset, _, member = dset.partition("#")
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
best = 1e30
with h5py.File(path, "r", driver="mpio", comm=comm) as f:
    d = f[dset]
    n = d.shape[0]
    dtype = d.dtype[member] if member else d.dtype
    src = d.fields(member) if member else d
    row = int(np.prod(d.shape[1:], dtype=np.int64)) * dtype.itemsize
    begin = rank * (n // size) + min(rank, n % size)
    count = n // size + (1 if rank < n % size else 0)
    for _ in range(repeats):
        comm.Barrier()
        t0 = time.perf_counter()
        x = np.empty((count,) + d.shape[1:], dtype=dtype)
        step = max(1, (1 << 30) // row)
        pieces = -(-((n + size - 1) // size) // step)  # the same on every rank: collective reads
        with d.collective:
            for k in range(pieces):
                lo, hi = min(k * step, count), min((k + 1) * step, count)
                x[lo:hi] = src[begin + lo:begin + hi]
        dt = comm.allreduce(time.perf_counter() - t0, op=MPI.MAX)
        best = min(best, dt)
        del x
    nbytes = n * row
rss = comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, op=MPI.MAX)
if rank == 0:
    print("h5py-mpi  slice     collective  ranks=%d bytes=%d time=%.3fs rate=%.2f GB/s peak_rss=%.0f MB/rank"
          % (size, nbytes, best, nbytes / best / 1e9, rss / 1024.0))

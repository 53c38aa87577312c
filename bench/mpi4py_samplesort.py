#!/usr/bin/env python3
"""The baseline for the distributed sort: an mpi4py + numpy sample sort as
users write it (regular sampling, splitters from the gathered samples on
every rank, one Alltoallv, a local numpy sort of the received keys).  Reads
the same HDF5 dataset as bench_sort (serial h5py, each rank its slice) and
times only the sort.
    mpirun -n 2 python3 bench/mpi4py_samplesort.py FILE /x [repeats]"""
import os
import resource
import sys
import time

os.environ.setdefault("H5PY_ALWAYS_USE_MPI", "")  # noqa: keep h5py serial
from mpi4py import MPI  # noqa: E402
import numpy as np  # noqa: E402

comm = MPI.COMM_WORLD
rank, p = comm.Get_rank(), comm.Get_size()
path, dset = sys.argv[1], sys.argv[2]
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
import h5py  # noqa: E402
with h5py.File(path, "r") as f:
    d = f[dset]
    N = d.shape[0]
    b = rank * (N // p) + min(rank, N % p)
    c = N // p + (1 if rank < N % p else 0)
    orig = d[b:b + c]


def samplesort(x):
    x = np.sort(x)
    s = 8 * p  # regular samples per rank
    samples = x[np.linspace(0, len(x) - 1, s).astype(np.int64)] if len(x) else np.empty(0, x.dtype)
    allsamples = np.sort(np.concatenate(comm.allgather(samples)))
    splitters = allsamples[np.linspace(0, len(allsamples) - 1, p + 1).astype(np.int64)[1:-1]]
    cuts = np.searchsorted(x, splitters, side="right")
    sendcounts = np.diff(np.concatenate(([0], cuts, [len(x)])))
    recvcounts = np.array(comm.alltoall(sendcounts.tolist()))
    out = np.empty(recvcounts.sum(), dtype=x.dtype)
    mt = MPI._typedict[x.dtype.char]
    comm.Alltoallv([x, sendcounts, mt], [out, recvcounts, mt])
    out.sort()
    return out


best = 1e30
for _ in range(repeats):
    x = orig.copy()
    comm.Barrier()
    t0 = time.perf_counter()
    y = samplesort(x)
    dt = comm.allreduce(time.perf_counter() - t0, op=MPI.MAX)
    best = min(best, dt)
rss = comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, op=MPI.MAX)
if rank == 0:
    print("mpi4py_samplesort %-6s file     ranks=%d keys=%d time=%.3fs rate=%.1f Mkeys/s (%.1f per rank) peak_rss=%.0f MB/rank"
          % (orig.dtype.name, p, N, best, N / best / 1e6, N / best / 1e6 / p, rss / 1024.0))
    if p == 1:
        for kind in ("quicksort", "stable"):
            z = orig.copy()
            t0 = time.perf_counter()
            z.sort(kind=kind)
            dt = time.perf_counter() - t0
            print("numpy.sort(%-9s) %-6s file     ranks=1 keys=%d time=%.3fs rate=%.1f Mkeys/s"
                  % (kind, orig.dtype.name, N, dt, N / dt / 1e6))

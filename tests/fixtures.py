#!/usr/bin/env python3
"""Write the HDF5 fixtures the I/O tests read, with the clients users have:
h5py, pandas/PyTables and netCDF-4.  Values are formulas of the global row
index i (see each comment) so that the C tests can check every value
without reading the files another way.

Usage: fixtures.py DIR
"""
import os
import sys

import h5py
import numpy as np

d = sys.argv[1]
os.makedirs(d, exist_ok=True)


def p(name):
    return os.path.join(d, name)


N = 1003  # not a multiple of 2, 3 or 4: partitions are uneven
i = np.arange(N)

# plain.h5: /x = i * 0.5 - 3 (float64, contiguous); /tiny (3 rows) = [7, 8, 9] int16;
# /empty: 0 rows; /compact: int32 i (compact layout, 50 rows); /s: fixed strings
# b"k%03d" % (i % 1000) (S8); /flag: bool i % 3 == 0 (h5py stores an int8 enum).
with h5py.File(p("plain.h5"), "w") as f:
    f["x"] = i * 0.5 - 3
    f["tiny"] = np.array([7, 8, 9], dtype=np.int16)
    f.create_dataset("empty", shape=(0,), dtype="f8")
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    sid = h5py.h5s.create_simple((50,))
    dset = h5py.h5d.create(f.id, b"compact", h5py.h5t.STD_I32LE, sid, dcpl=dcpl)
    dset.write(h5py.h5s.ALL, h5py.h5s.ALL, np.arange(50, dtype=np.int32))
    f["s"] = np.array([b"k%03d" % (k % 1000) for k in i], dtype="S8")
    f["flag"] = (i % 3) == 0
    f["vlen"] = np.array(["a", "bb", "ccc"], dtype=h5py.string_dtype())
    # variable-length strings (h5py's default for str): "v" * (i % 11) + str(i), as a
    # dataset and as a compound member beside an int32
    vs = np.array(["v" * (k % 11) + str(k) for k in i], dtype=object)
    f["vs"] = vs.astype(h5py.string_dtype())
    vt = np.zeros(N, dtype=[("name", h5py.string_dtype()), ("x", "<i4")])
    vt["name"], vt["x"] = vs, i
    f["vt"] = vt
    f["half"] = np.zeros(4, dtype=np.float16)
    # N-D variables: their values in row-major order (0, 1, 2, ...)
    f["cube"] = np.arange(7 * 5 * 3, dtype=np.float64).reshape(7, 5, 3)
    f.create_dataset("nd4", data=np.arange(5 * 4 * 3 * 7, dtype=np.int32).reshape(5, 4, 3, 7), chunks=(2, 3, 2, 4),
                     compression="gzip", shuffle=True)
    f["scalar"] = 3.0
    f.create_group("grp")

# types.h5: every integer width, both byte orders, floats: value (i % 100) - 50 for
# signed, i % 200 for unsigned, i * 0.25 for floats.
with h5py.File(p("types.h5"), "w") as f:
    for order, tag in (("<", "le"), (">", "be")):
        for bits in (8, 16, 32, 64):
            if bits > 8 or order == "<":
                f[f"i{bits}_{tag}"] = ((i % 100) - 50).astype(f"{order}i{bits // 8}")
                f[f"u{bits}_{tag}"] = (i % 200).astype(f"{order}u{bits // 8}")
        f[f"f32_{tag}"] = (i * 0.25).astype(f"{order}f4")
        f[f"f64_{tag}"] = (i * 0.25).astype(f"{order}f8")

# layout.h5: /data/gz = i (int32, chunks of 100, gzip + shuffle + fletcher32);
# /data/szip = i (int64, szip when this h5py has it, else gzip);
# /ext = i * 2 (float64, extendible: written 500 rows then resized to N);
# /a/b/c/x = -i (int64) behind a soft link /soft and a hard link /hard;
# /elink -> plain.h5:/x (external link).
with h5py.File(p("layout.h5"), "w") as f:
    f.create_dataset("data/gz", data=i.astype(np.int32), chunks=(100,), compression="gzip",
                     shuffle=True, fletcher32=True)
    if h5py.h5z.filter_avail(h5py.h5z.FILTER_SZIP):
        f.create_dataset("data/szip", data=i.astype(np.int64), chunks=(128,), compression="szip")
    else:
        f.create_dataset("data/szip", data=i.astype(np.int64), chunks=(128,), compression="gzip")
    e = f.create_dataset("ext", shape=(500,), maxshape=(None,), chunks=(64,), dtype="f8")
    e[:] = i[:500] * 2.0
    e.resize((N,))
    e[500:] = i[500:] * 2.0
    f["a/b/c/x"] = -i
    f["soft"] = h5py.SoftLink("/a/b/c/x")
    f["hard"] = f["a/b/c/x"]
    f["elink"] = h5py.ExternalLink("plain.h5", "/x")
    f["dangling"] = h5py.SoftLink("/nowhere")

# matrix.h5: /m[i, j] = i * 10 + j (1003 x 5 float64) with a "columns" attribute;
# /raw[i, j] = i * 3 + j (1003 x 3 int32, big-endian, chunked), no names.
with h5py.File(p("matrix.h5"), "w") as f:
    m = f.create_dataset("m", data=(i[:, None] * 10 + np.arange(5)[None, :]).astype("f8"))
    m.attrs["columns"] = np.array(["a", "b", "c", "d", "e"], dtype=h5py.string_dtype())
    f.create_dataset("raw", data=(i[:, None] * 3 + np.arange(3)[None, :]).astype(">i4"), chunks=(77, 3))

# pieces.h5: reads larger than the library's staging piece (2 MiB) and conversion
# tile (32 KiB), at any rank count up to 4: /m[i, j] = i * 10 + j (BIG x 5 float64,
# contiguous); /raw[i, j] = i * 3 + j (BIG x 3 int32, big-endian, chunks of 777 rows);
# /z = i (int64, gzip in chunks of 10007); /rec and /vrec compound records (below);
# /df/table: pandas' table of a = i (int64),
# b = i * 0.25 (float64), s = "k%d" % (i % 7).
BIG = 400009
ib = np.arange(BIG)
with h5py.File(p("pieces.h5"), "w") as f:
    f.create_dataset("m", data=(ib[:, None] * 10 + np.arange(5)[None, :]).astype("f8"))
    f.create_dataset("raw", data=(ib[:, None] * 3 + np.arange(3)[None, :]).astype(">i4"), chunks=(777, 3))
    f.create_dataset("z", data=ib.astype(np.int64), chunks=(10007,), compression="gzip", shuffle=True)
    # /rec: records of a big-endian int32 a = i, b = i * 0.25 and 3 bytes (read whole, members
    # taken in cache); /vrec: a = i (int64) beside a variable-length string (read member alone).
    rec = np.zeros(BIG, dtype=[("a", ">i4"), ("b", "<f8"), ("s", "S3")])
    rec["a"], rec["b"], rec["s"] = ib, ib * 0.25, b"abc"
    f.create_dataset("rec", data=rec, chunks=(4099,))
    vrec = np.zeros(BIG, dtype=[("a", "<i8"), ("v", h5py.string_dtype())])
    vrec["a"], vrec["v"] = ib, "v"
    f.create_dataset("vrec", data=vrec)
import pandas as pd  # noqa: E402
pd.DataFrame({"a": ib.astype(np.int64), "b": ib * 0.25, "s": ["k%d" % (k % 7) for k in ib]}).to_hdf(
    p("pieces.h5"), key="df", format="table", data_columns=True, mode="a")

# parts: /x = global index (int64) over files of 300, 0, 403 and 300 rows, named so
# that byte order (part-10 < part-2 < part-3 < part-9) differs from numeric order.
sizes = {"part-10.h5": 300, "part-2.h5": 0, "part-3.h5": 403, "part-9.h5": 300}
start = 0
for name in sorted(sizes):
    with h5py.File(p(name), "w") as f:
        f["x"] = np.arange(start, start + sizes[name], dtype=np.int64)
        f["y"] = np.arange(start, start + sizes[name], dtype=np.float32) if name != "part-3.h5" else \
            np.arange(start, start + sizes[name], dtype=np.float64)
    start += sizes[name]

# vset: variable-length strings over two files, the second's longer: "s%d" % i,
# then "long-string-%d" % i, 400 rows in all; the width is the longest of both.
with h5py.File(p("vset-1.h5"), "w") as f:
    f["s"] = np.array(["s%d" % k for k in range(150)], dtype=h5py.string_dtype())
with h5py.File(p("vset-2.h5"), "w") as f:
    f["s"] = np.array(["long-string-%d" % k for k in range(150, 400)], dtype=h5py.string_dtype())

# pandas.h5: df.to_hdf(format="table", data_columns=True): /df/table members
# index, a = i (int64), b = i * 0.25 (float64), s = "k%d" % (i % 7) (string).
df = pd.DataFrame({"a": i.astype(np.int64), "b": i * 0.25, "s": ["k%d" % (k % 7) for k in i]})
df.to_hdf(p("pandas.h5"), key="df", format="table", data_columns=True, mode="w")

# netcdf.nc: variable temp = i * 0.5 (float32, zlib), dimension time.
import netCDF4  # noqa: E402
with netCDF4.Dataset(p("netcdf.nc"), "w", format="NETCDF4") as nc:
    nc.createDimension("time", N)
    v = nc.createVariable("temp", "f4", ("time",), zlib=True)
    v[:] = (i * 0.5).astype(np.float32)

# missing_filter.h5: /x written with gzip, then the filter id patched to 200, which
# no HDF5 has: reading must fail with an error naming the filter.
with h5py.File(p("missing_filter.h5"), "w") as f:
    f.create_dataset("x", data=np.arange(100.0), chunks=(10,), compression="gzip", compression_opts=6)
raw = open(p("missing_filter.h5"), "rb").read()
pat = b"\x01\x00\x08\x00\x01\x00\x01\x00deflate\x00"
assert raw.count(pat) == 1, "unexpected filter pipeline layout"
open(p("missing_filter.h5"), "wb").write(raw.replace(pat, b"\xc8\x00\x08\x00\x01\x00\x01\x00missing\x00"))

# mixed: the same /x as int64 in one file and float64 in another (a glob error).
with h5py.File(p("mixed-1.h5"), "w") as f:
    f["x"] = np.arange(10, dtype=np.int64)
with h5py.File(p("mixed-2.h5"), "w") as f:
    f["x"] = np.arange(10, dtype=np.float64)

open(p("not_hdf5.h5"), "w").write("this is not an HDF5 file\n")

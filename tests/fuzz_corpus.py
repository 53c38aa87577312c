#!/usr/bin/env python3
"""The hostile-input corpus of tests/test_fuzz.py (issue #21): seed files
written as users' tools write them (h5py, pandas/PyTables, netCDF-4), with
awkward but valid content, and damaged copies of them:

  truncated   cut at offsets spread over the file and at the ends of its
              superblock and object headers;
  flipped     one bit flipped in a region: the superblock, an object
              header, the other metadata (B-trees, heaps, symbol tables:
              every byte that is not a dataset's raw data), chunk data;
  smashed     eight random bytes overwritten in the metadata;
  shape       a dataset's dataspace dimensions patched to absurd sizes
              (2^32+1, 2^40, 2^62, 2^63-1, 0) in a file of a few KiB, and
              chunk dimensions patched to 0, 1 and 2^31;

plus the PyTables project's own test files (Debian's python-tables-data)
as real-world seeds when they are installed.

Deterministic: the same seed number gives the same files.  Usage as a
module: build(directory, tier) -> list of Case; as a script:
fuzz_corpus.py DIR [quick|long] writes the corpus and prints its list."""
import glob
import os
import random
import struct
import sys

import h5py
import numpy as np

TABLES_DATA = "/usr/share/python-tables/tests"


class Case:
    """One corpus file: @refs are FILE:/PATH references to its datasets
    (those a program may be given), @kind what was done to it."""

    def __init__(self, path, refs, kind, seed=None):
        self.path, self.refs, self.kind, self.seed = path, refs, kind, seed

    def __repr__(self):
        return "%s (%s)" % (os.path.basename(self.path), self.kind)


def _seeds(d):
    """The seed files; returns [(path, [dataset paths])]."""
    out = []
    rng = np.random.default_rng(21)

    def p(name):
        return os.path.join(d, name)

    # 1-D numbers of several types, contiguous, compact and chunked.
    with h5py.File(p("columns.h5"), "w") as f:
        f["x"] = rng.normal(size=1500)
        f["i"] = rng.integers(-2**62, 2**62, size=1500)
        f["k"] = rng.integers(0, 7, size=1500).astype(np.int32)
        f["u"] = np.array([0, 1, 2**63, 2**64 - 1] * 300, dtype=np.uint64)
        f["s"] = np.array([b"k%d" % (v % 13) for v in range(1500)], dtype="S6")
        f.create_dataset("z", data=rng.random(1500).astype(np.float32), chunks=(64,), compression="gzip",
                         shuffle=True)
        f.create_dataset("b", data=rng.integers(0, 100, 1500).astype(">i2"), chunks=(100,))
    out.append(("columns.h5", ["x", "i", "k", "u", "s", "z", "b"]))

    # Extreme values: constants far from zero, non-finite, empty, one row.
    with h5py.File(p("extremes.h5"), "w") as f:
        f["const"] = np.full(10, 1e17)
        f["fill"] = np.full(50, 9.96921e36, dtype=np.float32)
        f["nonfinite"] = np.array([np.nan, np.inf, -np.inf, 1.0, -0.0, 5e-324, 1.7976931348623157e308] * 20)
        f["imin"] = np.array([-2**63, 2**63 - 1, 0, -1] * 10, dtype=np.int64)
        f["offset"] = 1e12 + rng.normal(size=300)
        f.create_dataset("empty", shape=(0,), dtype="f8")
        f.create_dataset("empty_chunked", shape=(0,), maxshape=(None,), dtype="i8", chunks=(16,))
        f["one"] = np.array([3.5])
    out.append(("extremes.h5", ["const", "fill", "nonfinite", "imin", "offset", "empty", "empty_chunked", "one"]))

    # 2-D tables and N-D fields, contiguous and chunked with filters.
    with h5py.File(p("matrix.h5"), "w") as f:
        f["m"] = rng.normal(size=(400, 4))
        f.create_dataset("c", data=rng.normal(size=(300, 3)), chunks=(50, 3), compression="gzip")
        f["cube"] = np.arange(4 * 5 * 6, dtype=np.float64).reshape(4, 5, 6)
        f.create_dataset("tall_chunks", data=np.arange(2000.0), chunks=(1,))
        f["scalar"] = 7.0
    out.append(("matrix.h5", ["m", "c", "cube", "tall_chunks", "scalar"]))

    # Compound records, as pandas/PyTables and h5py write them.
    rec = np.zeros(800, dtype=[("a", "<f8"), ("b", "<i4"), ("c", "S5"), ("d", "<u2")])
    rec["a"], rec["b"] = rng.normal(size=800), rng.integers(0, 9, 800)
    rec["c"] = [b"r%d" % (v % 5) for v in range(800)]
    rec["d"] = np.arange(800) % 300
    with h5py.File(p("records.h5"), "w") as f:
        f["t"] = rec
        f.create_dataset("tc", data=rec, chunks=(100,), compression="gzip")
        vt = np.zeros(200, dtype=[("name", h5py.string_dtype()), ("x", "<i8")])
        vt["name"] = ["n" * (v % 7) for v in range(200)]
        vt["x"] = np.arange(200)
        f["vt"] = vt
    out.append(("records.h5", ["t/a", "t/b", "t/c", "tc/a", "tc/d", "vt/x", "vt/name"]))

    # Types Cohort refuses: enum, nested compound, vlen sequences, arrays,
    # opaque, references, float16, bitfield-like bool.
    with h5py.File(p("types.h5"), "w") as f:
        f.create_dataset("enum", data=np.arange(30, dtype=np.int8) % 3,
                         dtype=h5py.enum_dtype({"R": 0, "G": 1, "B": 2}, basetype="i1"))
        nested = np.zeros(20, dtype=[("p", [("x", "<f4"), ("y", "<f4")]), ("q", "<i2")])
        f["nested"] = nested
        vl = f.create_dataset("vlen", (10,), dtype=h5py.vlen_dtype(np.int32))
        for k in range(10):
            vl[k] = np.arange(k, dtype=np.int32)
        f["array"] = np.zeros(10, dtype=[("v", "<f8", (3,))])
        f["opaque"] = np.void(b"\x01\x02\x03\x04" * 4)
        f["refs"] = np.array([f["enum"].ref] * 3, dtype=h5py.ref_dtype)
        f["half"] = np.linspace(-2, 2, 40).astype(np.float16)
        f["flag"] = np.arange(30) % 2 == 0
        f["vs"] = np.array(["a" * (v % 9) for v in range(60)], dtype=h5py.string_dtype())
    out.append(("types.h5", ["enum", "nested", "nested/q", "vlen", "array", "opaque", "refs", "half", "flag", "vs"]))

    # Long and odd names, deep groups, links.
    with h5py.File(p("names.h5"), "w") as f:
        long = "n" * 3000
        f[long] = np.arange(10.0)
        f["a" * 63 + "1"] = np.arange(5.0)
        f["a" * 63 + "2"] = np.arange(5.0) * 2
        g = f
        for k in range(40):
            g = g.create_group("g%d" % k)
        g["deep"] = np.arange(12)
        f["spaces and: colon"] = np.arange(4.0)
        f["soft"] = h5py.SoftLink("/missing")
        f["hard"] = f["a" * 63 + "1"]
        f["ext"] = h5py.ExternalLink("no-such-file.h5", "/x")
    out.append(("names.h5", [long, "a" * 63 + "1", "/".join("g%d" % k for k in range(40)) + "/deep",
                             "spaces and: colon", "soft", "hard", "ext"]))

    # netCDF-4 as netCDF4-python writes it: CF attributes, packed values,
    # dimension scales, compression, an unlimited dimension.
    try:
        import netCDF4
        with netCDF4.Dataset(p("climate.nc"), "w") as nc:
            nc.createDimension("time", None)
            nc.createDimension("lat", 6)
            t = nc.createVariable("time", "f8", ("time",))
            v = nc.createVariable("temp", "i2", ("time", "lat"), zlib=True, fill_value=-999)
            v.scale_factor, v.add_offset = 0.01, 273.15
            v.valid_range = np.array([-5000, 5000], dtype=np.int16)
            w = nc.createVariable("wind", "f4", ("time", "lat"), fill_value=9.96921e36)
            t[:] = np.arange(40)
            data = rng.integers(-3000, 3000, size=(40, 6)).astype(np.int16)
            data[3, 2] = -999
            v[:] = (data * 0.01 + 273.15)
            w[:] = rng.random((40, 6)).astype(np.float32)
        out.append(("climate.nc", ["time", "temp", "wind"]))
    except ImportError:
        pass
    return [(p(name), refs) for name, refs in out]


def _raw_ranges(path):
    """Byte ranges of every dataset's raw data (contiguous storage and chunks)."""
    ranges = []

    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset):
            return
        try:
            off = obj.id.get_offset()
            if off is not None:
                ranges.append((off, off + obj.id.get_storage_size(), "contiguous"))
                return
            if obj.chunks:
                for k in range(obj.id.get_num_chunks()):
                    info = obj.id.get_chunk_info(k)
                    ranges.append((info.byte_offset, info.byte_offset + info.size, "chunk"))
        except Exception:
            pass

    try:
        with h5py.File(path, "r") as f:
            f.visititems(visit)
    except Exception:
        pass
    return ranges


def _headers(path):
    """Object header addresses of the file's datasets and groups (and their dataset names)."""
    heads = []

    def visit(name, obj):
        try:
            heads.append((h5py.h5o.get_info(obj.id).addr, name, isinstance(obj, h5py.Dataset)))
        except Exception:
            pass

    try:
        with h5py.File(path, "r") as f:
            heads.append((h5py.h5o.get_info(f.id).addr, "/", False))
            f.visititems(visit)
    except Exception:
        pass
    return heads


def _dims(path):
    """{dataset name: (shape, chunks)} of the seed."""
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = (obj.shape, obj.chunks)

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


class _Writer:
    def __init__(self, d, seed_name):
        self.d, self.base, self.n = d, os.path.splitext(os.path.basename(seed_name))[0], 0
        self.ext = os.path.splitext(seed_name)[1]

    def write(self, data, tag):
        self.n += 1
        path = os.path.join(self.d, "%s.%s.%d%s" % (self.base, tag, self.n, self.ext))
        with open(path, "wb") as f:
            f.write(data)
        return path


def _mutants(d, path, refs, rng, budget):
    """Damaged copies of @path: about @budget of them, by every kind of damage."""
    data = open(path, "rb").read()
    size = len(data)
    raws = _raw_ranges(path)
    raw_bytes = set()
    for a, b, _ in raws:
        raw_bytes.update(range(a, min(b, size)))
    meta = [k for k in range(size) if k not in raw_bytes]
    chunk_bytes = [k for a, b, kind in raws if kind == "chunk" for k in range(a, min(b, size))]
    heads = _headers(path)
    w = _Writer(d, path)
    cases = []

    def add(buf, kind, first=None):
        new = w.write(bytes(buf), kind.split(" ")[0])
        mine = [new + r[len(path):] for r in refs]
        if first:  # the damaged dataset's reference first
            mine.sort(key=lambda r: r != "%s:/%s" % (new, first))
        cases.append(Case(new, mine, kind))

    n = max(budget // 6, 1)
    # Truncations: just after the superblock and each object header, and
    # spread over the file.
    cuts = {0, 8, 47, 96, size // 2, size - 1}
    cuts |= {a + 16 for a, _, _ in heads}
    cuts |= {int(size * rng.random()) for _ in range(n)}
    for c in sorted(cuts)[: 2 * n]:
        add(data[:c], "truncated at %d of %d" % (c, size))

    def flip(pool, region, count):
        for _ in range(count):
            if not pool:
                return
            k = rng.choice(pool)
            buf = bytearray(data)
            buf[k] ^= 1 << rng.randrange(8)
            add(buf, "flipped bit in %s at %d" % (region, k))

    flip(list(range(min(96, size))), "superblock", n)
    hdr = [k for a, _, _ in heads for k in range(a, min(a + 272, size))]
    flip(hdr, "object header", n)
    flip(meta, "metadata", n)
    flip(chunk_bytes, "chunk data", max(n // 2, 1))
    for _ in range(max(n // 2, 1)):
        buf = bytearray(data)
        k = rng.choice(meta)
        for j in range(k, min(k + 8, size)):
            buf[j] = rng.randrange(256)
        add(buf, "smashed 8 bytes of metadata at %d" % k)

    # Absurd shapes: find each dataset's dimension (8-byte, little-endian,
    # as HDF5 writes sizes) in its object header and patch it.
    dims = _dims(path)
    for addr, name, is_dset in heads:
        if not is_dset or name not in dims:
            continue
        shape, chunks = dims[name]
        window = data[addr: addr + 512]
        if shape and shape[0] > 1:
            pos = window.find(struct.pack("<Q", shape[0]))
            # A chunked dataset of 2^40 rows with a few chunks written is a
            # valid sparse dataset (and takes days to read): chunked ones get
            # sizes whose bytes do not fit 64 bits.
            values = (2**62, 2**63 - 1) if chunks else (2**32 + 1, 2**40, 2**62, 2**63 - 1, 2**64 - 1, 0)
            if pos >= 0:
                for v in values[: max(n // 2, 2)]:
                    buf = bytearray(data)
                    buf[addr + pos: addr + pos + 8] = struct.pack("<Q", v)
                    add(buf, "shape dims of %s: %d -> %d" % (name, shape[0], v), name)
        # (Not where the chunk equals the shape: the 4 bytes found could be the
        # dataspace's, making a valid sparse dataset of 2^31 rows.)
        if chunks and chunks[0] > 1 and len(chunks) == 1 and chunks[0] != shape[0]:
            pos = window.find(struct.pack("<I", chunks[0]), 16)
            if pos >= 0:
                for v in (0, 1, 2**31):
                    buf = bytearray(data)
                    buf[addr + pos: addr + pos + 4] = struct.pack("<I", v)
                    add(buf, "chunk dims of %s: %d -> %d" % (name, chunks[0], v), name)
    return cases


def build(d, tier="quick"):
    """Write the corpus into @d; returns its cases (seeds first)."""
    os.makedirs(d, exist_ok=True)
    rng = random.Random(2112)
    budget = 18 if tier == "quick" else 120
    cases = []
    for path, names in _seeds(d):
        refs = ["%s:/%s" % (path, n) for n in names]
        cases.append(Case(path, refs, "seed"))
        cases += _mutants(d, path, refs, rng, budget)
    # The PyTables project's test files, read as they are (long tier: also damaged).
    for path in sorted(glob.glob(os.path.join(TABLES_DATA, "*.h5"))):
        refs = []
        try:
            with h5py.File(path, "r") as f:
                f.visititems(lambda n, o: refs.append("%s:/%s" % (path, n)) if isinstance(o, h5py.Dataset) else None)
        except Exception:
            pass
        if not refs:
            refs = [path + ":/x"]
        cases.append(Case(path, refs[:6], "real-world file"))
        if tier != "quick":
            local = os.path.join(d, "tables." + os.path.basename(path))
            open(local, "wb").write(open(path, "rb").read())
            cases += _mutants(d, local, [r.replace(path, local, 1) for r in refs[:6]], rng, 12)
    return cases


if __name__ == "__main__":
    for c in build(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "quick"):
        print(c.path, c.kind, " ".join(c.refs[:3]))

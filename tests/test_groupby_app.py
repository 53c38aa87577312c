#!/usr/bin/env python3
"""cohort-groupby against pandas (Debian's) on files written by h5py and
pandas: uniform and Zipf int64 keys, one key, every row its own key,
composite keys, string keys (a PyTables table's column), NaN values,
integer and float32 values, every aggregate; the same output bytes at every
rank count in the reproducible mode; HDF5 output; integer overflow and bad
inputs."""
import io
import os

import h5py
import numpy as np
import pandas as pd
import xarray as xr

from apptest import loads, NPS, check, expect_exit, finish, run, tempdir

tmp = tempdir("cohort-groupby-")
f = os.path.join(tmp, "d.h5")
rng = np.random.default_rng(5)
n = 30011
u = rng.random(n)
cols = {
    "uni": rng.integers(0, 2000, n),
    "zipf": (np.floor(np.exp(u * np.log(1e4))) - 1).astype(np.int64),
    "one": np.full(n, 7, dtype=np.int64),
    "distinct": rng.permutation(n).astype(np.int64) - 5000,
    "a": rng.integers(-3, 3, n).astype(np.int16),
    "b": rng.integers(0, 4, n).astype(np.uint32),
    "x": rng.normal(size=n) * 100,
    "i": rng.integers(-1000, 1000, n).astype(np.int32),
    "f": rng.normal(size=n).astype(np.float32),
}
cols["x"][::13] = np.nan
cols["f"][::17] = np.nan
# float keys: NaN keys are dropped (pandas' dropna), -0.0 groups with 0.0
cols["fkey"] = rng.integers(-20, 20, n) * 0.5
cols["fkey"][::31] = np.nan
cols["fkey"][np.flatnonzero(cols["fkey"] == 0)[::2]] = -0.0
names = np.array([b"alpha", b"beta", b"gamma", b"delta", b"e"])
with h5py.File(f, "w") as h:
    for k, v in cols.items():
        h[k] = v
    h["s"] = names[rng.integers(0, 5, n)]
    h["short"] = np.arange(10)
    h["big"] = np.full(n, 2**62, dtype=np.int64)
# a pandas/PyTables table with a string column: keys from one compound dataset
t = os.path.join(tmp, "t.h5")
pd.DataFrame({"name": names[rng.integers(0, 5, n)].astype(str), "val": rng.normal(size=n)}).to_hdf(
    t, key="tab", format="table", data_columns=True)
with h5py.File(f, "r") as h:
    S = h["s"][...]


def d(name):
    return "%s:/%s" % (f, name)


def groupby(args, np_, code=0):
    r = run("cohort-groupby", args + ["--format", "csv"], np_=np_)
    expect_exit(r, code, "cohort-groupby", "cohort-groupby %s at %d ranks" % (" ".join(args), np_))
    return r


AGGS = ["count", "sum", "mean", "min", "max", "var", "std", "first", "last", "sem", "median", "nunique"]


def oracle(keys, values, aggs):
    """pandas: the same columns, in key order."""
    df = pd.DataFrame({k: (S if k == "s" else cols[k]) for k in keys + values})
    g = df.groupby(keys, sort=True)
    out = pd.DataFrame({"size": g.size()})
    for v in values:
        for a in aggs:
            # sums, means and variances of float32 values are float64 in Cohort (pandas keeps float32)
            wide = a in ("sum", "mean", "var", "std", "sem", "median") and df[v].dtype == np.float32
            r = getattr((df[v].astype(np.float64) if wide else df[v]).groupby([df[k] for k in keys]), a)()
            if a == "sum" and df[v].dtype.kind == "f":
                r = r.astype(np.float64)
            if a == "sum" and df[v].dtype.kind in "iu":  # Cohort sums integers in int64 (uint64 when unsigned)
                r = r.astype(np.uint64 if df[v].dtype.kind == "u" else np.int64)
            out["%s_%s" % (v, a)] = r
    return out.reset_index()


def compare(csv, ref, what, exact=("size",)):
    got = pd.read_csv(io.StringIO(csv), keep_default_na=False, na_values=["nan"], float_precision="round_trip")
    if not check(list(got.columns) == list(ref.columns) and len(got) == len(ref),
                 "%s: columns %s rows %d, pandas %s rows %d" % (what, list(got.columns), len(got), list(ref.columns),
                                                                len(ref))):
        return
    for c in ref.columns:
        a, b = got[c].to_numpy(), ref[c].to_numpy()
        if b.dtype.kind in "OSU":
            ok = [str(x) == (y.decode() if isinstance(y, bytes) else str(y)) for x, y in zip(a, b)]
            check(all(ok), "%s: key column %s differs" % (what, c))
        elif c in exact or c.endswith(("_min", "_max", "_first", "_last", "_count", "_nunique")) or b.dtype.kind in "iu":
            t = np.float32 if b.dtype == np.float32 else np.float64  # float32 values print as float32
            check(np.array_equal(a.astype(t), b.astype(t), equal_nan=True),
                  "%s: %s differs from pandas" % (what, c))
        else:
            check(np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=1e-11, atol=1e-9, equal_nan=True),
                  "%s: %s differs from pandas: %s vs %s" % (what, c, a[:5], b[:5]))


cases = [
    (["uni"], ["x", "i"], AGGS),
    (["zipf"], ["x"], ["count", "sum", "mean"]),
    (["fkey"], ["i"], ["count", "sum", "median"]),
    (["one"], ["x", "f", "i"], AGGS),
    (["distinct"], ["i"], ["count", "sum", "min"]),
    (["a", "b"], ["x", "f"], AGGS),
    (["s"], ["x"], ["count", "sum", "mean", "var", "first", "last"]),
    (["s", "a"], ["i"], ["count", "max"]),
    (["s", "a"], ["x", "i"], ["sem", "median", "nunique"]),  # a key of bytes (no word): the sorted pairs' path
]
for keys, values, aggs in cases:
    ref = oracle(keys, values, aggs)
    outs = {}
    for np_ in NPS:
        args = sum((["--keys", d(k)] for k in keys), []) + sum((["--values", d(v)] for v in values), [])
        r = groupby(args + ["--agg", ",".join(aggs)], np_)
        if r.rc == 0:
            compare(r.out, ref, "%s by %s at %d ranks" % (values, keys, np_))
        # bit-identical at every rank count in the reproducible mode, every aggregate
        r = groupby(args + ["--agg", ",".join(aggs), "--reproducible"], np_)
        outs[np_] = r.out
    check(len(set(outs.values())) == 1, "reproducible output of %s by %s differs across rank counts" % (values, keys))

# Keys from a pandas/PyTables table's string column, values from its float column.
with pd.HDFStore(t, "r") as st:
    df = st["tab"]
ref = df.groupby("name").agg(size=("val", "size"), val_sum=("val", "sum")).reset_index()
for np_ in NPS:
    r = groupby(["--keys", t + ":/tab/table#name", "--values", t + ":/tab/table#val", "--agg", "size,sum"], np_)
    if r.rc == 0:
        got = pd.read_csv(io.StringIO(r.out), float_precision="round_trip")
        check(list(got["name"]) == list(ref["name"]) and list(got["size"]) == list(ref["size"]) and
              np.allclose(got["val_sum"], ref["val_sum"], rtol=1e-12), "PyTables string keys at %d ranks" % np_)

# Keys of variable-length strings (h5py's and pandas' default for text), as a dataset and as a
# compound member, UTF-8 and empty ones included; their width is found in one pass.
vk = np.array(["", "a", "caf\u00e9", "kiwi", "x" * 300], dtype=object)[rng.integers(0, 5, n)]
vt = np.zeros(n, dtype=[("name", h5py.string_dtype()), ("val", "<f8")])
vt["name"], vt["val"] = vk, cols["x"]
with h5py.File(os.path.join(tmp, "v.h5"), "w") as h:
    h["k"] = vk.astype(h5py.string_dtype())
    h["t"] = vt
ref = pd.DataFrame({"k": vk, "x": cols["x"]}).groupby("k").agg(size=("x", "size"), x_sum=("x", "sum")).reset_index()
for np_ in NPS:
    for keys, vals in ((os.path.join(tmp, "v.h5") + ":/k", d("x")), (os.path.join(tmp, "v.h5") + ":/t#name",
                                                                      os.path.join(tmp, "v.h5") + ":/t#val")):
        r = groupby(["--keys", keys, "--values", vals, "--agg", "size,sum"], np_)
        if r.rc == 0:
            got = pd.read_csv(io.StringIO(r.out), float_precision="round_trip", keep_default_na=False)
            check(list(got.iloc[:, 0]) == list(ref["k"]) and list(got["size"]) == list(ref["size"]) and
                  np.allclose(got.iloc[:, 2], ref["x_sum"], rtol=1e-12),
                  "variable-length string keys %s at %d ranks: %s" % (keys, np_, got.iloc[:, :2].values.tolist()))

# HDF5 output: one dataset per column, the same as the CSV.
o = os.path.join(tmp, "g.h5")
r = run("cohort-groupby", ["--keys", d("a"), "--keys", d("b"), "--values", d("x"), "--agg", "size,sum,min",
                           "--output", o + ":/g"], np_=NPS[-1])
expect_exit(r, 0, "cohort-groupby", "HDF5 output")
if r.rc == 0:
    ref = oracle(["a", "b"], ["x"], ["sum", "min"])
    with h5py.File(o, "r") as h:
        g = h["g"]
        check(sorted(g.keys()) == sorted(["a", "b", "size", "x_sum", "x_min", "table"]), "datasets %s" % list(g.keys()))
        check(g["a"].dtype == np.int16 and g["b"].dtype == np.uint32 and g["size"].dtype == np.int64,
              "key and size types")
        check(np.array_equal(g["a"][...], ref["a"]) and np.array_equal(g["size"][...], ref["size"]) and
              np.allclose(g["x_sum"][...], ref["x_sum"], rtol=1e-11), "HDF5 contents")
# One key: xarray opens the results indexed by it (a dimension scale), at every rank count.
for np_ in sorted({NPS[0], NPS[-1]}):
    o = os.path.join(tmp, "x%d.h5" % np_)
    r = run("cohort-groupby", ["--keys", d("a"), "--values", d("x"), "--agg", "count,mean", "--output", o + ":/g"],
            np_=np_)
    expect_exit(r, 0, "cohort-groupby", "HDF5 output, one key")
    if r.rc == 0:
        ref = oracle(["a"], ["x"], ["count", "mean"])
        xd = xr.open_dataset(o, group="g")
        check(xd["x_mean"].dims == ("a",) and np.array_equal(xd["a"].values, ref["a"]) and
              np.array_equal(xd["x_count"].values, ref["x_count"]) and
              np.allclose(xd["x_mean"].values, ref["x_mean"], rtol=1e-13),
              "xarray reads the results on their key at %d ranks: %s" % (np_, xd))

# pandas/tests/groupby/test_function.py::test_ops_general and test_cython_median: 1000 random values grouped by float
# labels (some NaN, dropped as pandas does), each aggregate against numpy's function per group.
with h5py.File(f, "a") as h:
    lab = rng.integers(0, 50, size=1000).astype(float)
    lab[::17] = np.nan
    val = rng.normal(size=1000)
    val[::2] = np.nan  # test_cython_median's NaN values
    h["lab"], h["val"] = lab, val
    h["val_full"] = rng.normal(size=1000)
ops = {"mean": np.mean, "median": np.median, "std": lambda x: np.std(x, ddof=1), "var": lambda x: np.var(x, ddof=1),
       "sum": np.sum, "prod": np.prod, "min": np.min, "max": np.max, "first": lambda x: x[0], "last": lambda x: x[-1],
       "count": np.size, "sem": lambda x: np.std(x, ddof=1) / np.sqrt(len(x))}
for vname in ("val", "val_full"):
    with h5py.File(f, "r") as h:
        lab, val = h["lab"][...], h[vname][...]
    for np_ in (1, NPS[-1]):
        r = groupby(["--keys", d("lab"), "--values", d(vname), "--agg", ",".join(ops)], np_)
        if r.rc != 0:
            continue
        got = pd.read_csv(io.StringIO(r.out), float_precision="round_trip")
        keys = np.unique(lab[~np.isnan(lab)])
        check(np.array_equal(got["lab"].to_numpy(), keys), "test_ops_general: the groups are the non-NaN labels")
        for op, fn in ops.items():
            want = np.array([fn(val[(lab == k) & ~np.isnan(val)]) if ((lab == k) & ~np.isnan(val)).sum() > 1 or
                             op not in ("std", "var", "sem") else np.nan for k in keys], dtype=float)
            col = got["%s_%s" % (vname, op)].to_numpy(dtype=float)
            exact = op in ("median", "min", "max", "first", "last", "count")
            check(np.array_equal(col, want, equal_nan=True) if exact else np.allclose(col, want, rtol=1e-12, equal_nan=True),
                  "test_ops_general %s of %s at %d ranks" % (op, vname, np_))

# JSON for strict parsers: names with quotes, backslashes, control characters, UTF-8 and bytes that are not
# UTF-8; string keys likewise; NaN, inf and -inf apart.
with h5py.File(f, "a") as h:
    h[b'q"u\\ote\t\xc3\xa9\xff'] = np.array([1.0, np.inf, -np.inf, np.nan])
    h["sk"] = np.array([b'a"b', b"\xff\x01", b"a\\", b"\xc3\xa9"])
r = run("cohort-groupby", ["--keys", d("sk"), "--values", f + ':/q"u\\ote\t\xe9\udcff'.encode("utf-8", "surrogateescape").decode(
    "utf-8", "surrogateescape"), "--agg", "max,sum", "--format", "json"], np_=2)
expect_exit(r, 0, "cohort-groupby", "JSON with awkward names")
if r.rc == 0:
    j = loads(r.out)
    rows = j["rows"]
    name = 'q"u\\ote\t\u00e9\u00ff'  # the UTF-8 e-acute kept, the byte 0xff as U+00FF
    check(j["groups"] == 4 and all(list(x) == ["sk", "size", name + "_sum", name + "_max"] for x in rows),
          "JSON names: %r" % rows)
    check(sorted(x["sk"] for x in rows) == sorted(['a"b', "\u00ff\x01", "a\\", "\u00e9"]), "JSON string keys: %r" % rows)
    vals = {x["sk"]: x[name + "_max"] for x in rows}
    check(vals['a"b'] == 1 and vals["\u00ff\x01"] == np.inf and vals["a\\"] == -np.inf and np.isnan(vals["\u00e9"]),
          "NaN, inf, -inf apart in JSON: %r" % vals)

# Empty datasets: no group, no crash, at every rank count (one of the defects of issue #21).
with h5py.File(f, "a") as h:
    h["ek"] = np.zeros(0, dtype=np.int64)
    h["ev"] = np.zeros(0)
for np_ in (1, NPS[-1]):
    r = groupby(["--keys", d("ek"), "--values", d("ev"), "--agg", "count,sum,median,nunique"], np_)
    check(r.rc == 0 and r.out.strip() == "ek,size,ev_count,ev_sum,ev_median,ev_nunique", "empty datasets: %r" % r.out)

# Bad inputs: one error line, the same exit code everywhere, no output.
np_ = NPS[-1]
r = groupby(["--keys", d("uni"), "--values", d("short")], np_, 2)
expect_exit(r, 2, "cohort-groupby", "mismatched lengths", ["short"])
r = groupby(["--keys", d("one"), "--values", d("big")], np_, 2)
expect_exit(r, 2, "cohort-groupby", "an int64 overflow", ["overflow"])
r = groupby(["--keys", d("uni"), "--values", d("x"), "--agg", "count,mode"], np_, 1)
expect_exit(r, 1, "cohort-groupby", "an unknown aggregate", ["--agg"])
r = run("cohort-groupby", ["--keys", d("uni"), "--values", d("short"), "--output", os.path.join(tmp, "bad.h5") + ":/g"], np_=np_)
check(not os.path.exists(os.path.join(tmp, "bad.h5")), "no output after a failure")
# A wide result (a 2-D value dataset of 6 columns, 4 aggregates: 20 columns) as an HDF5 group and a
# pandas table: the table's agreement hash once overflowed int64 (found by tests/test_fuzz.py; the
# sanitizer build reports it).
wide = os.path.join(tmp, "wide.h5")
with h5py.File(wide, "w") as h:
    h["k"] = np.arange(40) % 4
    h["m"] = np.arange(240.0).reshape(40, 6)
r = run("cohort-groupby", ["--keys", wide + ":/k", "--values", wide + ":/m", "--agg", "size,sum,median,nunique", "-o",
                           os.path.join(tmp, "wide-out.h5") + ":/g"], np_=NPS[-1])
expect_exit(r, 0, "cohort-groupby", "a 20-column result")
if r.rc == 0:
    got = pd.read_hdf(os.path.join(tmp, "wide-out.h5"), "/g/table")
    check(got.shape == (4, 21) and list(got["c0_sum"]) == [float(sum(6 * i for i in range(40) if i % 4 == g))
                                                           for g in range(4)],
          "a wide pandas table: %s %s" % (got.shape, list(got.columns)))
# More columns than cohort_groupby takes (64 values, 16 keys), from 2-D inputs: the files' doing, exit 2.
with h5py.File(wide, "a") as h:
    h["m70"] = np.zeros((40, 70))
    h["k17"] = np.zeros((40, 17), dtype=np.int64)
r = run("cohort-groupby", ["--keys", wide + ":/k", "--values", wide + ":/m70"], np_=NPS[-1])
expect_exit(r, 2, "cohort-groupby", "70 value columns", ["m70 has 70 value columns", "at most 64"])
r = run("cohort-groupby", ["--keys", wide + ":/k17", "--values", wide + ":/m"], np_=NPS[0])
expect_exit(r, 2, "cohort-groupby", "17 key columns", ["k17 has 17 key columns", "at most 16"])
# Names are never cut (issue #21 item 13): two value columns whose names share 63 characters stay
# two result columns, and a compound member of 100 characters keeps its name.
lp = os.path.join(tmp, "long.h5")
p63 = "p" * 63
lt = np.zeros(10, dtype=[("m" * 100 + "a", "<f8"), ("m" * 100 + "b", "<f8"), ("k", "<i4")])
lt["m" * 100 + "b"], lt["k"] = np.arange(10.0), np.arange(10) % 2
with h5py.File(lp, "w") as h:
    h["k"] = np.arange(10) % 3
    h[p63 + "1"], h[p63 + "2"] = np.arange(10.0), np.arange(10.0) * 2
    h["t"] = lt
r = groupby(["--keys", lp + ":/k", "--values", lp + ":/" + p63 + "1", "--values", lp + ":/" + p63 + "2", "--agg",
             "sum"], NPS[-1])
if r.rc == 0:
    got = pd.read_csv(io.StringIO(r.out))
    check(list(got.columns) == ["k", "size", p63 + "1_sum", p63 + "2_sum"] and
          list(got[p63 + "2_sum"]) == [2 * v for v in got[p63 + "1_sum"]], "63-character prefixes: %s" % list(got.columns))
r = groupby(["--keys", lp + ":/t#k", "--values", lp + ":/t#" + "m" * 100 + "b", "--agg", "sum"], NPS[0])
if r.rc == 0:
    got = pd.read_csv(io.StringIO(r.out))
    check(list(got.columns) == ["k", "size", "m" * 100 + "b_sum"] and list(got.iloc[:, 2]) == [20.0, 25.0],
          "a 100-character member: %s" % list(got.columns))
finish()

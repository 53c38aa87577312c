#!/usr/bin/env python3
"""pandas.read_hdf on the programs' tabular outputs: cohort-groupby's results,
cohort-sort's keys with payloads and index (--pandas), cohort-stats' per-column
table; the same DataFrame as the program's CSV or datasets (names, dtypes,
values), at 1-4 ranks; non-ASCII and backslash column names (pickled by hand);
an empty table; and the attributes are the ones pandas itself writes for the
same frame (DataFrame.to_hdf(format="table", data_columns=True))."""
import io
import os
import pickle
import warnings

import h5py
import numpy as np
import pandas as pd

from apptest import NPS, check, expect_exit, finish, run, tempdir

warnings.simplefilter("ignore")  # PyTables on names that are not Python identifiers
tmp = tempdir("cohort-pandas-")
f = os.path.join(tmp, "d.h5")
rng = np.random.default_rng(11)
n = 5003
words = np.array(["", "a", "caf\u00e9", "kiwi", "z" * 40], dtype=object)
with h5py.File(f, "w") as h:
    h["k"] = rng.integers(-5, 5, n)
    h["s"] = words[rng.integers(0, 5, n)].astype(h5py.string_dtype())
    h["temp\u00e9rature"] = rng.normal(size=n)
    h["a\\b"] = rng.integers(0, 100, n).astype(np.int32)
    h["f32"] = rng.normal(size=n).astype(np.float32)
    h["none"] = np.zeros(0)
    h["table"] = rng.integers(0, 3, n)  # a key named as pandas' table
with h5py.File(f, "r") as h:
    K, T, AB, F32 = h["k"][...], h["temp\u00e9rature"][...], h["a\\b"][...], h["f32"][...]
    STR = np.array([v.decode() for v in h["s"][...]], dtype=object)


def d(name):
    return "%s:/%s" % (f, name)


def same_frame(got, want, what):
    ok = list(got.columns) == list(want.columns) and len(got) == len(want)
    for c in want.columns if ok else []:
        a, b = got[c].to_numpy(), want[c].to_numpy()
        if a.dtype.kind == "f" or b.dtype.kind == "f":
            ok = ok and np.allclose(a.astype(float), b.astype(float), rtol=1e-12, equal_nan=True)
        else:
            ok = ok and list(a) == list(b)
    check(ok, "%s:\n%s\nwant\n%s" % (what, got.head(), want.head()))
    check(list(got.index) == list(range(len(got))), "%s: index 0..n-1" % what)


# group-by: string and integer keys, non-ASCII and backslash names; read_hdf equals the CSV.
for np_ in NPS:
    out = os.path.join(tmp, "g%d.h5" % np_)
    args = ["--keys", d("s"), "--keys", d("k"), "--values", d("temp\u00e9rature"), "--values", d("a\\b"),
            "--agg", "size,sum,min,mean", "--output", out + ":/res/by"]
    r = run("cohort-groupby", args, np_=np_)
    expect_exit(r, 0, "cohort-groupby", "group-by output at %d ranks" % np_)
    got = pd.read_hdf(out, "/res/by")
    csv = pd.read_csv(io.StringIO(run("cohort-groupby", args[:-2] + ["--format", "csv"], np_=np_).out),
                      keep_default_na=False, float_precision="round_trip")
    same_frame(got, csv, "pandas.read_hdf of cohort-groupby's output at %d ranks" % np_)
    ref = pd.DataFrame({"s": STR, "k": K, "t": T, "ab": AB}).groupby(["s", "k"]).agg(
        size=("t", "size"), ab_sum=("ab", "sum")).reset_index()
    check(list(got["s"]) == list(ref["s"]) and list(got["k"]) == list(ref["k"]) and
          list(got["size"]) == list(ref["size"]) and list(got["a\\b_sum"]) == list(ref["ab_sum"]),
          "group-by table against pandas' own group-by at %d ranks" % np_)
    check(str(got["k"].dtype) == "int64" and str(got["a\\b_min"].dtype) == "int32" and got["s"].dtype == object,
          "dtypes kept: %s" % dict(got.dtypes))

# The attributes pandas reads are the ones it writes itself for the same frame.
mine = os.path.join(tmp, "g%d.h5" % NPS[-1])
theirs = os.path.join(tmp, "theirs.h5")
pd.read_hdf(mine, "/res/by").to_hdf(theirs, key="/res/by", format="table", data_columns=True, mode="w")


def attrs(path, obj):
    with h5py.File(path, "r") as h:
        out = {}
        for k, v in h[obj].attrs.items():
            if isinstance(v, bytes) and v.endswith(b"."):
                v = pickle.loads(v)
            elif isinstance(v, bytes):
                v = v.decode()
            out[k] = v.item() if hasattr(v, "item") and np.ndim(v) == 0 else v
        return out


for obj in ("/res/by", "/res/by/table"):
    a, b = attrs(mine, obj), attrs(theirs, obj)
    # TITLE (empty) and the FIELD_*_FILL defaults are PyTables' own, unread by pandas.
    b = {k: v for k, v in b.items() if k != "TITLE" and not k.endswith("_FILL")}
    a.pop("TITLE", None)
    diff = {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if str(a.get(k)) != str(b.get(k))}
    # pandas writes the strings' width into their dtype name; ours is the column's
    check(not {k for k in diff if not k.endswith("_dtype")}, "%s: attributes differ from pandas': %s" % (obj, diff))

# sort --pandas: keys, payloads (a compound member among them) and the index.
for np_ in NPS:
    out = os.path.join(tmp, "s%d.h5" % np_)
    r = run("cohort-sort", ["--input", d("s"), "--with", d("temp\u00e9rature"), "--with", d("f32"), "--index", "row",
                            "--output", out + ":/sorted/s", "--pandas", "/sorted"], np_=np_)
    expect_exit(r, 0, "cohort-sort", "sort --pandas at %d ranks" % np_)
    got = pd.read_hdf(out, "/sorted")
    order = np.argsort(np.array([w.encode() for w in STR], dtype=object), kind="stable")
    want = pd.DataFrame({"s": STR[order], "temp\u00e9rature": T[order], "f32": F32[order], "row": order.astype(np.int64)})
    same_frame(got, want, "pandas.read_hdf of cohort-sort --pandas at %d ranks" % np_)
    check(str(got["f32"].dtype) == "float32", "float32 payload kept: %s" % got["f32"].dtype)
    with h5py.File(out, "r") as h:
        check(list(h["sorted/s"][...]) == [w.encode() for w in STR[order]], "the datasets still beside the table")
r = run("cohort-sort", ["--input", d("k"), "--output", os.path.join(tmp, "x.h5") + ":/k", "--pandas", "nogroup"])
expect_exit(r, 1, "cohort-sort", "--pandas without a leading slash")

# stats: the per-column table.
for np_ in NPS:
    out = os.path.join(tmp, "st%d.h5" % np_)
    r = run("cohort-stats", ["--input", d("temp\u00e9rature"), "--input", d("a\\b"), "--output", out + ":/st"], np_=np_)
    expect_exit(r, 0, "cohort-stats", "stats output at %d ranks" % np_)
    got = pd.read_hdf(out, "/st")
    check(list(got["names"]) == ["temp\u00e9rature", "a\\b"] and list(got["count"]) == [n, n] and
          np.allclose(got["mean"], [T.mean(), AB.mean()], rtol=1e-13) and
          np.allclose(got["std"], [T.std(ddof=1), AB.std(ddof=1)], rtol=1e-12) and
          list(got["max"]) == [T.max(), AB.max()], "pandas.read_hdf of cohort-stats' table at %d ranks:\n%s" % (np_, got))

# A column named "table" takes the name pandas' table needs: the datasets are written, with a note.
out = os.path.join(tmp, "clash.h5")
r = run("cohort-groupby", ["--keys", d("table"), "--values", d("k"), "--agg", "sum", "--output", out + ":/c"])
expect_exit(r, 0, "cohort-groupby", "a key named table")
check("no pandas table written" in r.err, "the clash is noted: %s" % r.err)
with h5py.File(out, "r") as h:
    check(sorted(h["c"].keys()) == ["k_sum", "size", "table"] and list(h["c/table"][...]) == [0, 1, 2],
          "the key dataset named table is the key: %s" % list(h["c"].keys()))

# An empty result: a table of no rows, with its columns.
out = os.path.join(tmp, "empty.h5")
r = run("cohort-groupby", ["--keys", d("none"), "--values", d("none"), "--agg", "size,sum", "--output", out + ":/e"],
        np_=NPS[-1])
expect_exit(r, 0, "cohort-groupby", "an empty group-by")
got = pd.read_hdf(out, "/e")
check(len(got) == 0 and list(got.columns) == ["none", "size", "none_sum"], "empty table: %s" % got)
finish()

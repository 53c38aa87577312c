#!/usr/bin/env python3
"""Real files as simulations and archives write them: the CF conventions of
netCDF-4 (files written by Debian's netCDF4-python, the oracle being what
netCDF4-python itself reads back, masked and unpacked) and of HDF5 files
written by other tools (h5py with a _FillValue attribute), through every
program, at every rank count; --raw; cohort-info's account of them; and the
dataset-reference spellings of h5ls and h5dump."""
import math
import os

import h5py
import netCDF4
import numpy as np

from apptest import NPS, check, expect_exit, finish, loads, run, tempdir

tmp = tempdir("cohort-cf-")
rng = np.random.default_rng(20)
n = 5003

# ---- fixtures -------------------------------------------------------------
nc = os.path.join(tmp, "sim.nc")
with netCDF4.Dataset(nc, "w") as d:
    d.createDimension("t", n)
    # a float with a fill value: the issue's case (mean 5.0, not -54.9)
    x = d.createVariable("x", "f8", ("t",), fill_value=-999.0)
    xv = rng.normal(5.0, 1.0, n)
    x[:] = np.ma.masked_array(xv, mask=rng.random(n) < 0.06)
    # packed: int16 with scale_factor, add_offset and a fill value, big-endian
    p = d.createVariable("p", "i2", ("t",), fill_value=-32767, endian="big")
    p.scale_factor = 0.01
    p.add_offset = 273.15
    p.set_auto_maskandscale(False)
    raw = rng.integers(-3000, 3000, n).astype("i2")
    raw[::37] = -32767
    p[:] = raw
    # missing_value (two of them) and a valid range on an integer key
    k = d.createVariable("k", "i4", ("t",))
    k.missing_value = np.array([3, 7], dtype="i4")
    k.valid_range = np.array([0, 9], dtype="i4")
    k.set_auto_maskandscale(False)
    k[:] = rng.integers(-1, 12, n).astype("i4")
    # netCDF-3's unsigned bytes
    u = d.createVariable("u", "i1", ("t",))
    u._Unsigned = "true"
    u.set_auto_maskandscale(False)
    u[:] = rng.integers(-128, 128, n).astype("i1")
    # packed in 2-D (time x station), as netCDF archives store fields: int16 values unpack
    # to float64 in place, the columns staged packed at 2 bytes (a tiled split once laid
    # them 8 bytes apart, and the unpacking read neighbours' bytes)
    d.createDimension("station", 4)
    g = d.createVariable("grid", "i2", ("t", "station"), fill_value=-32767)
    g.scale_factor = 0.5
    g.add_offset = -10.0
    g.set_auto_maskandscale(False)
    graw = rng.integers(-3000, 3000, (n, 4)).astype("i2")
    graw[::29, 2] = -32767
    g[:] = graw
    # a float32 with valid_min/valid_max only
    f = d.createVariable("f", "f4", ("t",))
    f.valid_min = np.float32(-1.0)
    f.valid_max = np.float32(1.0)
    f.set_auto_maskandscale(False)
    f[:] = rng.normal(0, 1, n).astype("f4")


def decoded(path, name):
    """What netCDF4-python reads: masked and unpacked, missing as NaN."""
    with netCDF4.Dataset(path) as d:
        v = d[name][:]
    return np.ma.filled(np.ma.asarray(v).astype(np.float64), np.nan)


def stored(path, name):
    with h5py.File(path, "r") as h:
        return h[name][...]


ref = lambda name: "%s:/%s" % (nc, name)
want = {v: decoded(nc, v) for v in ("x", "p", "k", "u", "f")}
check(abs(np.nanmean(want["x"]) - 5.0) < 0.1, "fixture: x's mean near 5")


def stats(r, what):
    expect_exit(r, 0, "cohort-stats", what)
    return loads(r.out)["columns"] if r.rc == 0 else []


def same_stats(col, v, what):
    fin = v[~np.isnan(v)]
    check(col["count"] == fin.size and col["nan"] == v.size - fin.size,
          "%s: count %s nan %s, netCDF4-python %d %d" % (what, col["count"], col["nan"], fin.size, v.size - fin.size))
    check(col["min"] == fin.min() and col["max"] == fin.max(), "%s: min/max %s %s vs %s %s" %
          (what, col["min"], col["max"], fin.min(), fin.max()))
    # cohort-stats' default mean (Welford's, merged over ranks) is within a
    # few ulps of the data's magnitude, not of a mean near zero
    exact = math.fsum(fin) / fin.size
    check(abs(col["mean"] - exact) <= 8 * np.finfo(float).eps * np.abs(fin).max(),
          "%s: mean %r vs %r" % (what, col["mean"], exact))


# ---- every program reads what netCDF4-python reads -------------------------
for np_ in NPS:
    for name in ("x", "p", "k", "u", "f"):
        cols = stats(run("cohort-stats", ["--input", ref(name), "--format", "json"], np_=np_), "stats %s" % name)
        if cols:
            same_stats(cols[0], want[name], "stats %s at %d ranks" % (name, np_))
    # the histogram counts missing values apart, as NaN
    r = run("cohort-hist", ["--input", ref("p"), "--bins", "7", "--format", "json"], np_=np_)
    expect_exit(r, 0, "cohort-hist", "hist p")
    if r.rc == 0:
        j = loads(r.out)
        v = want["p"]
        c, e = np.histogram(v[~np.isnan(v)], bins=7)
        check(j["counts"] == c.tolist() and j["nan"] == int(np.isnan(v).sum()) and j["total"] == n,
              "hist p at %d ranks: %s nan %s, numpy %s nan %d" % (np_, j["counts"], j["nan"], c.tolist(),
                                                                  np.isnan(v).sum()))
        check(np.array_equal(j["edges"], e), "hist p edges at %d ranks" % np_)
    # quantiles skip missing values, as np.nanquantile
    qs = [0, 0.1, 0.5, 0.9, 1]
    r = run("cohort-quantile", ["--input", ref("p"), "--q", ",".join(map(str, qs)), "--format", "json"], np_=np_)
    expect_exit(r, 0, "cohort-quantile", "quantile p")
    if r.rc == 0:
        check(loads(r.out)["values"] == np.nanquantile(want["p"], qs).tolist(), "quantile p at %d ranks" % np_)
    # the sort writes unpacked values, missing (NaN) last
    out = os.path.join(tmp, "s%d.h5" % np_)
    r = run("cohort-sort", ["--input", ref("p"), "--output", out + ":/s", "--with", ref("x")], np_=np_)
    expect_exit(r, 0, "cohort-sort", "sort p")
    if r.rc == 0:
        s, x = stored(out, "s"), stored(out, "x")
        order = np.argsort(want["p"], kind="stable")
        check(s.dtype == np.float64 and np.array_equal(s, want["p"][order], equal_nan=True),
              "sort p at %d ranks: the unpacked values in order, NaN last" % np_)
        check(np.array_equal(x, want["x"][order], equal_nan=True), "sort p's payload x at %d ranks" % np_)
    # group-by: rows whose key is missing are dropped (as pandas' dropna)
    r = run("cohort-groupby", ["--keys", ref("k"), "--values", ref("p"), "--agg", "count,sum", "--format", "csv"],
            np_=np_)
    expect_exit(r, 0, "cohort-groupby", "groupby k")
    if r.rc == 0:
        lines = r.out.strip().splitlines()
        got = {float(l.split(",")[0]): (int(l.split(",")[2]), float(l.split(",")[3])) for l in lines[1:]}
        kk, pp = want["k"], want["p"]
        exp = {}
        for key in np.unique(kk[~np.isnan(kk)]):
            sel = pp[(kk == key) & ~np.isnan(pp)]
            exp[float(key)] = (sel.size, math.fsum(sel))
        check(sorted(got) == sorted(exp) and all(got[g][0] == exp[g][0] and math.isclose(got[g][1], exp[g][1],
                                                                                         rel_tol=1e-15)
                                                 for g in exp),
              "groupby k at %d ranks: %s vs %s" % (np_, lines[:4], sorted(exp.items())[:3]))

# ---- --raw: the stored values ----------------------------------------------
cols = stats(run("cohort-stats", ["--input", ref("p"), "--raw", "--format", "json"], np_=NPS[-1]), "stats --raw")
if cols:
    same_stats(cols[0], stored(nc, "p").astype(np.float64), "stats p --raw")
out = os.path.join(tmp, "raw.h5")
r = run("cohort-sort", ["--input", ref("u"), "--output", out + ":/s", "--raw"], np_=NPS[-1])
expect_exit(r, 0, "cohort-sort", "sort --raw")
if r.rc == 0:
    s = stored(out, "s")
    check(s.dtype == np.int8 and np.array_equal(s, np.sort(stored(nc, "u"))), "sort u --raw: the stored int8 values")
r = run("cohort-sort", ["--input", ref("u"), "--output", out + ":/s", "--force"], np_=NPS[-1])
if r.rc == 0:
    s = stored(out, "s")
    check(s.dtype == np.uint8 and np.array_equal(s, np.sort(stored(nc, "u").view(np.uint8))),
          "sort u: _Unsigned bytes sorted as uint8")

# ---- cohort-info says what applies -------------------------------------------
r = run("cohort-info", ["--format", "json", nc], np_=1)
expect_exit(r, 0, "cohort-info", "info")
if r.rc == 0:
    ds = {d["path"]: d for d in loads(r.out)["files"][0]["datasets"]}
    check(ds["/p"]["cf"] == {"_FillValue": -32767, "scale_factor": 0.01, "add_offset": 273.15, "read_as": "double"},
          "info /p: %s" % ds["/p"].get("cf"))
    check(ds["/k"]["cf"] == {"valid_min": 0, "valid_max": 9, "missing_value": [3, 7], "read_as": "double"},
          "info /k: %s" % ds["/k"].get("cf"))
    check(ds["/u"]["cf"] == {"_Unsigned": True, "read_as": "uint8"}, "info /u: %s" % ds["/u"].get("cf"))
    check(ds["/f"]["cf"]["read_as"] == "float", "info /f keeps float32: %s" % ds["/f"].get("cf"))
    check(ds["/t"]["cf"] is None, "info /t: no conventions")
r = run("cohort-info", [nc], np_=1)
check("_FillValue -32767, scale_factor 0.01, add_offset 273.15; read as double" in r.out, "info text:\n" + r.out)

# ---- HDF5 files written by other tools ----------------------------------------
h5 = os.path.join(tmp, "other.h5")
big = -(2 ** 63) + 1
with h5py.File(h5, "w") as h:
    a = rng.normal(size=(n, 3))
    a[::11, 1] = -1e30
    d = h.create_dataset("table", data=a)
    d.attrs["_FillValue"] = -1e30                    # 2-D: every column
    d = h.create_dataset("f32", data=np.where(rng.random(n) < 0.1, np.float32(-9999), rng.normal(size=n)).astype("f4"))
    d.attrs["_FillValue"] = np.float32(-9999)
    i64 = rng.integers(-5, 5, n).astype(np.int64)
    i64[::3] = big
    i64[1::3] = big + 1                              # one apart: the same double, not the fill value
    d = h.create_dataset("i64", data=i64)
    d.attrs["_FillValue"] = np.int64(big)
    d = h.create_dataset("inexact", data=np.arange(n, dtype=np.int32))
    d.attrs["_FillValue"] = -999.5                   # no int32 holds it: ignored
    d = h.create_dataset("strfill", data=np.arange(n, dtype=np.float64))
    d.attrs["_FillValue"] = "none"                   # not a number: ignored
cols = stats(run("cohort-stats", ["--input", h5 + ":/table", "--format", "json"], np_=NPS[-1]), "stats table")
for j, col in enumerate(cols):
    v = a[:, j].copy()
    v[v == -1e30] = np.nan
    same_stats(col, v, "2-D table column %d" % j)
for np_ in NPS:
    cols = stats(run("cohort-stats", ["--input", nc + ":/grid", "--format", "json"], np_=np_), "stats grid")
    for j, col in enumerate(cols or []):
        same_stats(col, decoded(nc, "grid")[:, j], "packed 2-D column %d at %d ranks" % (j, np_))
cols = stats(run("cohort-stats", ["--input", h5 + ":/f32", "--format", "json"], np_=NPS[-1]), "stats f32")
if cols:
    v = stored(h5, "f32").astype(np.float64)
    v[v == -9999] = np.nan
    same_stats(cols[0], v, "float32 with _FillValue")
cols = stats(run("cohort-stats", ["--input", h5 + ":/i64", "--format", "json"], np_=NPS[-1]), "stats i64")
if cols:
    check(cols[0]["nan"] == (n + 2) // 3 and cols[0]["count"] == n - (n + 2) // 3,
          "int64 fill compared exactly: nan %s count %s" % (cols[0]["nan"], cols[0]["count"]))
for name in ("inexact", "strfill"):
    cols = stats(run("cohort-stats", ["--input", h5 + ":/" + name, "--format", "json"], np_=1), "stats " + name)
    if cols:
        check(cols[0]["nan"] == 0 and cols[0]["count"] == n, "%s: an unusable _FillValue is ignored" % name)

# ---- a glob whose files pack differently ---------------------------------------
parts = []
for i, (scale, off, fill) in enumerate([(0.5, 10.0, -1), (0.25, -3.0, 99)]):
    path = os.path.join(tmp, "part-%d.nc" % i)
    with netCDF4.Dataset(path, "w") as d:
        d.createDimension("t", 1000 + i)
        v = d.createVariable("v", "i2", ("t",), fill_value=fill)
        v.scale_factor, v.add_offset = scale, off
        v.set_auto_maskandscale(False)
        s_ = rng.integers(-100, 100, 1000 + i).astype("i2")
        s_[::5] = fill
        v[:] = s_
    parts.append(decoded(path, "v"))
for np_ in sorted({NPS[0], NPS[-1]}):
    cols = stats(run("cohort-stats", ["--input", os.path.join(tmp, "part-*.nc") + ":/v", "--format", "json"],
                     np_=np_), "stats glob")
    if cols:
        same_stats(cols[0], np.concatenate(parts), "glob of differently packed files at %d ranks" % np_)

# ---- the spellings of h5ls and h5dump ---------------------------------------------
for spelling in (nc + ":x", nc + "/x", nc + ":/x"):
    cols = stats(run("cohort-stats", ["--input", spelling, "--format", "json"], np_=NPS[-1]), spelling)
    if cols:
        same_stats(cols[0], want["x"], "reference %s" % spelling)
missing = os.path.join(tmp, "nope.h5")
r = run("cohort-stats", ["--input", missing + "/x"], np_=2)
expect_exit(r, 2, "cohort-stats", "a missing file, h5ls style", ["no such file", "FILE:/path/to/dataset"])
r = run("cohort-stats", ["--input", nc], np_=2)
expect_exit(r, 1, "cohort-stats", "a file without a dataset", ["names no dataset", nc + ":/path/to/dataset"])
r = run("cohort-sort", ["--input", ref("x"), "--output", os.path.join(tmp, "new.h5") + "/s"], np_=2)
expect_exit(r, 1, "cohort-sort", "an h5ls-style output", [os.path.join(tmp, "new.h5") + ":/s"])
check(not os.path.exists(os.path.join(tmp, "new.h5")), "nothing written for a refused output")
finish()

#!/usr/bin/env python3
"""cohort-reduce against xarray (Debian's python3-xarray, reading through
netCDF4-python): a (time, lat, lon) netCDF-4 field with a fill value and a
cell whose values are all missing, reduced over time, over (lat, lon), over
every dimension and over axis numbers; a packed int16 variable; a 4-D
variable reduced over two dimensions that are not adjacent; an h5py 3-D
dataset without dimension scales; a 2-D table; at every rank count, with
xarray opening each output on its coordinates; --reproducible's bits at every
rank count; bad --over lists."""
import os

import h5py
import netCDF4
import numpy as np
import xarray as xr

from apptest import NPS, check, expect_exit, finish, run, tempdir

tmp = tempdir("cohort-reduce-")
rng = np.random.default_rng(11)
nc = os.path.join(tmp, "field.nc")
T, Y, X = 13, 7, 9
with netCDF4.Dataset(nc, "w") as d:
    for name, n in (("time", T), ("lat", Y), ("lon", X)):
        d.createDimension(name, n)
    d.createVariable("time", "f8", ("time",))[:] = np.arange(T) * 6.0
    d.createVariable("lat", "f4", ("lat",))[:] = np.linspace(-80, 80, Y)
    d.createVariable("lon", "f4", ("lon",))[:] = np.arange(X) * 40.0
    tas = d.createVariable("tas", "f4", ("time", "lat", "lon"), fill_value=np.float32(-1e20), chunksizes=(4, 7, 3))
    a = rng.normal(280, 15, (T, Y, X)).astype("f4")
    mask = rng.random((T, Y, X)) < 0.05
    mask[:, 2, 3] = True  # one cell missing at every time
    tas[:] = np.ma.masked_array(a, mask=mask)
    pr = d.createVariable("pr", "i2", ("time", "lat", "lon"), fill_value=-32767)
    pr.scale_factor, pr.add_offset = 0.001, 5.0
    pr[:] = rng.uniform(0, 20, (T, Y, X))
    d.createDimension("lev", 4)
    d.createVariable("lev", "f8", ("lev",))[:] = [1000.0, 850.0, 500.0, 250.0]
    d.createVariable("ta", "f8", ("time", "lev", "lat", "lon"))[:] = rng.normal(size=(T, 4, Y, X))

ds = xr.open_dataset(nc)
# xarray unpacks int16 into float32; Cohort (and netCDF4-python with a float64
# scale_factor) into float64: the oracle unpacks in float64, as the CF
# conventions write it.
raw = xr.open_dataset(nc, mask_and_scale=False)["pr"]
ds["pr"] = xr.where(raw == -32767, np.nan, raw.astype("f8") * 0.001 + 5.0)
AGGS = "count,sum,mean,min,max,var,std,median"


def reduce(var, over, out, np_, extra=()):
    r = run("cohort-reduce", ["--input", "%s:/%s" % (nc, var), "--over", over, "--agg", AGGS, "--output",
                              out + ":/r", "--force"] + list(extra), np_=np_)
    expect_exit(r, 0, "cohort-reduce", "reduce %s over %s at %d ranks" % (var, over, np_))
    return r.rc == 0


def same(got, want, exact):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return False
    if exact:
        return np.array_equal(got, want, equal_nan=True)
    return np.allclose(got, want, rtol=1e-13, atol=0, equal_nan=True)


def compare(out, var, dims, what):
    """Every aggregate equals xarray's (float64, skipna, ddof 1), on xarray's coordinates."""
    v = ds[var].astype("f8")
    r = xr.open_dataset(out, group="r")
    want = {"count": v.count(dims), "sum": v.sum(dims), "mean": v.mean(dims), "min": v.min(dims),
            "max": v.max(dims), "var": v.var(dims, ddof=1), "std": v.std(dims, ddof=1), "median": v.median(dims)}
    for agg, w in want.items():
        if agg not in r:
            check(False, "%s: no %s in the output (%s)" % (what, agg, list(r)))
            continue
        g = r[agg]
        if w.ndim == 0:
            check(g.shape == (1,) and same(g.values[0], w.values, agg in ("count", "min", "max", "median")),
                  "%s: %s %s vs %s" % (what, agg, g.values, w.values))
            continue
        check(g.dims == w.dims, "%s: %s dims %s, xarray %s" % (what, agg, g.dims, w.dims))
        check(same(g.values, w.values, agg in ("count", "min", "max", "median")),
              "%s: %s differs from xarray's (max diff %g)" % (what, agg, np.nanmax(np.abs(g.values - w.values))))
        for c in w.dims:  # the remaining coordinates, attached as dimension scales
            if c in ds.coords:
                check(c in g.coords and np.array_equal(g.coords[c].values, ds.coords[c].values),
                      "%s: %s lacks coordinate %s" % (what, agg, c))
    return r


for np_ in NPS:
    out = os.path.join(tmp, "t%d.h5" % np_)
    if reduce("tas", "time", out, np_):
        r = compare(out, "tas", ("time",), "tas over time at %d ranks" % np_)
        check(r["count"].values[2, 3] == 0 and r["sum"].values[2, 3] == 0 and np.isnan(r["mean"].values[2, 3])
              and np.isnan(r["min"].values[2, 3]), "an all-missing cell: count 0, sum 0, NaN elsewhere")
        check(r["min"].dtype == np.float32 and r["mean"].dtype == np.float64, "min keeps float32, mean float64")
    out = os.path.join(tmp, "f%d.h5" % np_)
    if reduce("tas", "lat,lon", out, np_):
        compare(out, "tas", ("lat", "lon"), "tas over lat,lon (fldmean) at %d ranks" % np_)
    out = os.path.join(tmp, "l%d.h5" % np_)
    if reduce("ta", "1,-1", out, np_):
        compare(out, "ta", ("lev", "lon"), "4-D ta over lev and lon (axes 1, -1) at %d ranks" % np_)
for np_ in sorted({NPS[0], NPS[-1]}):
    out = os.path.join(tmp, "a%d.h5" % np_)
    if reduce("pr", "time,lat,lon", out, np_):
        compare(out, "pr", ("time", "lat", "lon"), "packed pr over every dimension at %d ranks" % np_)

# --reproducible: the same bits at every rank count
bits = []
for np_ in NPS:
    out = os.path.join(tmp, "rep%d.h5" % np_)
    if reduce("tas", "time,lon", out, np_, ["--reproducible"]):
        with h5py.File(out, "r") as h:
            bits.append([h["r/" + a][...].tobytes() for a in ("sum", "mean", "var", "std")])
check(len(bits) == len(NPS) and all(b == bits[0] for b in bits), "--reproducible: identical bits at %s ranks" % NPS)

# An HDF5 3-D dataset without dimension scales, and a 2-D table
h5 = os.path.join(tmp, "plain.h5")
cube = rng.normal(size=(6, 5, 4))
cube[1, :, 2] = np.nan
tab = rng.integers(-50, 50, (11, 3)).astype(np.int32)
with h5py.File(h5, "w") as h:
    h["cube"] = cube
    h["tab"] = tab
for np_ in sorted({NPS[0], NPS[-1]}):
    out = os.path.join(tmp, "p%d.h5" % np_)
    r = run("cohort-reduce", ["-i", h5 + ":/cube", "--over", "phony_dim_0,2", "--agg", "count,mean,max", "-o",
                              out + ":/r", "--force"], np_=np_)
    expect_exit(r, 0, "cohort-reduce", "h5py cube")
    if r.rc == 0:
        with h5py.File(out, "r") as h:
            check(np.array_equal(h["r/count"][...], np.sum(~np.isnan(cube), axis=(0, 2))) and
                  np.allclose(h["r/mean"][...], np.nanmean(cube, axis=(0, 2)), rtol=1e-14) and
                  np.array_equal(h["r/max"][...], np.nanmax(cube, axis=(0, 2))), "h5py cube over axes 0 and 2")
    out = os.path.join(tmp, "tab%d.h5" % np_)
    r = run("cohort-reduce", ["-i", h5 + ":/tab", "--over", "1", "--agg", "sum,min", "-o", out + ":/r", "--force"],
            np_=np_)
    expect_exit(r, 0, "cohort-reduce", "2-D table")
    if r.rc == 0:
        with h5py.File(out, "r") as h:
            check(np.array_equal(h["r/sum"][...], tab.sum(axis=1)) and h["r/sum"].dtype == np.int64 and
                  np.array_equal(h["r/min"][...], tab.min(axis=1)) and h["r/min"].dtype == np.int32,
                  "2-D table over its columns: exact int64 sums, int32 minima")

# A 2-D field wider than a table may be (an unstructured grid's (time, ncells)): read as its
# values, reduced over either dimension (issue #21 item 8: the width was cast to int).
wide = rng.normal(size=(3, 70001))
with h5py.File(h5, "a") as h:
    h["wide"] = wide
for np_ in sorted({NPS[0], NPS[-1]}):
    for over, axis in (("0", 0), ("1", 1)):
        out = os.path.join(tmp, "wide%d.h5" % np_)
        r = run("cohort-reduce", ["-i", h5 + ":/wide", "--over", over, "--agg", "mean,max", "-o", out + ":/r",
                                  "--force"], np_=np_)
        expect_exit(r, 0, "cohort-reduce", "a 2-D field of 70001 columns over %s" % over)
        if r.rc == 0:
            with h5py.File(out, "r") as h:
                check(np.allclose(h["r/mean"][...], wide.mean(axis=axis), rtol=1e-13) and
                      np.array_equal(h["r/max"][...], wide.max(axis=axis)), "wide field over axis %d" % axis)

# Read as values too: a field of one row, and empty ones.  Reducing over a dimension of no
# extent is refused (xarray would give NaN cells, numpy's max an error); over the other
# dimension it gives no cells.  A dataset of no columns is no field.
with h5py.File(h5, "a") as h:
    h["one"] = wide[:1]
    h["empty"] = wide[:0]
    h["nocols"] = np.zeros((5, 0))
np_ = NPS[-1]
for var, over, axis in (("one", "0", 0), ("one", "1", 1), ("empty", "1", 1)):
    out = os.path.join(tmp, "flat.h5")
    r = run("cohort-reduce", ["-i", h5 + ":/" + var, "--over", over, "--agg", "count,mean,max", "-o", out + ":/r",
                              "--force"], np_=np_)
    expect_exit(r, 0, "cohort-reduce", "/%s over %s" % (var, over))
    if r.rc == 0:
        src = wide[:1] if var == "one" else wide[:0]
        with h5py.File(out, "r") as h:
            check(np.array_equal(h["r/count"][...], np.full(src.shape[1 - axis], src.shape[axis])) and
                  np.allclose(h["r/mean"][...], src.mean(axis=axis), rtol=1e-13) and
                  (src.size == 0 or np.array_equal(h["r/max"][...], src.max(axis=axis))) and
                  h["r/mean"].shape == (src.shape[1 - axis],), "/%s over axis %d: %s" % (var, axis, src.shape))
for var, over, needle in (("empty", "0", "has no extent"), ("nocols", "0", "no columns")):
    out = os.path.join(tmp, "flat_bad.h5")
    r = run("cohort-reduce", ["-i", h5 + ":/" + var, "--over", over, "-o", out + ":/r"], np_=np_)
    expect_exit(r, 2, "cohort-reduce", "/%s over %s" % (var, over), [needle])
    check(not os.path.exists(out), "nothing written for /%s" % var)

# Bad --over lists: one line naming the dimensions there are
for bad, needle in (("depth", "time, 1 lat, 2 lon"), ("time,time", "named twice"), ("3", "no dimension 3"),
                    ("", "at least one")):
    r = run("cohort-reduce", ["-i", nc + ":/tas", "--over", bad, "-o", os.path.join(tmp, "bad.h5") + ":/r"], np_=2)
    expect_exit(r, 1, "cohort-reduce", "--over %r" % bad, [needle])
check(not os.path.exists(os.path.join(tmp, "bad.h5")), "nothing written for a bad --over")
finish()

#!/usr/bin/env python3
"""cohort-hist and cohort-quantile against numpy (Debian's) on files written
by h5py: values exactly on edges, the closed last bin, out-of-range, NaN and
infinite values, constant data, integer, float32 and float64 inputs,
weights, density, cumulative, log and explicit edges, 2-D; quantiles at
q = 0, 1 and between for every method, with duplicates; the sketch within
its bound; the same output at every rank count; bad inputs."""
import os
from decimal import Decimal, getcontext

import h5py
import numpy as np
import xarray as xr

from apptest import loads, NPS, check, expect_exit, finish, run, tempdir

tmp = tempdir("cohort-hist-")
f = os.path.join(tmp, "d.h5")
rng = np.random.default_rng(11)
n = 20011
x = rng.normal(size=n)
x[::101] = np.nan
x[7::211] = np.inf
x[9::223] = -np.inf
x[11::17] = np.round(x[11::17] * 4) / 4  # many values exactly on edges of quarter-width bins
x[3] = 3.0  # exactly the last edge of the range (-3, 3)
fin = np.where(np.isfinite(x), x, 0.5)
with h5py.File(f, "w") as h:
    h["x"] = x
    h["fin"] = fin
    h["f32"] = fin.astype(np.float32)
    h["i"] = rng.integers(-1000, 1000, n)
    h["u8"] = rng.integers(0, 256, n).astype(np.uint8)
    h["const"] = np.full(n, 7.0)
    h["w"] = rng.random(n)
    h["y"] = rng.normal(size=n) * 2
    h["pos"] = np.abs(fin) + 1e-3
    h["dup"] = rng.integers(0, 5, n).astype(np.float64)
    h["huge"] = np.array([-1e308, 1e308, 0, 5e307, -1.7e308])  # max - min overflows a double
    h["c17"] = np.full(10, 1e17)  # constant, beyond where numpy's +-0.5 widens anything
    h["cmax"] = np.full(4, np.finfo(np.float64).max)
    h["f32max"] = np.array([-3e38, 3e38, 0, 1], dtype=np.float32)  # max - min overflows a float32
    h["winf"] = np.array([1, 2, 3, np.inf, -np.inf, np.nan])
    h["wnan"] = np.array([np.nan, 1, 2, 1, 1, 1])
    h["wide"] = rng.random((50, 9))  # more columns than a histogram has dimensions (8)


def hist(args, np_):
    r = run("cohort-hist", args + ["--format", "json"], np_=np_)
    expect_exit(r, 0, "cohort-hist", "cohort-hist %s at %d ranks" % (args, np_))
    return loads(r.out) if r.rc == 0 else None


def same(a, b):
    b = np.asarray(b)
    t = np.float32 if b.dtype == np.float32 else float  # float32 results print as the shortest float32 text
    a = np.asarray(a, dtype=t).ravel()
    b = b.astype(t).ravel()
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def d(name):
    return "%s:/%s" % (f, name)


with h5py.File(f, "r") as h:
    X = {k: h[k][...] for k in h}
ok_x = ~np.isnan(X["x"])
cases = [
    (["--input", d("x"), "--bins", "24", "--range", "-3:3"], lambda: np.histogram(X["x"][ok_x], 24, (-3, 3))),
    (["--input", d("fin"), "--bins", "17"], lambda: np.histogram(X["fin"], 17)),
    (["--input", d("f32"), "--bins", "13"], lambda: np.histogram(X["f32"], 13)),
    (["--input", d("f32"), "--bins", "9", "--range", "-1.1:2.3"], lambda: np.histogram(X["f32"], 9, (-1.1, 2.3))),
    (["--input", d("i"), "--bins", "33"], lambda: np.histogram(X["i"], 33)),
    (["--input", d("u8"), "--bins", "10", "--range", "10:200"], lambda: np.histogram(X["u8"], 10, (10, 200))),
    (["--input", d("const"), "--bins", "5"], lambda: np.histogram(X["const"], 5)),
    (["--input", d("x"), "--edges", "-5,-1,-1,0,0.25,3,10"],
     lambda: np.histogram(X["x"][ok_x], np.array([-5, -1, -1, 0, 0.25, 3, 10.0]))),
    (["--input", d("x"), "--bins", "12", "--range", "-3:3", "--density"],
     lambda: np.histogram(X["x"][ok_x], 12, (-3, 3), density=True)),
    (["--input", d("fin"), "--input", d("y"), "--bins", "6,5"],
     lambda: np.histogramdd(np.c_[X["fin"], X["y"]], (6, 5))),
    (["--input", d("x"), "--input", d("y"), "--bins", "4,7", "--range", "-2:2", "--range", "-4:5"],
     lambda: np.histogramdd(np.c_[X["x"], X["y"]][ok_x], (4, 7), [(-2, 2), (-4, 5)])),
]
for args, oracle in cases:
    want = oracle()
    outs = []
    for np_ in NPS:
        j = hist(args, np_)
        if j is None:
            continue
        outs.append(repr(j))
        counts, edges = want
        check(same(j["counts"], counts), "%s: counts differ from numpy at %d ranks" % (args, np_))
        if isinstance(edges, list):
            check(all(same(a, b) for a, b in zip(j["edges"], edges)), "%s: edges differ from numpy" % args)
        else:
            check(same(j["edges"], edges), "%s: edges differ from numpy at %d ranks" % (args, np_))
        check(j["total"] == n, "%s: total %d" % (args, j["total"]))
    check(len(set(outs)) == 1, "%s: output differs between rank counts" % args)

# Log bins, on any x86-64 CPU.  Cohort's rule (cohort.h): 10 ** linspace(log10(lo), log10(hi), n + 1), log10 and
# pow taken in long double, within an ulp of the exact edges.  numpy.logspace is not an oracle: np.power is not
# correctly rounded on AVX-512 CPUs, so its edges differ from libm's by an ulp there.  The edges are checked
# against exact ones (decimal, from correctly rounded log10 of the ends and numpy's linspace, which is plain
# IEEE arithmetic), and the counts against numpy's searchsorted over Cohort's own edges.
getcontext().prec = 50
for lo, hi, nb in ((0.01, 5, 8), (1e-300, 1e300, 37), (3, 3000.5, 100)):
    for np_ in (1, NPS[-1]):
        j = hist(["--input", d("pos"), "--bins", str(nb), "--range", "%r:%r" % (lo, hi), "--log"], np_)
        if j is None:
            continue
        e = np.linspace(float(Decimal(lo).log10()), float(Decimal(hi).log10()), nb + 1)
        exact = [Decimal(10) ** Decimal(float(k)) for k in e]
        got = np.array(j["edges"])
        check(all(abs(Decimal(float(g)) - x) <= 2 * Decimal(float(np.spacing(float(x)))) for g, x in zip(got, exact)),
              "log edges %r:%r within 2 ulps of exact: %s" % (lo, hi, got[:4]))
        check(same(j["counts"], np.histogram(X["pos"], got)[0]), "log bins %r:%r: counts as numpy over the edges" % (lo, hi))
        check(j["total"] == n, "log bins total")

# No row is ever lost: total == sum(counts) + nan + underflow + overflow, where the range's width overflows a
# double (numpy's own np.histogram fails with an IndexError on all of these), where constant values are too large
# for numpy's widening by 0.5, and where they cannot be widened at all (refused, exit 2).
for name, bins, want_edges in (("huge", 2, [-1.7e308, -0.35e308, 1e308]), ("huge", 50, None), ("c17", 3, None),
                               ("f32max", 2, None)):
    j = hist(["--input", d(name), "--bins", str(bins)], NPS[-1])
    if j is None:
        continue
    e = np.array(j["edges"])
    v = X[name].astype(np.float64)
    check(sum(j["counts"]) + j["nan"] + j["underflow"] + j["overflow"] == j["total"] == len(v),
          "%s, %d bins: rows lost: %s" % (name, bins, j))
    check(np.all(np.diff(e) > 0) and np.isfinite(e).all(), "%s: edges increase: %s" % (name, e))
    check(same(j["counts"], np.histogram(v, e)[0]), "%s: counts as searchsorted over the edges" % name)
    if want_edges:
        check(np.allclose(e, want_edges, rtol=1e-15, atol=0), "%s: edges %s" % (name, e))
r = run("cohort-hist", ["--input", d("cmax"), "--bins", "3"], np_=2)
expect_exit(r, 2, "cohort-hist", "a constant at DBL_MAX", ["give the range"])  # as a non-finite range: the data's
r = run("cohort-hist", ["--input", d("c17"), "--bins", "3", "--range", "-1e308:1e308", "--format", "json"], np_=2)
check(r.rc == 0 and loads(r.out)["counts"] == [0, 10, 0], "a given range wider than DBL_MAX: %s" % r.out)
# Infinite outer edges (numpy takes them), and a NaN weight, which makes its bin's sum NaN as numpy's bincount
# does (numpy's explicit-edge path sums cumulatively, so there the NaN spreads to every later bin: not copied).
j = hist(["--input", d("winf"), "--edges=-inf,0,1.5,inf"], 2)
check(j["counts"] == [1, 1, 3] and j["nan"] == 1 and j["edges"][0] == -np.inf and j["edges"][3] == np.inf,
      "infinite outer edges: %s" % j)
j = hist(["--input", d("winf"), "--edges=-inf,0,1.5,inf", "--density"], 2)
check(j["counts"][0] == 0 and j["counts"][2] == 0 and j["counts"][1] == 1 / 5 / 1.5, "density, infinite bins: %s" % j)
j = hist(["--input", d("winf"), "--weights", d("wnan"), "--edges=-inf,0,1.5,inf"], 3)
want, _ = np.histogram(X["winf"][:5], [-np.inf, 0, 1.5, np.inf], weights=X["wnan"][:5])
check(np.isnan(j["counts"][1]) and j["counts"][0] == 1 and j["counts"][2] == 4 and j["nan"] == 1,
      "a NaN weight makes its bin NaN (numpy: %s): %s" % (want, j))
j = hist(["--input", d("winf"), "--weights", d("wnan"), "--bins", "2", "--range", "0:4"], 2)
want, _ = np.histogram(X["winf"], 2, (0, 4), weights=X["wnan"])
check(same(j["counts"], want), "a NaN weight in uniform bins, as numpy's: %s vs %s" % (j["counts"], want))

# numpy's bin-count estimators (numpy/lib/tests/test_histograms.py's TestHistogramOptimBinNums checks each of them):
# the same number of bins, edges and counts as np.histogram(x, bins=name), with and without a range (numpy keeps
# the data within it), on normal, skewed, integer, float32, constant and tiny data.
est_data = {"fin": X["fin"], "i": X["i"], "f32": X["f32"], "const": X["const"]}
for name, v in est_data.items():
    for est in ("auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt"):
        for rg in (None, (-1.0, 2.5)) if name == "fin" else (None,):
            if est == "stone" and name != "fin":
                continue  # one histogram per candidate count: one data set suffices
            j = hist(["--input", d(name), "--bins", est] + (["--range", "%r:%r" % rg] if rg else []), NPS[-1])
            with np.errstate(all="ignore"):
                c, e = np.histogram(v, bins=est, range=rg)
            check(j is not None and same(j["edges"], e) and j["counts"] == list(c),
                  "--bins %s of %s (range %s): %d bins, numpy %d" % (est, name, rg, len(j["counts"]) if j else -1, len(c)))
# Per dimension in N-D: explicit edges for one dimension, uniform bins for the other (np.histogramdd's bins=[E, n]).
j = hist(["--input", d("fin"), "--input", d("y"), "--edges", "0=-3,-1,0,0.5,3", "--bins", "4,6", "--range", "-3:3",
          "--range", "-5:5"], 2)
want, wedges = np.histogramdd(np.c_[X["fin"], X["y"]], [np.array([-3, -1, 0, 0.5, 3.0]), 6], [(-3, 3), (-5, 5)])
check(j is not None and same(j["counts"], want) and same(j["edges"][1], wedges[1]) and len(j["counts"]) == 4,
      "per-dimension edges and bins: %s" % (j and j["counts"]))
r = run("cohort-hist", ["--input", d("fin"), "--input", d("y"), "--bins", "auto"], np_=1)
expect_exit(r, 1, "cohort-hist", "an estimator in 2-D", ["1-D"])
r = run("cohort-hist", ["--input", d("fin"), "--bins", "fd", "--weights", d("w")], np_=1)
expect_exit(r, 1, "cohort-hist", "an estimator with weights", ["--weights"])

# Counts of NaN, below and above the range.
j = hist(["--input", d("x"), "--bins", "10", "--range", "-2:2"], 2)
v = X["x"]
check(j["nan"] == np.isnan(v).sum() and j["underflow"] == (v < -2).sum() and j["overflow"] == (v > 2).sum(),
      "nan/underflow/overflow counts")
# Weights (exact sums: equal to numpy within rounding, identical across rank counts), cumulative.
ws = []
for np_ in NPS:
    j = hist(["--input", d("fin"), "--weights", d("w"), "--bins", "11", "--range", "-3:3"], np_)
    want, _ = np.histogram(X["fin"], 11, (-3, 3), weights=X["w"])
    check(np.allclose(j["counts"], want, rtol=1e-13, atol=0), "weighted counts")
    ws.append(j["counts"])
check(all(w == ws[0] for w in ws), "weighted sums identical at every rank count")
j = hist(["--input", d("fin"), "--bins", "9", "--range", "-3:3", "--cumulative"], 3)
check(j["counts"] == np.cumsum(np.histogram(X["fin"], 9, (-3, 3))[0]).tolist(), "cumulative counts")
j = hist(["--input", d("fin"), "--bins", "9", "--range", "-3:3", "--cumulative", "--density"], 2)
check(abs(j["counts"][-1] - 1) < 1e-12, "cumulative density ends at 1")

# Text and CSV renderings, and HDF5 output.
r = run("cohort-hist", ["--input", d("fin"), "--bins", "4", "--range", "-2:2", "--format", "text"], np_=2)
check(r.out.count("\n") == 5 and "2]" in r.out and "\u2588" in r.out, "text bar chart:\n" + r.out)
# The default is the text chart whatever stdout is (a pipe here; a
# pseudo-terminal under mpirun, a file under srun): never isatty's choice.
r2 = run("cohort-hist", ["--input", d("fin"), "--bins", "4", "--range", "-2:2"], np_=2)
check(r2.out == r.out, "the default format is text, also into a pipe:\n" + r2.out)
for bad in ("0:", ":1", "", "1"):
    r2 = run("cohort-hist", ["--input", d("fin"), "--range", bad], np_=2)
    expect_exit(r2, 1, "cohort-hist", "--range %r" % bad, ["--range"])
r = run("cohort-hist", ["--input", d("fin"), "--bins", "4", "--range", "-2:2", "--format", "csv"], np_=2)
lines = r.out.strip().splitlines()
check(lines[0] == "lo,hi,count" and len(lines) == 5, "csv output")
out = os.path.join(tmp, "h.h5")
for np_ in (1, 3):
    r = run("cohort-hist", ["--input", d("fin"), "--input", d("y"), "--bins", "3,4", "--output", out + ":/g/h", "--force"],
            np_=np_)
    expect_exit(r, 0, "cohort-hist", "hdf5 output at %d ranks" % np_)
    with h5py.File(out, "r") as h:
        g = h["/g/h"]
        want, e = np.histogramdd(np.c_[X["fin"], X["y"]], (3, 4))
        check(np.array_equal(g["counts"][...], want) and np.array_equal(g["edges_1"][...], e[1]), "hdf5 counts/edges")
        check(g.attrs["total"] == n and g.attrs["nan"] == 0, "hdf5 attributes")
    # xarray sees the counts on the bin centres, the edges on their own dimension
    xd = xr.open_dataset(out, group="g/h")
    check(xd["counts"].dims == ("center_0", "center_1") and
          np.array_equal(xd["center_1"].values, (e[1][:-1] + e[1][1:]) / 2) and
          np.array_equal(xd["edges_0"].values, e[0]), "xarray: counts on the bin centres\n%s" % xd)

# Quantiles: numpy.nanquantile's 13 methods (numpy/lib/tests/test_function_base.py's TestQuantile runs each of
# them too), at every rank count for the five older ones.
OLD = ("linear", "lower", "higher", "nearest", "midpoint")
NEW = ("inverted_cdf", "averaged_inverted_cdf", "closest_observation", "interpolated_inverted_cdf", "hazen", "weibull",
       "median_unbiased", "normal_unbiased")
qs = [0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999, 1]
for name in ("x", "fin", "f32", "i", "dup", "const"):
    # the eight newer methods on three of the data sets, at one rank count: their formulas are what is new
    for method in OLD + (NEW if name in ("fin", "f32", "i") else ()):
        want = np.nanquantile(X[name] if name != "x" else np.where(np.isinf(X["x"]), np.nan, X["x"]), qs, method=method)
        src = d(name) if name != "x" else d("fin")
        if name == "x":
            want = np.nanquantile(X["fin"], qs, method=method)
        for np_ in NPS if method in OLD else NPS[-1:]:
            r = run("cohort-quantile", ["--input", src, "--q", ",".join(map(str, qs)), "--method", method,
                                        "--format", "json"], np_=np_)
            expect_exit(r, 0, "cohort-quantile", "quantile %s %s" % (name, method))
            j = loads(r.out)
            check(same(j["values"], want), "quantile %s %s at %d ranks: %s vs %s" % (name, method, np_, j["values"], want))
# Methods that return an element give it in the data's type: 64-bit integers beyond 2^53 exact (numpy's take of
# the partitioned array), and the sign of a zero; the others interpolate in float64 as numpy does.
with h5py.File(f, "a") as h:
    h["i64x"] = np.array([2**62 + 1, 2**53 + 1, -2**63, 2**63 - 1, 5, 7, 2**53 + 3], dtype=np.int64)
    h["u64x"] = np.array([2**64 - 1, 2**63 + 1, 3, 2**53 + 1], dtype=np.uint64)
    h["zeros"] = np.array([-0.0, 1.0, 2.0, np.nan])
    h["mixed0"] = np.array([0.0, -0.0, -0.0, 0.0, 3.0])
qx = [0, 0.1, 0.3333, 0.5, 0.66, 0.9, 1]
ELEMENT = ("lower", "higher", "nearest", "inverted_cdf", "closest_observation")
for name in ("i64x", "u64x", "zeros", "mixed0"):
    with h5py.File(f, "r") as h:
        v = h[name][...]
    for method in ELEMENT + ("linear", "hazen"):
        r = run("cohort-quantile", ["--input", d(name), "--q", ",".join(map(str, qx)), "--method", method, "--format",
                                    "json"], np_=2)
        expect_exit(r, 0, "cohort-quantile", "quantile %s %s" % (name, method))
        got = loads(r.out)["values"] if r.rc == 0 else []
        with np.errstate(all="ignore"):
            want = np.nanquantile(v, qx, method=method)
        if want.dtype.kind in "iu":
            ok = all(type(g) is int and g == int(w) for g, w in zip(got, want))
        else:  # mixed0: numpy's partition may put either zero anywhere among equals; Cohort puts -0.0 first
            ok = all(np.array(g) == w and (name == "mixed0" or np.signbit(g) == np.signbit(w)) for g, w in zip(got, want))
        check(ok and len(got) == len(qx), "quantile %s %s: %s, numpy %s" % (name, method, got, list(want)))
# NaN excluded and counted; infinities are values.
r = run("cohort-quantile", ["--input", d("x"), "--q", "0,0.5,1", "--format", "json"], np_=3)
j = loads(r.out)
check(j["nan"] == np.isnan(X["x"]).sum() and j["count"] == (~np.isnan(X["x"])).sum(), "quantile counts")
# numpy's linear method interpolates -inf with its neighbour even at q = 0 (NaN); lower and higher give the
# infinities themselves, which JSON carries as "-Infinity" and "Infinity".
check(same(j["values"], np.nanquantile(X["x"], [0, 0.5, 1])) and np.isnan(j["values"][0]),
      "infinite extremes and the median as numpy: %s" % j["values"])
r = run("cohort-quantile", ["--input", d("x"), "--q", "0,1", "--method", "lower", "--format", "json"], np_=2)
check(loads(r.out)["values"] == [-np.inf, np.inf] and '"-Infinity"' in r.out, "infinities in JSON: %s" % r.out)
# --approx (once a sketch, now exact selection, which is faster): within eps n ranks, and exact.
srt = np.sort(X["fin"])
for np_ in NPS:
    r = run("cohort-quantile", ["--input", d("fin"), "--q", "0.01,0.5,0.99", "--approx", "0.01", "--format", "json"],
            np_=np_)
    j = loads(r.out)
    for q, val in zip([0.01, 0.5, 0.99], j["values"]):
        want = int(np.floor(q * (n - 1)))
        lo, hi = np.searchsorted(srt, val, "left"), np.searchsorted(srt, val, "right") - 1
        err = 0 if lo <= want <= hi else min(abs(want - lo), abs(want - hi))
        check(err <= 0.01 * n, "sketch rank error %d for q=%g at %d ranks" % (err, q, np_))
    check(same(j["values"], np.quantile(X["fin"], [0.01, 0.5, 0.99])), "--approx answers exactly: %s" % j["values"])

# Bad inputs: documented exit codes and one line.
bad = [
    ("cohort-hist", ["--input", d("nope")], 2, ["/nope"]),
    ("cohort-hist", ["--input", d("x"), "--bins", "0"], 1, ["--bins"]),
    ("cohort-hist", ["--input", d("x"), "--range", "3:1"], 1, ["--range"]),
    ("cohort-hist", ["--input", d("x")], 2, ["not finite"]),  # the data's infinities, not the command's fault
    ("cohort-hist", ["--input", d("x"), "--edges", "0,2,1"], 1, ["monotonically"]),
    ("cohort-hist", ["--input", d("x"), "--input", d("y"), "--cumulative"], 1, ["--cumulative"]),
    ("cohort-hist", ["--input", d("x"), "--weights", "%s:/w" % os.path.join(tmp, "none.h5")], 2, ["none.h5"]),
    # More columns than the operation takes: the file's doing, an input error (the fuzz suite's
    # damaged dataspace of 20 dimensions read as 20 columns was a usage error).
    ("cohort-hist", ["--input", d("wide")], 2, ["/wide has 9 columns", "at most 8"]),
    ("cohort-hist", ["--input", d("x"), "--weights", d("wide")], 2, ["/wide has 9 columns"]),
    ("cohort-quantile", ["--input", d("wide")], 2, ["/wide has 9 columns"]),
    ("cohort-quantile", ["--input", d("x"), "--q", "1.5"], 1, ["--q"]),
    ("cohort-quantile", ["--input", d("x"), "--method", "cubic"], 1, ["--method"]),
    ("cohort-quantile", ["--input", d("nope")], 2, ["/nope"]),
]
for prog, args, code, needles in bad:
    for np_ in (1, 3):
        r = run(prog, args + ["--format", "json"], np_=np_)
        expect_exit(r, code, prog, "%s %s at %d ranks" % (prog, args, np_), needles)
finish()

#!/usr/bin/env python3
"""cohort-stats against numpy and pandas (Debian's) on files written by h5py:
moments with NaN, a 1e9 + noise column (where sum-of-squares formulas fail),
integer and constant columns, frequency weights (pandas on repeated rows),
np.cov/np.corrcoef over complete rows, weighted covariance, regression by
Cholesky and TSQR against numpy.linalg.lstsq (full rank, constant and
duplicated columns, ridge, weights, an ill-conditioned design), PCA of a
known covariance, HDF5 output, the same numbers at every rank count, ranks
without rows, and bad inputs."""
import os
from fractions import Fraction

import h5py
import numpy as np
import pandas as pd

from apptest import loads, NPS, check, expect_exit, finish, run, tempdir

tmp = tempdir("cohort-stats-")
f = os.path.join(tmp, "d.h5")
rng = np.random.default_rng(7)
n = 20011
X = rng.normal(size=(n, 5))
X[:, 1] = 1e9 + X[:, 1]                     # catastrophic cancellation for naive formulas
X[:, 2] = X[:, 0] * 2 + 0.3 * X[:, 2]       # correlated
X[:, 3] = rng.exponential(size=n)           # skewed
X[::97, 4] = np.nan                         # NaN rows
X[5::131, 0] = np.nan
beta = np.array([1.5, 0.0, -2.0, 0.25])
y = 3.0 + (X[:, :4] - [0, 1e9, 0, 0]) @ beta + rng.normal(size=n) * 0.1
w = rng.integers(0, 4, n).astype(np.float64)
# a design with a constant and a duplicated column, and an ill-conditioned one
Z = rng.normal(size=(n, 3))
Zd = np.column_stack([Z[:, 0], np.full(n, 5.0), Z[:, 1], Z[:, 1], Z[:, 2]])
yd = 1 + Z @ [2.0, -1.0, 0.5] + rng.normal(size=n) * 0.01
t = rng.normal(size=n)
Zi = np.column_stack([t, t + 1e-6 * rng.normal(size=n), rng.normal(size=n)])
yi = 2 + Zi @ [1.0, 1.0, -1.0] + rng.normal(size=n) * 1e-3
# PCA: a known covariance
Cpca = np.array([[4.0, 1.2, 0.0], [1.2, 2.0, 0.3], [0.0, 0.3, 0.5]])
P = rng.multivariate_normal([1, 2, 3], Cpca, size=n)
with h5py.File(f, "w") as h:
    h["X"] = X
    h["y"] = y
    h["w"] = w
    h["i32"] = rng.integers(-50, 50, n).astype(np.int32)
    h["const"] = np.full(n, 2.5)
    h["Zd"] = Zd
    h["yd"] = yd
    h["Zi"] = Zi
    h["yi"] = yi
    h["P"] = P
    h["small"] = np.array([1.0, 2.0, 4.0])
    h["short"] = np.arange(10.0)
    h["neg"] = np.where(np.arange(n) == 77, -1.0, 1.0)
    h["s"] = np.array([b"ab"] * n)


def d(name):
    return "%s:/%s" % (f, name)


def stats(args, np_, code=0):
    r = run("cohort-stats", args + ["--format", "json"], np_=np_)
    expect_exit(r, code, "cohort-stats", "cohort-stats %s at %d ranks" % (" ".join(args), np_))
    return (loads(r.out) if r.rc == 0 else None), r


def num(v):
    return np.array(np.ravel(v), dtype=float)


def close(a, b, rtol=1e-12, atol=0.0):
    a, b = num(a), np.asarray(b, dtype=float).ravel()
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def check_moments(cols, frame, what, rtol=1e-11):
    for c, name in zip(cols, frame.columns):
        s = frame[name]
        ok = s.notna()
        ref = {"count": int(ok.sum()), "nan": int((~ok).sum()), "sum": s.sum(), "mean": s.mean(), "var": s.var(),
               "std": s.std(), "min": s.min(), "max": s.max(), "skew": s.skew(), "kurtosis": s.kurt()}
        for k, v in ref.items():
            tol = rtol if k not in ("skew", "kurtosis") else 1e-9
            check(close(c[k], v, tol, 1e-12), "%s: column %s %s = %r, pandas %r" % (what, name, k, c[k], v))


results = {}
for np_ in NPS:
    # Moments, covariance, correlation, PCA in one pass.
    out, _ = stats(["--input", d("X"), "--input", d("i32"), "--input", d("const"), "--cov", "--corr", "--pca", "2"],
                   np_)
    if out is None:
        continue
    results[np_] = out
    frame = pd.DataFrame(np.column_stack([X, np.asarray(h5py.File(f, "r")["i32"][...], float), np.full(n, 2.5)]),
                         columns=["c0", "c1", "c2", "c3", "c4", "i32", "const"])
    check(out["rows"] == n and [c["name"] for c in out["columns"]] == list(frame.columns), "names and rows")
    # pandas itself loses digits on 1e9 + noise; the exact oracle is the shifted column
    shifted = frame.copy()
    shifted["c1"] = shifted["c1"] - 1e9
    check_moments([c for i, c in enumerate(out["columns"]) if i != 1], frame.drop(columns="c1"), "moments")
    c1 = out["columns"][1]
    s1 = shifted["c1"]
    check(close(c1["var"], s1.var(), 1e-11) and close(c1["skew"], s1.skew(), 1e-7) and
          close(c1["kurtosis"], s1.kurt(), 1e-7) and close(c1["mean"], 1e9 + s1.mean(), 1e-15),
          "1e9 + noise: var %r skew %r kurt %r, expected %r %r %r" % (c1["var"], c1["skew"], c1["kurtosis"], s1.var(),
                                                                      s1.skew(), s1.kurt()))
    cc = frame.dropna().to_numpy()
    check(out["matrix_rows"] == len(cc), "matrix rows %r, expected %d" % (out["matrix_rows"], len(cc)))
    ccs = cc - [0, 1e9, 0, 0, 0, 0, 0]
    check(close(out["cov"], np.cov(ccs, rowvar=False), 1e-10, 1e-13), "cov against np.cov")
    with np.errstate(invalid="ignore", divide="ignore"):
        ref_corr = np.corrcoef(ccs, rowvar=False)
    check(close(out["corr"], ref_corr, 1e-10, 1e-13), "corr against np.corrcoef (NaN for the constant column)")
    lam, vec = np.linalg.eigh(np.cov(ccs, rowvar=False))
    order = np.argsort(lam)[::-1][:2]
    comps = vec[:, order].T
    comps *= np.sign(comps[np.arange(2), np.argmax(np.abs(comps), axis=1)])[:, None]
    check(close(out["pca"]["explained_variance"], lam[order], 1e-10) and
          close(out["pca"]["explained_variance_ratio"], lam[order] / lam.sum(), 1e-10) and
          close(out["pca"]["components"], comps, 1e-8, 1e-10), "PCA against numpy.linalg.eigh")

    # Frequency weights: pandas on the repeated rows.
    out, _ = stats(["--input", d("X"), "--weights", d("w"), "--cov"], np_)
    if out:
        rep = pd.DataFrame(np.repeat(X - [0, 1e9, 0, 0, 0], w.astype(int), axis=0))
        cols = [dict(c) for c in out["columns"]]
        cols[1] = dict(cols[1], mean=cols[1]["mean"] - 1e9, sum=None, min=cols[1]["min"] - 1e9,
                       max=cols[1]["max"] - 1e9)
        for k, (c, name) in enumerate(zip(cols, rep.columns)):
            s = rep[name]
            for key, v in {"mean": s.mean(), "var": s.var(), "std": s.std(), "skew": s.skew(),
                           "kurtosis": s.kurt(), "weight": s.notna().sum()}.items():
                # column 1's mean is near 1e9, where a double resolves 1.2e-7
                check(close(c[key], v, 1e-10, 1.2e-7 if k == 1 and key == "mean" else 1e-12),
                      "weighted %s %s = %r, pandas on repeated rows %r" % (name, key, c[key], v))
        ok = ~np.isnan(X).any(axis=1)
        check(close(out["cov"], np.cov((X - [0, 1e9, 0, 0, 0])[ok], rowvar=False, fweights=w[ok].astype(int)), 1e-10,
                    1e-13), "weighted cov against np.cov(fweights)")

    # Regression, both methods, against lstsq on [1, X] over the complete rows.
    for method in ([], ["--tsqr"]):
        out, _ = stats(["--input", d("X"), "--regress", d("y")] + method, np_)
        if not out:
            continue
        rg = out["regression"]  # the fifth column is noise with NaN rows
        ok5 = ~np.isnan(X).any(axis=1)
        Xc5 = X[ok5] - [0, 1e9, 0, 0, 0]
        A5 = np.column_stack([np.ones(ok5.sum()), Xc5])
        c5, rss5, _, _ = np.linalg.lstsq(A5, y[ok5], rcond=None)
        Xm5 = Xc5 - Xc5.mean(axis=0)
        s5 = rss5[0] / (ok5.sum() - 6)
        se5 = np.sqrt(s5 * np.diag(np.linalg.inv(Xm5.T @ Xm5)))
        ise5 = np.sqrt(s5 * (1 / ok5.sum() + Xc5.mean(axis=0) @ np.linalg.inv(Xm5.T @ Xm5) @ Xc5.mean(axis=0)))
        check(rg["rows"] == ok5.sum() and rg["rank"] == 5, "regression rows/rank %r %r" % (rg["rows"], rg["rank"]))
        check(close(rg["coef"], c5[1:], 1e-8, 1e-10), "%s coef %r vs lstsq %r" % (method, rg["coef"], c5[1:]))
        # the intercept carries the 1e9 offset of column 1: compare at its own scale
        check(close(rg["intercept"] + 1e9 * rg["coef"][1], c5[0], 1e-7, 1e-6), "%s intercept" % method)
        check(close(rg["stderr"], se5, 1e-8), "%s stderr %r vs %r" % (method, rg["stderr"], se5))
        check(close(rg["rss"], rss5[0], 1e-8), "%s rss" % method)
        check(close(rg["r2"], 1 - rss5[0] / ((y[ok5] - y[ok5].mean()) ** 2).sum(), 1e-10), "%s r2" % method)
        check(np.isfinite(rg["intercept_stderr"]), "%s intercept stderr" % method)

        # Constant and duplicated columns: min-norm on the centred design, rank 3 of 5, a warning.
        out, r = stats(["--input", d("Zd"), "--regress", d("yd")] + method, np_)
        if out:
            rg = out["regression"]
            Zm = Zd - Zd.mean(axis=0)
            mn, _, rk, _ = np.linalg.lstsq(Zm, yd - yd.mean(), rcond=None)
            check(rg["rank"] == 3 == rk, "%s rank %r (numpy %r)" % (method, rg["rank"], rk))
            check(close(rg["coef"], mn, 1e-6, 1e-8), "%s min-norm coef %r vs %r" % (method, rg["coef"], mn))
            check(close(rg["intercept"], yd.mean() - Zd.mean(axis=0) @ mn, 1e-6, 1e-8), "%s min-norm intercept" % method)
            check(any("warning" in l and "rank 3 of 5" in l for l in r.err.splitlines()),
                  "%s rank warning on stderr: %r" % (method, r.err))

        # Ridge: (Xmᵀ Xm + λI) β = Xmᵀ ym, intercept unpenalised.
        out, _ = stats(["--input", d("Zi"), "--regress", d("yi"), "--ridge", "2.5"] + method, np_)
        if out:
            Zm = Zi - Zi.mean(axis=0)
            b = np.linalg.solve(Zm.T @ Zm + 2.5 * np.eye(3), Zm.T @ (yi - yi.mean()))
            check(close(out["regression"]["coef"], b, 1e-7, 1e-9), "%s ridge coef" % method)

        # Weighted least squares.
        out, _ = stats(["--input", d("Zi"), "--regress", d("yi"), "--weights", d("w")] + method, np_)
        if out:
            sw = np.sqrt(w)
            mx = (w[:, None] * Zi).sum(0) / w.sum()
            my = (w * yi).sum() / w.sum()
            b, _, _, _ = np.linalg.lstsq((Zi - mx) * sw[:, None], (yi - my) * sw, rcond=None)
            tol = 1e-7 if method else 1e-3  # normal equations square the condition number (~1e6 here)
            check(close(out["regression"]["coef"], b, tol, 1e-9), "%s weighted coef %r vs %r" %
                  (method, out["regression"]["coef"], b))

    # Ill-conditioned design: TSQR keeps the digits that the normal equations lose.
    out, _ = stats(["--input", d("Zi"), "--regress", d("yi"), "--tsqr"], np_)
    if out:
        Zm = Zi - Zi.mean(axis=0)
        b, _, _, _ = np.linalg.lstsq(Zm, yi - yi.mean(), rcond=None)
        check(close(out["regression"]["coef"], b, 1e-7), "TSQR ill-conditioned coef %r vs %r" %
              (out["regression"]["coef"], b))

    # PCA of a known covariance (correlation matrix too).
    out, _ = stats(["--input", d("P"), "--pca", "3", "--pca-corr"], np_)
    if out:
        R = np.corrcoef(P, rowvar=False)
        lam = np.linalg.eigvalsh(R)[::-1]
        check(close(out["pca"]["explained_variance"], lam, 1e-10) and close(sum(lam) / 3, 1.0, 1e-12),
              "PCA of the correlation matrix")
    out, _ = stats(["--input", d("P"), "--pca", "1"], np_)
    if out:
        lam = np.linalg.eigvalsh(Cpca)[::-1]
        check(close(out["pca"]["explained_variance"], lam[:1], 0.05), "PCA near the true covariance's eigenvalue")

    # More ranks than rows (3 rows), ddof 0, and too few rows for skew and kurtosis.
    out, _ = stats(["--input", d("small"), "--ddof", "0"], np_)
    if out:
        c = out["columns"][0]
        check(close(c["var"], np.var([1.0, 2.0, 4.0]), 1e-15) and close(c["skew"], pd.Series([1.0, 2, 4]).skew(), 1e-13)
              and np.isnan(c["kurtosis"]), "three rows: %r" % c)

# The same numbers at every rank count (to 1e-12 relative).
base = results.get(min(results)) if results else None
for np_, out in results.items():
    for key in ("cov", "corr"):
        check(close(out[key], num(base[key]), 1e-12, 1e-15), "%s at %d ranks differs from %d ranks" % (key, np_, min(results)))
    for a, b in zip(out["columns"], base["columns"]):
        for k in ("sum", "mean", "var", "skew", "kurtosis", "min", "max"):
            check(close(a[k], num([b[k]]), 1e-12, 1e-15), "%s of %s at %d ranks" % (k, a["name"], np_))

# --reproducible: every byte of the output the same at every rank count, weighted or not; the moments within a few
# ulps of exact rational arithmetic (fractions) on the column at 1e9 + noise, where numpy's two-pass var is off.
outs = {}
for extra in ([], ["--weights", d("w")]):
    for np_ in NPS:
        r = run("cohort-stats", ["--input", d("X"), "--cov", "--corr", "--pca", "2", "--regress", d("y"), "--reproducible",
                                 "--format", "json"] + extra, np_=np_)
        expect_exit(r, 0, "cohort-stats", "--reproducible at %d ranks" % np_)
        outs.setdefault(len(extra), set()).add(r.out)
        if np_ == NPS[0] and not extra and r.rc == 0:
            col = loads(r.out)["columns"][1]
            v = [Fraction(x) for x in X[:, 1]]
            m = sum(v) / len(v)
            exact = float(sum((x - m) ** 2 for x in v) / (len(v) - 1))
            check(abs(col["var"] - exact) <= 4 * np.spacing(exact), "reproducible var %r, exact %r, numpy %r" %
                  (col["var"], exact, np.var(X[:, 1], ddof=1)))
            check(col["mean"] == float(m), "reproducible mean %r, exact %r" % (col["mean"], float(m)))
for k, v in outs.items():
    check(len(v) == 1, "--reproducible output differs between rank counts (%s)" % ("weighted" if k else "unweighted"))
_, r = stats(["--input", d("X"), "--regress", d("y"), "--tsqr", "--reproducible"], NPS[-1], 1)
expect_exit(r, 1, "cohort-stats", "--tsqr with --reproducible", ["--tsqr"])

# HDF5 output: the same results as datasets and attributes.
o = os.path.join(tmp, "s.h5")
r = run("cohort-stats", ["--input", d("X"), "--cov", "--corr", "--pca", "2", "--regress", d("y"), "--output", o + ":/s"],
        np_=NPS[-1])
expect_exit(r, 0, "cohort-stats", "HDF5 output")
ref, _ = stats(["--input", d("X"), "--cov", "--corr", "--pca", "2", "--regress", d("y")], NPS[-1])
if r.rc == 0 and ref:
    with h5py.File(o, "r") as h:
        g = h["s"]
        check([s.decode() for s in g["names"][...]] == [c["name"] for c in ref["columns"]], "names dataset")
        for k in ("count", "nan", "mean", "var", "std", "min", "max", "skew", "kurtosis"):
            check(close([c[k] for c in ref["columns"]], g[k][...], 1e-15), "dataset %s" % k)
        check(close(ref["cov"], g["cov"][...], 0) and close(ref["corr"], g["corr"][...], 0), "cov and corr datasets")
        check(close(ref["regression"]["coef"], g["regression/coef"][...], 0) and
              g["regression"].attrs["rank"] == ref["regression"]["rank"], "regression group")
        check(close(ref["pca"]["components"], g["pca/components"][...], 0), "pca group")
        check(int(g.attrs["rows"]) == n, "rows attribute")

# Bad inputs: one line from rank 0, the same exit code on every rank, no output.
np_ = NPS[-1]
_, r = stats(["--input", d("X"), "--input", d("short")], np_, 2)
expect_exit(r, 2, "cohort-stats", "mismatched lengths", ["short"])
_, r = stats(["--input", d("s")], np_, 2)
expect_exit(r, 2, "cohort-stats", "a string column", ["numeric"])
_, r = stats(["--input", d("y"), "--weights", d("neg")], np_, 2)
expect_exit(r, 2, "cohort-stats", "a negative weight", ["weight"])
_, r = stats(["--input", d("y"), "--weights", d("X")], np_, 2)
expect_exit(r, 2, "cohort-stats", "2-D weights", ["/X has", "columns; one expected"])  # the file's doing
_, r = stats(["--input", d("y"), "--pca", "2"], np_, 1)
expect_exit(r, 1, "cohort-stats", "--pca beyond the columns", ["--pca"])
_, r = stats(["--input", d("missing")], np_, 2)
expect_exit(r, 2, "cohort-stats", "a missing dataset", ["missing"])
r = run("cohort-stats", ["--input", d("s"), "--output", os.path.join(tmp, "bad.h5") + ":/s"], np_=np_)
check(not os.path.exists(os.path.join(tmp, "bad.h5")), "no output after a failure")
# Hostile shapes and names (issue #21 items 8, 13): a declared 2^32 + 1 columns (once cast to an
# int: 1) or 2^28 + 1 (once sized 20 GB of state) is an input error before anything is allocated;
# two 300-character column names sharing a prefix print whole, as two columns.
odd = os.path.join(tmp, "odd.h5")
long_a, long_b = "c" * 300 + "1", "c" * 300 + "2"
with h5py.File(odd, "w") as h:
    h.create_dataset("wide", shape=(10, 2 ** 32 + 1), dtype="<i4")
    h.create_dataset("huge", shape=(8589934592, 268435457), dtype="<i4")
    h.create_dataset("w", data=np.arange(20.0).reshape(10, 2)).attrs["columns"] = \
        np.array([long_a, long_b], dtype=h5py.string_dtype())
for name, cols_ in (("wide", "4294967297"), ("huge", "268435457")):
    r = run("cohort-stats", ["--input", odd + ":/" + name, "--cov", "--memory-budget", "1G"], np_=2)
    expect_exit(r, 2, "cohort-stats", "declared %s columns" % cols_, [cols_ + " columns", "65536"])
r = run("cohort-stats", ["--input", odd + ":/w", "--cov"], np_=2)
expect_exit(r, 0, "cohort-stats", "long column names")
check(r.out.count(long_a) == 3 and r.out.count(long_b) == 3, "long names whole in the text output")
j, r = stats(["--input", odd + ":/w"], 2)
check(j is not None and [c["name"] for c in j["columns"]] == [long_a, long_b], "long names whole in JSON")
# Exit codes say whose fault it is (issue #21 item 14): PCA of no rows and of infinite values is the
# data's (2); a 5000-character input path names no file there can be (2, as a missing file).
with h5py.File(odd, "a") as h:
    h["empty"] = np.zeros((0, 3))
    h["infs"] = np.array([[1.0, 2.0], [np.inf, 1.0], [3.0, 0.5]])
for name in ("empty", "infs"):
    r = run("cohort-stats", ["--input", odd + ":/" + name, "--pca", "1"], np_=2)
    expect_exit(r, 2, "cohort-stats", "PCA of %s" % name, ["not finite"])
r = run("cohort-stats", ["--input", os.path.join(tmp, "d" * 5000 + ".h5") + ":/x"], np_=2)
expect_exit(r, 2, "cohort-stats", "a 5000-character input path", ["too long"])
finish()

#!/usr/bin/env python3
"""Load (issue #21): every program at 8 and 16 ranks on these two cores
(oversubscribed, ranks yielding when idle): the right answer, the same as
at 2 ranks where it is ordered, and no hang (each run under the timeout).
With 16 ranks over 100,003 rows, partitions are uneven and small, and a
collective that waits on a busy rank waits for long: the conditions under
which a missing agreement shows as a hang.  COHORT_LOAD_NP sets the rank
counts."""
import hashlib
import os

import h5py
import numpy as np

from apptest import check, expect_exit, finish, loads, run, tempdir

RANKS = [int(n) for n in os.environ.get("COHORT_LOAD_NP", "8 16").split()]
tmp = tempdir("cohort-load-")
f = os.path.join(tmp, "in.h5")
N = 100003
g = np.random.default_rng(11)
x = g.normal(size=N)
k = g.integers(0, 50, size=N)
cube = g.random((12, 7, 5))
with h5py.File(f, "w") as h:
    h["x"], h["k"], h["cube"] = x, k, cube


def values(path, name):
    with h5py.File(path, "r") as h:
        return h[name][...]


for np_ in RANKS:
    what = "at %d ranks" % np_
    o = os.path.join(tmp, "o%d.h5" % np_)

    r = run("cohort-gen", ["--output", o + ":/g", "--rows", str(N), "--no-progress"], np_=np_)
    expect_exit(r, 0, "cohort-gen", "gen " + what)
    r2 = run("cohort-gen", ["--output", o + ".2:/g", "--rows", str(N), "--no-progress"], np_=2)
    if r.rc == 0 and r2.rc == 0:
        check(np.array_equal(values(o, "g"), values(o + ".2", "g")), "gen %s: not the rows of 2 ranks" % what)

    r = run("cohort-sort", ["-i", f + ":/x", "-o", o + ":/s", "--with", f + ":/k", "--index", "i", "--append"],
            np_=np_)
    expect_exit(r, 0, "cohort-sort", "sort " + what)
    if r.rc == 0:
        order = np.argsort(x, kind="stable")
        check(np.array_equal(values(o, "s"), x[order]) and np.array_equal(values(o, "i"), order) and
              np.array_equal(values(o, "k"), k[order]), "sort %s: differs from numpy's stable argsort" % what)

    r = run("cohort-hist", ["-i", f + ":/x", "--bins", "17", "--format", "json"], np_=np_)
    expect_exit(r, 0, "cohort-hist", "hist " + what)
    if r.rc == 0:
        check(loads(r.out)["counts"] == np.histogram(x, bins=17)[0].tolist(), "hist %s: counts differ" % what)

    r = run("cohort-stats", ["-i", f + ":/x", "--format", "json"], np_=np_)
    expect_exit(r, 0, "cohort-stats", "stats " + what)
    if r.rc == 0:
        c = loads(r.out)["columns"][0]
        check(c["count"] == N and abs(c["mean"] - x.mean()) < 1e-12 and abs(c["std"] - x.std(ddof=1)) < 1e-12,
              "stats %s: %s" % (what, c))

    r = run("cohort-quantile", ["-i", f + ":/x", "--q", "0,0.5,0.99", "--format", "json"], np_=np_)
    expect_exit(r, 0, "cohort-quantile", "quantile " + what)
    if r.rc == 0:
        got = loads(r.out)["values"]
        check(got == np.quantile(x, [0, 0.5, 0.99]).tolist(), "quantile %s: %s" % (what, got))

    r = run("cohort-groupby", ["--keys", f + ":/k", "--values", f + ":/k", "--agg", "sum,median", "--format", "json"],
            np_=np_)
    expect_exit(r, 0, "cohort-groupby", "groupby " + what)
    if r.rc == 0:
        rows = loads(r.out)["rows"]
        check([row["k"] for row in rows] == list(range(50)) and
              all(row["size"] == int((k == row["k"]).sum()) and row["k_sum"] == row["k"] * row["size"]
                  for row in rows), "groupby %s: %s" % (what, rows[:3]))

    r = run("cohort-reduce", ["-i", f + ":/cube", "--over", "0", "--agg", "mean,max", "-o", o + ":/r", "--append"],
            np_=np_)
    expect_exit(r, 0, "cohort-reduce", "reduce " + what)
    if r.rc == 0:
        check(np.allclose(values(o, "r/mean"), cube.mean(axis=0), rtol=0, atol=1e-15) and
              np.array_equal(values(o, "r/max"), cube.max(axis=0)), "reduce %s" % what)

    r = run("cohort-info", [f, "--format", "json"], np_=np_)
    expect_exit(r, 0, "cohort-info", "info " + what)
finish()

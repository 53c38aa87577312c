#!/usr/bin/env python3
"""cohort-gen and cohort-info as users run them: output independent of the
rank count, distributions as documented, the exit codes and one-line errors
of the CLI conventions, no partial outputs, and cohort-info against h5py."""
import glob
import os
import signal
import subprocess
import time

import h5py
import numpy as np

from apptest import loads, tempdir, MPIEXEC, NPS, SRC, check, env, expect_exit, finish, run, BUILD

tmp = tempdir("cohort-apps-")


def gen(out, *args, np_=2):
    return run("cohort-gen", ["--output", out, "--no-progress"] + list(args), np_=np_, cwd=tmp)


def data(path, dset):
    with h5py.File(os.path.join(tmp, path), "r") as f:
        return f[dset][...]


# The same bytes at every rank count, for each type and distribution.
cases = [
    ("int64", "uniform", ["--min", "-1000", "--max", "1000"]),
    ("uint8", "zipf", []),
    ("int32", "sorted", ["--min", "5", "--max", "5000"]),
    ("double", "normal", ["--mean", "3", "--std", "2"]),
    ("float", "uniform", ["--nan-fraction", "0.1"]),
    ("int16", "fewunique", ["--min", "-100", "--max", "100"]),
    ("uint64", "reverse", ["--min", "0", "--max", "18446744073709551615"]),
    ("double", "constant", ["--min", "2.5"]),
]
for t, dist, extra in cases:
    ref = None
    for np_ in NPS:
        name = "gen-%s-%s-%d.h5" % (t, dist, np_)
        r = gen(name + ":/x", "--rows", "10007", "--type", t, "--dist", dist, *extra, np_=np_)
        expect_exit(r, 0, "cohort-gen", "gen %s %s at %d" % (t, dist, np_))
        if r.rc:
            continue
        x = data(name, "/x")
        check(x.dtype == np.dtype({"float": "f4", "double": "f8"}.get(t, t)), "dtype %s vs %s" % (x.dtype, t))
        if ref is None:
            ref = x
        else:
            check(np.array_equal(x.view(np.uint8), ref.view(np.uint8)),
                  "gen %s %s: bytes differ between rank counts" % (t, dist))
    x = ref
    if x is None:
        continue
    if dist == "uniform" and t == "int64":
        check(x.min() >= -1000 and x.max() <= 1000 and x.min() < -900 and x.max() > 900, "uniform int64 range")
    if dist == "sorted":
        check(np.all(np.diff(x) >= 0) and x[0] == 5 and x[-1] == 5000, "sorted from min to max")
    if dist == "reverse":
        check(np.all(np.diff(x.astype(float)) <= 0) and x[0] == np.iinfo(np.uint64).max and x[-1] == 0,
              "reverse from max to min")
    if dist == "zipf":
        counts = np.bincount(x)
        check(counts.argmax() == 0 and counts[0] > counts[1] > counts[3], "zipf: small values most frequent")
    if dist == "normal":
        check(abs(x.mean() - 3) < 0.1 and abs(x.std() - 2) < 0.1, "normal mean/std %g %g" % (x.mean(), x.std()))
    if dist == "uniform" and t == "float":
        nan = np.isnan(x).mean()
        check(0.08 < nan < 0.12, "nan fraction %g" % nan)
        y = x[~np.isnan(x)]
        check(y.min() >= 0 and y.max() < 1, "float uniform in [0, 1)")
    if dist == "fewunique":
        check(len(np.unique(x)) == 16 and x.min() == -100 and x.max() == 100, "16 unique values")
    if dist == "constant":
        check(np.all(x == 2.5), "constant")

# 2-D, tables, compression, empty and tiny outputs, more ranks than rows.
for np_ in NPS:
    r = gen("m%d.h5:/g/m" % np_, "--rows", "1001", "--cols", "3", "--chunk", "100", "--gzip", "3", np_=np_)
    expect_exit(r, 0, "cohort-gen", "2-D gzip")
    r = gen("t%d.h5:/t" % np_, "--rows", "2", "--table", "--column", "key:int64:zipf:0:1000000",
            "--column", "v:double:normal", np_=np_)
    expect_exit(r, 0, "cohort-gen", "table with 2 rows at %d ranks" % np_)
    r = gen("e%d.h5:/x" % np_, "--rows", "0", np_=np_)
    expect_exit(r, 0, "cohort-gen", "zero rows")
m = [data("m%d.h5" % n, "/g/m") for n in NPS]
check(all(a.shape == (1001, 3) and np.array_equal(a, m[0]) for a in m), "2-D gzip identical across ranks")
check(not np.array_equal(m[0][:, 0], m[0][:, 1]), "2-D columns are independent")
with h5py.File(os.path.join(tmp, "m%d.h5" % NPS[0]), "r") as f:
    check(f["/g/m"].compression == "gzip" and f["/g/m"].chunks == (100, 3), "gzip chunked layout")
    a = f["/g/m"].attrs
    check(a["cohort_version"] and a["command_line"].startswith("cohort-gen ") and a["ranks"] == NPS[0]
          and a["created_utc"].endswith("Z"), "provenance attributes")
t = [(data("t%d.h5" % n, "/t/key"), data("t%d.h5" % n, "/t/v")) for n in NPS]
check(all(np.array_equal(k, t[0][0]) and np.array_equal(v, t[0][1]) and len(k) == 2 for k, v in t), "tables")
check(all(len(data("e%d.h5" % n, "/x")) == 0 for n in NPS), "zero-row dataset")

# Columns are independent of one another with one seed: the streams are keyed
# by the object's path and the column's name (issue #20: examples/slurm's
# pipeline made /X[:,1] equal to /events/value); --nan-fraction leaves the
# integer key columns of a table alone.
r = gen("ind.h5:/X", "--rows", "1000", "--cols", "2")
expect_exit(r, 0, "cohort-gen", "2-D for independence")
r = gen("ind.h5:/events", "--rows", "1000", "--table", "--column", "key:int64:zipf:0:1000", "--column",
        "value:double:uniform", "--nan-fraction", "0.2", "--append")
expect_exit(r, 0, "cohort-gen", "--nan-fraction with an integer key column")
X, key, value = data("ind.h5", "/X"), data("ind.h5", "/events/key"), data("ind.h5", "/events/value")
check(not np.array_equal(X[:, 1], value) and not np.array_equal(X[:, 0], value)
      and abs(np.corrcoef(X[:, 1], np.nan_to_num(value))[0, 1]) < 0.2, "columns of different outputs independent")
check(key.dtype == np.int64 and 0.1 < np.isnan(value).mean() < 0.3, "NaN in the float column only")
r = gen("ind2.h5:/X", "--rows", "1000", "--cols", "2", np_=NPS[-1])
check(np.array_equal(data("ind2.h5", "/X"), X), "the same command into another file: the same values")

# Output conventions: exists -> 3, --force replaces, --append adds, failures leave nothing.
m1 = "m%d.h5" % NPS[0]  # written above, at the first rank count
r = gen(m1 + ":/g/m", "--rows", "10")
expect_exit(r, 3, "cohort-gen", "output exists", [m1, "--force"])
before = data(m1, "/g/m")
check(before.shape == (1001, 3), "existing output untouched")
r = gen(m1 + ":/g/m", "--rows", "10", "--force")
expect_exit(r, 0, "cohort-gen", "--force")
check(data(m1, "/g/m").shape == (10,), "--force replaced the file")
r = gen(m1 + ":/g/other", "--rows", "5", "--append", "--type", "int8")
expect_exit(r, 0, "cohort-gen", "--append")
check(data(m1, "/g/m").shape == (10,) and data(m1, "/g/other").shape == (5,), "--append kept and added")
r = gen(m1 + ":/g/m", "--rows", "7", "--append")
check(data(m1, "/g/m").shape == (7,), "--append replaced an object")
r = gen("nodir/x.h5:/x", "--rows", "5")
expect_exit(r, 3, "cohort-gen", "missing directory", ["nodir"])
r = gen("x.h5:/x", "--rows", "5", "--force", "--append")
expect_exit(r, 1, "cohort-gen", "--force with --append")
for bad in (["--rows", "-1"], ["--rows", "5", "--type", "int128"], ["--rows", "5", "--dist", "pareto"],
            ["--rows", "5", "--type", "int32", "--nan-fraction", "0.5"], ["--rows", "5", "--bogus"],
            ["--rows", "5", "--type", "int8", "--min", "0", "--max", "1000"], ["--rows"],
            ["--rows", "5", "--column", "k:int64:zipf"],
            ["--rows", "1e30"], ["--rows", "1.5e0"],  # never a silent 1 (#21)
            ["--rows", "5", "--table", "--column", "a:int32:uniform", "--column", "a:double:normal"]):
    r = gen("bad.h5:/x", *bad)
    expect_exit(r, 1, "cohort-gen", "usage %s" % bad)
r = run("cohort-gen", ["--rows", "5"], cwd=tmp)
expect_exit(r, 1, "cohort-gen", "no --output")
# Its blocks shrink to fit the budget (below); not even one row of 4 columns fits in 32 bytes.
r = gen("budget.h5:/x", "--rows", "100000", "--cols", "4", "--memory-budget", "32")
expect_exit(r, 4, "cohort-gen", "memory budget", ["budget"])
check(not glob.glob(os.path.join(tmp, "*budget*")) and not glob.glob(os.path.join(tmp, ".*cohort-*")),
      "no output or temporary after failures")

# A killed run leaves nothing under the final name.
p = subprocess.Popen([MPIEXEC, "-n", "2", os.path.join(BUILD, "apps", "cohort-gen"), "--output",
                      "killed.h5:/x", "--rows", "2e9", "--block-rows", "100000", "--no-progress"],
                     cwd=tmp, env=env(2), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
time.sleep(2)
os.killpg(p.pid, signal.SIGKILL)
p.wait()
check(not os.path.exists(os.path.join(tmp, "killed.h5")), "a killed run left a file under the final name")
for f in glob.glob(os.path.join(tmp, ".killed.h5.cohort-*")):
    os.unlink(f)  # what SIGKILL leaves: a hidden temporary

# SIGTERM (a time limit, scancel) and SIGINT (Ctrl-C) to mpirun, which passes
# it on: the ranks remove the temporary file before they die.
for sig in (signal.SIGTERM, signal.SIGINT):
    p = subprocess.Popen([MPIEXEC, "-n", "2", os.path.join(BUILD, "apps", "cohort-gen"), "--output",
                          "term.h5:/x", "--rows", "2e9", "--block-rows", "100000", "--no-progress"],
                         cwd=tmp, env=env(2), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time() + 60
    while not glob.glob(os.path.join(tmp, ".term.h5.cohort-*")) and time.time() < end:
        time.sleep(0.1)
    time.sleep(0.5)
    p.send_signal(sig)
    p.wait(timeout=60)
    time.sleep(0.5)
    check(not os.path.exists(os.path.join(tmp, "term.h5")) and not glob.glob(os.path.join(tmp, ".term.h5.cohort-*")),
          "signal %d: the run left %s" % (sig, os.listdir(tmp)))

# --help and --version
r = run("cohort-gen", ["--help"], np_=1)
expect_exit(r, 0, "cohort-gen", "--help")
check("Usage: cohort-gen" in r.out and "--nan-fraction" in r.out and "--memory-budget" in r.out, "--help text")
r = run("cohort-info", ["--version"], np_=1)
check(r.out.startswith("cohort-info (Cohort) "), "--version")

# cohort-info against h5py on the I/O fixtures.
fx = os.path.join(tmp, "fx")
subprocess.run(["/usr/bin/env", os.environ.get("TEST_PYTHON", "python3"), os.path.join(SRC, "fixtures.py"), fx],
               check=True)
for np_ in NPS:
    r = run("cohort-info", [os.path.join(fx, "layout.h5"), "--format", "json"], np_=np_)
    expect_exit(r, 0, "cohort-info", "info json")
    j = loads(r.out)
    ds = {d["path"]: d for d in j["files"][0]["datasets"]}
    with h5py.File(os.path.join(fx, "layout.h5"), "r") as f:
        for path in ("/data/gz", "/ext", "/a/b/c/x"):
            check(tuple(ds[path]["shape"]) == f[path].shape, "shape of %s" % path)
        check(ds["/data/gz"]["chunk"] == [100] and [x["name"] for x in ds["/data/gz"]["filters"]] ==
              ["shuffle", "deflate", "fletcher32"], "filters of /data/gz")
        check(ds["/ext"]["maxshape"] == [None], "extendible maxshape")
r = run("cohort-info", [os.path.join(fx, "part-*.h5") + ":/x", "--ranks", "5", "--format", "json"], np_=2)
expect_exit(r, 0, "cohort-info", "info on a glob")
plan = loads(r.out)["plan"]
check(plan["ranks"] == 5 and plan["rows"] == 1003 and [x["rows"] for x in plan["ranges"]] == [201, 201, 201, 200, 200],
      "partition plan for 5 ranks")
check(plan["ranges"][1]["files"] == [0, 2], "rank 1 spans files 0..2 (part-10, part-2 empty, part-3)")
r = run("cohort-info", [os.path.join(fx, "pandas.h5") + ":/df/table"], np_=1)
check("members: index" in r.out and "s (string" in r.out, "compound members listed")
r = run("cohort-info", [os.path.join(fx, "missing_filter.h5")], np_=1)
check("missing(200) MISSING" in r.out, "missing filter flagged")
r = run("cohort-info", [os.path.join(fx, "nope.h5")], np_=2)
expect_exit(r, 2, "cohort-info", "missing file", ["nope.h5"])
r = run("cohort-info", [os.path.join(fx, "plain.h5") + ":/nothing"], np_=2)
expect_exit(r, 2, "cohort-info", "missing dataset", ["/nothing"])

# Sizes no file can have are usage errors, a chunk the budget cannot hold a budget error (issue #21
# items 11, 14); the generator's own blocks shrink to fit --memory-budget, the data the same.
for args, code, needle in ((["--rows", "9223372036854775807"], 1, "2^63 bytes"),
                           (["--rows", "1000", "--chunk", "1e15"], 1, "4 GiB"),
                           (["--rows", "100000", "--chunk", "10000000", "--gzip", "1", "--memory-budget", "64M"], 4,
                            "memory budget"),
                           (["--rows", "1000", "--cols", "1000", "--memory-budget", "4K"], 4, "memory budget")):
    r = gen(os.path.join(tmp, "sizes.h5") + ":/x", "--force", *args)
    expect_exit(r, code, "cohort-gen", " ".join(args), [needle])
    check(not os.path.exists(os.path.join(tmp, "sizes.h5")), "nothing written for %s" % args)
r = gen(os.path.join(tmp, "small.h5") + ":/x", "--rows", "100000", "--memory-budget", "200K")
r2 = gen(os.path.join(tmp, "big.h5") + ":/x", "--rows", "100000")
expect_exit(r, 0, "cohort-gen", "blocks within a 200K budget")
if r.rc == 0 and r2.rc == 0:
    check(np.array_equal(data("small.h5", "/x"), data("big.h5", "/x")), "the same data in smaller blocks")

# Output names up to the file system's limit (issue #21 item 7: 210-255 characters aborted inside
# Open MPI, which names a file after the temporary one); one byte more is an output error.
for n, code in ((230, 0), (255, 0), (256, 3)):
    name = "o" * (n - 3) + ".h5"
    r = gen(os.path.join(tmp, name) + ":/x", "--rows", "1000", np_=2)
    expect_exit(r, code, "cohort-gen", "an output name of %d bytes" % n, ["File name too long"] if code else [])
    if code == 0 and r.rc == 0:
        check(len(data(name, "/x")) == 1000, "%d-byte name written" % n)
        os.remove(os.path.join(tmp, name))
check(not glob.glob(os.path.join(tmp, ".o*.cohort-*")), "no temporary file left")

# Hostile files (issue #21 items 8, 9, 13): a 10,000-character name, a scalar, a 3-D dataset and
# declared shapes far beyond the file (2^33 x 2^28 + 1, 2^32 + 1 columns) are all listed whole.
odd = os.path.join(tmp, "odd.h5")
long_name = "n" + "q" * 10000
with h5py.File(odd, "w") as h:
    h[long_name] = np.zeros(3)
    h["s"] = np.float64(3)
    h["x3"] = np.zeros((4, 5, 6))
    h.create_dataset("huge", shape=(8589934592, 268435457), dtype="<i4")
    h.create_dataset("wide", shape=(10, 2 ** 32 + 1), dtype="<i4")
r = run("cohort-info", [odd, "--format", "json"], np_=1)
expect_exit(r, 0, "cohort-info", "odd names and shapes")
if r.rc == 0:
    ds = {d["path"]: d for d in loads(r.out)["files"][0]["datasets"]}
    check(ds.get("/" + long_name, {}).get("shape") == [3], "a 10,000-character name listed whole")
    check(ds["/x3"]["shape"] == [4, 5, 6] and ds["/s"]["shape"] == [] and
          ds["/huge"]["shape"] == [8589934592, 268435457] and ds["/wide"]["shape"] == [10, 2 ** 32 + 1],
          "shapes: %s" % {k: v["shape"] for k, v in ds.items() if len(k) < 10})
r = run("cohort-info", [odd], np_=1)
check("[4 x 5 x 6]" in r.out, "3-D shape in text")

# A damaged object header (its version byte): h5py refuses the file, so cohort-info exits 2, not 0.
bad = os.path.join(tmp, "damaged.h5")
with h5py.File(bad, "w") as h:
    h["a"] = np.arange(100.0)
    h.create_group("g")["b"] = np.zeros((4, 5, 6), "i4")
    addr = h5py.h5o.get_info(h["g/b"].id).addr
raw = bytearray(open(bad, "rb").read())
raw[addr] = 9
open(bad, "wb").write(bytes(raw))
try:
    with h5py.File(bad, "r") as h:
        h.visit(lambda name: None)
    refused = False
except Exception:
    refused = True
check(refused, "h5py refuses the damaged file (the oracle)")
for args in ([bad], [bad, "--format", "json"]):
    r = run("cohort-info", args, np_=2)
    expect_exit(r, 2, "cohort-info", "damaged file " + " ".join(args[1:]), ["damaged.h5"])
finish()

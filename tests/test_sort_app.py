#!/usr/bin/env python3
"""cohort-sort as users run it, against numpy/Python stable sorts on files
written by h5py, pandas and netCDF-4: every type, both directions, payloads,
argsort, globs; identical output bytes at every rank count; bad inputs."""
import math
import os
import shutil
import stat
import subprocess

import h5py
import numpy as np

from apptest import tempdir, NPS, SRC, check, expect_exit, finish, progress_lines, run

tmp = tempdir("cohort-sort-")
fx = os.path.join(tmp, "fx")
subprocess.run([os.environ.get("TEST_PYTHON", "python3"), os.path.join(SRC, "fixtures.py"), fx], check=True,
               env={k: v for k, v in os.environ.items() if not k.startswith("OMPI_")})

# Special floats: NaN (both signs), -0.0, +0.0, infinities, duplicates.
special = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, 1.5, -1.5, 0.0, -np.nan, 2.0] * 101, dtype="f8")
with h5py.File(os.path.join(fx, "special.h5"), "w") as f:
    f["x"] = special
    f["f"] = special.astype("f4")
    f["i"] = np.arange(len(special), dtype=np.int32)


def expected_order(x, desc):
    n = len(x)
    if x.dtype.kind == "f":
        key = lambda i: (math.isnan(x[i]), -x[i] if desc else x[i])  # noqa: E731
        return sorted(range(n), key=key)
    if x.dtype.kind in "iu":
        return sorted(range(n), key=lambda i: -int(x[i]) if desc else int(x[i]))
    return sorted(range(n), key=lambda i: bytes(x[i]).ljust(x.dtype.itemsize, b"\0"), reverse=desc)


def load(path, dset):
    with h5py.File(path, "r") as f:
        return f[dset][...]


def read_ref(ref):
    """numpy view of a reference (file or glob, dataset, member)."""
    import glob
    fpart, dpart = ref.split(":/", 1)
    dset, _, member = dpart.partition("#")
    parts = []
    for name in sorted(glob.glob(fpart), key=lambda s: s.encode()):
        with h5py.File(name, "r") as f:
            d = f["/" + dset][...]
            parts.append(d[member] if member else d)
    return np.concatenate(parts)


cases = [
    ("types.h5:/i8_le", None), ("types.h5:/u16_be", None), ("types.h5:/i32_be", None),
    ("types.h5:/u64_le", None), ("types.h5:/i64_be", None), ("types.h5:/f32_be", None),
    ("types.h5:/f64_le", None), ("plain.h5:/s", None), ("pandas.h5:/df/table#s", "pandas.h5:/df/table#b"),
    ("pandas.h5:/df/table#a", "pandas.h5:/df/table#s"), ("part-*.h5:/x", None), ("netcdf.nc:/temp", None),
    ("special.h5:/x", "special.h5:/i"), ("special.h5:/f", "special.h5:/i"), ("layout.h5:/data/gz", "matrix.h5:/m"),
]
for src, payload in cases:
    x = read_ref(os.path.join(fx, src))
    for desc in (False, True):
        order = np.array(expected_order(x, desc), dtype=np.int64)
        outputs = []
        for np_ in NPS:
            out = os.path.join(tmp, "o-%d.h5" % np_)
            args = ["--input", os.path.join(fx, src), "--output", out + ":/r/k", "--index", "idx", "--verify",
                    "--force", "--no-progress"]
            if payload:
                args += ["--with", os.path.join(fx, payload)]
            if desc:
                args.append("--descending")
            r = run("cohort-sort", args, np_=np_)
            expect_exit(r, 0, "cohort-sort", "sort %s desc=%s at %d ranks" % (src, desc, np_))
            if r.rc:
                continue
            with h5py.File(out, "r") as f:
                k, idx = f["/r/k"][...], f["/r/idx"][...]
                pay = f["/r/" + payload.split("#")[-1].split("/")[-1]][...] if payload else None
            what = "%s desc=%s at %d ranks" % (src, desc, np_)
            check(np.array_equal(idx, order), what + ": argsort index")
            check(k.dtype == x.dtype and k.view(np.uint8).tobytes() == x[order].view(np.uint8).tobytes(),
                  what + ": keys bit for bit")
            if payload:
                pv = read_ref(os.path.join(fx, payload))
                check(pay.shape == pv.shape and np.array_equal(pay, pv[order]), what + ": payload rows")
            outputs.append(tuple(load(out, d).tobytes() for d in ("/r/k", "/r/idx")))
        check(all(o == outputs[0] for o in outputs), "%s desc=%s: output differs between rank counts" % (src, desc))

# A generated dataset larger than a block, zipf and uniform, sorted at 2 ranks and compared to numpy.sort.
r = run("cohort-gen", ["--output", os.path.join(tmp, "big.h5") + ":/x", "--rows", "300001", "--type", "int64",
                       "--dist", "zipf", "--no-progress"], np_=2)
r = run("cohort-sort", ["--input", os.path.join(tmp, "big.h5") + ":/x", "--output",
                        os.path.join(tmp, "big-sorted.h5") + ":/x", "--gzip", "1", "--no-progress"], np_=3)
expect_exit(r, 0, "cohort-sort", "sort 300001 zipf keys with gzip output")
check(np.array_equal(load(os.path.join(tmp, "big-sorted.h5"), "/x"), np.sort(load(os.path.join(tmp, "big.h5"), "/x"))),
      "big zipf sort equals numpy.sort")

# Variable-length string keys with a payload (stable: equal keys keep their order), and as a
# payload; a string over the limit is an error naming the row, and no output appears.
vs = load(os.path.join(fx, "plain.h5"), "/vs")
vs = np.array([v.decode() if isinstance(v, bytes) else v for v in vs], dtype=object)
order = np.argsort(np.array([v.encode() for v in vs], dtype=object), kind="stable")
out = os.path.join(tmp, "vs-sorted.h5")
for np_ in NPS:
    r = run("cohort-sort", ["--input", os.path.join(fx, "plain.h5") + ":/vs", "--with", os.path.join(fx, "plain.h5") + ":/x",
                            "--with", os.path.join(fx, "plain.h5") + ":/vt#name", "--output", out + ":/k", "--force"],
            np_=np_)
    expect_exit(r, 0, "cohort-sort", "variable-length string keys at %d ranks" % np_)
    with h5py.File(out, "r") as h:
        keys, x, name = [list(h[p][...]) for p in ("k", "x", "name")]
    want = [vs[i].encode() for i in order]
    check(keys == want and name == want, "variable-length string keys sorted at %d ranks" % np_)
    check(np.array_equal(x, load(os.path.join(fx, "plain.h5"), "/x")[order]), "payload follows the strings at %d ranks" % np_)
r = run("cohort-sort", ["--input", os.path.join(fx, "plain.h5") + ":/vs", "--output", out + ":/k", "--force"], np_=NPS[-1],
        extra_env={"COHORT_STRING_WIDTH_MAX": "5"})
expect_exit(r, 2, "cohort-sort", "a string over the limit")
check("row 5 of /vs" in r.err and "6 bytes" in r.err, "the over-long string's row named: %s" % r.err)

# Progress, under mpirun with stderr not a terminal: with --progress one steady line per phase (read,
# sort, verify, each dataset written), redrawn in place up to 100% with a rate and the time taken; with -v
# one line per phase as it ends (no redrawing); without either, nothing.
src = os.path.join(tmp, "big.h5") + ":/x"
out = os.path.join(tmp, "progress.h5")
r = run("cohort-sort", ["--input", src, "--with", src, "--output", out + ":/s/k", "--verify", "--force", "--progress"],
        np_=2)
expect_exit(r, 0, "cohort-sort", "--progress")
ph = progress_lines("cohort-sort", r.err)
check([p[0] for p in ph] == ["read", "read", "sort", "verify", "write /s/k", "write /s/x"] and all(p[2] for p in ph),
      "one steady line per phase, each to 100%%: %r" % ph)
check("rows/s per rank" in r.err, "a rate: %r" % r.err[-300:])
r = run("cohort-sort", ["--input", src, "--output", out + ":/k", "--verify", "--force", "-v"], np_=2)
lines = [l for l in r.err.splitlines() if l.startswith("cohort-sort: ")]
check("\r" not in r.err and [l.split(":")[1].strip() for l in lines] == ["read", "sort", "verify", "write /k"] and
      "rows on rank 0 in" in lines[0], "-v: a line per phase as it ends: %r" % lines)
r = run("cohort-sort", ["--input", src, "--output", out + ":/k", "--force"], np_=2)
check(r.err == "", "no progress unless asked: %r" % r.err)

# Bad inputs: documented exit codes, one line from rank 0, no output file.
bad = os.path.join(tmp, "bad.h5")
cases = [
    (["--input", os.path.join(fx, "nope.h5") + ":/x"], 2, ["nope.h5"]),
    (["--input", os.path.join(fx, "plain.h5") + ":/vt"], 2, ["/vt", "compound"]),
    (["--input", os.path.join(fx, "matrix.h5") + ":/m"], 2, ["one column"]),
    (["--input", os.path.join(fx, "plain.h5") + ":/x", "--with", os.path.join(fx, "plain.h5") + ":/tiny"], 2,
     ["/tiny", "3 rows"]),
    (["--input", os.path.join(fx, "plain.h5") + ":/x", "--with", os.path.join(fx, "types.h5") + ":/x"], 1, ["x"]),
    (["--input", os.path.join(fx, "plain.h5") + ":/x", "--index", "x"], 1, ["x"]),
    (["--output", bad + ":/x"], 1, ["--input"]),
    (["--input", os.path.join(fx, "plain.h5") + ":/x", "--memory-budget", "2K"], 4, ["budget"]),
]
for args, code, needles in cases:
    full = args + (["--output", bad + ":/x"] if "--output" not in args else []) + ["--no-progress"]
    for np_ in (1, 3):
        r = run("cohort-sort", full, np_=np_)
        expect_exit(r, code, "cohort-sort", "bad input %s at %d ranks" % (args, np_), needles)
        check(not os.path.exists(bad), "no output after %s" % args)
r = run("cohort-sort", ["--input", os.path.join(fx, "plain.h5") + ":/x", "--output",
                        os.path.join(tmp, "big.h5") + ":/x", "--no-progress"], np_=2)
expect_exit(r, 3, "cohort-sort", "existing output", ["big.h5"])

# Outputs that would lose data (#21): an input (by another name: a hard link), appended to or replaced;
# something that is not a regular file (a FIFO stands for /dev/null); appending to what is not HDF5.
# Each is refused with exit 3 and leaves the file as it was.  Through a symbolic link the target is
# written and the link kept.  A FIFO as input is an input error, not a wait for a writer.
import hashlib  # noqa: E402
src = os.path.join(tmp, "src.h5")
shutil.copy(os.path.join(fx, "plain.h5"), src)
os.link(src, os.path.join(tmp, "src-link.h5"))
fifo = os.path.join(tmp, "fifo")
os.mkfifo(fifo)
empty = os.path.join(tmp, "empty.h5")
open(empty, "w").close()
digest = hashlib.sha256(open(src, "rb").read()).hexdigest()
for out, mode, needle in ((src, "--append", "one of the inputs"), (os.path.join(tmp, "src-link.h5"), "--force",
                                                                      "one of the inputs"),
                          (fifo, "--force", "not a regular file"), (empty, "--append", "not an HDF5 file")):
    r = run("cohort-sort", ["--input", src + ":/x", "--output", out + ":/sorted", mode], np_=2)
    expect_exit(r, 3, "cohort-sort", "output %s with %s" % (os.path.basename(out), mode), [needle])
check(hashlib.sha256(open(src, "rb").read()).hexdigest() == digest and os.path.getsize(empty) == 0 and
      stat.S_ISFIFO(os.stat(fifo).st_mode), "refused outputs left every file as it was")
os.symlink("target.h5", os.path.join(tmp, "link.h5"))
shutil.copy(src, os.path.join(tmp, "target.h5"))
r = run("cohort-sort", ["--input", src + ":/x", "--output", os.path.join(tmp, "link.h5") + ":/sorted", "--append"])
expect_exit(r, 0, "cohort-sort", "--append through a symbolic link")
check(os.path.islink(os.path.join(tmp, "link.h5")) and
      "sorted" in h5py.File(os.path.join(tmp, "target.h5"), "r"), "the link kept, its target written")
r = run("cohort-sort", ["--input", fifo + ":/x", "--output", bad + ":/x"], np_=2, timeout=60)
expect_exit(r, 2, "cohort-sort", "a FIFO as input", ["not a regular file"])
finish()

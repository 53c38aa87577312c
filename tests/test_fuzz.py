#!/usr/bin/env python3
"""Hostile input (issue #21): damaged and adversarial files, and hostile
arguments, through the library and every program.

The corpus (tests/fuzz_corpus.py): seed files written by h5py, pandas and
netCDF-4 with awkward content, the PyTables project's test files, and
damaged copies of the seeds (truncations, flipped bits in the superblock,
object headers, other metadata and chunk data, smashed bytes, absurd
dimension and chunk sizes).

  1. The library's read path (tests/fuzz_inputs): every dataset of every
     corpus file described, opened, streamed and its moments computed, at
     1 and 3 ranks (the long tier also 2): every rank returns the same
     status, an input's error or success.
  2. The programs: every program on every seed, and 18 damaged or
     PyTables files through one program each, at 1-3 ranks in turn.
  3. Arguments: generated option values (numbers such as 1e30 and 2^63,
     ranges, probability lists, bin specifications, column specifications,
     references, globs, budgets) given to the programs.

A program passes when it ends within its timeout, every rank exits with
the same code, one of 0-4 (1 only for arguments), an error is one line
"PROG: error: ..." from rank 0, the input file is unchanged (checksum),
and a failed output leaves neither the output nor a temporary file.  In
the sanitizer build (CI's last step) any report fails the run.

Tiers: the quick tier runs in `make check` (about 85 launches: under 2
minutes on two cores, about 10 in the sanitizer build); COHORT_FUZZ=long writes six
times the damaged files (and damaged copies of the PyTables files), sends
every seed reference through every program, draws COHORT_FUZZ_RUNS
(default 1500) runs from every damaged file, program and rank count, and
generates 400 argument sets.  COHORT_FUZZ_SEED varies the arguments and
the draws.  The summary prints the figures.

HDF5's own crashes: some damaged files crash HDF5 1.10.8 itself, in any
program that reads them (a global heap collection whose object size was
damaged: H5HG_read copies past it, reading variable-length strings; a
chunk dimension of 0 in a layout message HDF5 does not check: a division
by zero in H5D__chunk_set_info, in H5Dopen).  The long tier first reads
every damaged file with h5py, which links the same HDF5 release, in a
child process: a file that kills h5py with a signal is counted and listed
as HDF5's crash and not given to Cohort.  Every other file must pass."""
import collections
import hashlib
import os
import random
import shutil
import subprocess
import struct
import sys

import h5py
import numpy as np

import fuzz_corpus
from apptest import BUILD, MPIEXEC, check, env, finish, run, tempdir

TIER = os.environ.get("COHORT_FUZZ", "quick")
LONG = TIER == "long"
SEED = int(os.environ.get("COHORT_FUZZ_SEED", "21"))
RUN_TIMEOUT = 240
rng = random.Random(SEED)
work = tempdir("cohort-fuzz-")
corpus = fuzz_corpus.build(os.path.join(work, "corpus"), "long" if LONG else "quick")
out_dir = os.path.join(work, "out")
os.mkdir(out_dir)
outcomes = collections.Counter()
runs = 0
ranks = [1, 2, 3]  # the programs at 1-3 ranks in turn, whatever NPS (the sanitizer step's is 2 alone)


def digest(path):
    try:
        return hashlib.sha256(open(path, "rb").read()).hexdigest()
    except OSError:
        return None


# 0. HDF5's own crashes (long tier): files on which h5py, over the same HDF5 release, dies of a
# signal.  One child reads file after file, naming each first; a crash names its file and a new
# child goes on after it.
PROBE = r"""
import sys, h5py, numpy
def read(f, name):  # every object on its own: one's error must not hide the next
    try:
        obj = f[name]
        dict(obj.attrs)
        if isinstance(obj, h5py.Dataset):
            obj.dtype, obj.shape, obj.chunks, obj.compression
            obj[...] if obj.size * max(obj.dtype.itemsize, 1) < 1 << 28 else obj[:1]
    except Exception:
        pass
for path in sys.stdin.read().split("\n")[int(sys.argv[1]):]:
    print(path, flush=True)
    try:
        with h5py.File(path, "r") as f:
            names = ["/"]
            try:
                f.visit(names.append)
            except Exception:
                pass
            for name in names:
                read(f, name)
    except Exception:
        pass
print("", flush=True)
"""


def hdf5_crashers(cases):
    """The cases whose files crash h5py (by signal), with the signal."""
    paths, found, start = [c.path for c in cases], {}, 0
    while start < len(paths):
        try:
            p = subprocess.run([sys.executable, "-c", PROBE, str(start)], input="\n".join(paths), text=True,
                               capture_output=True, timeout=1800)
        except subprocess.TimeoutExpired:
            check(False, "the h5py probe hung after file %d" % start)
            break
        seen = [l for l in p.stdout.splitlines() if l]
        if p.returncode >= 0 or not seen:
            break
        found[seen[-1]] = -p.returncode
        start = paths.index(seen[-1]) + 1
    return [(c, found[c.path]) for c in cases if c.path in found]


if LONG:
    crashed = hdf5_crashers([c for c in corpus if c.kind != "seed"])
    for c, sig in crashed:
        outcomes["HDF5's crash (h5py: signal %d): skipped" % sig] += 1
        print("HDF5 1.10.8 crashes on %s (%s): h5py dies of signal %d" % (os.path.basename(c.path), c.kind, sig))
    corpus = [c for c in corpus if c not in [k for k, _ in crashed]]

# 1. The library's read path, many files per launch.
refs = [r for c in corpus for r in c.refs]
listing = os.path.join(work, "refs.txt")
with open(listing, "w") as f:
    f.write("".join(r + "\n" for r in refs))
for np_ in ([1, 2, 3] if LONG else [1, 3]):  # one launch each: cheap at any NPS
    exe = os.path.join(BUILD, "tests", "fuzz_inputs")
    try:
        p = subprocess.run([MPIEXEC, "-n", str(np_), "--oversubscribe", exe, listing], capture_output=True,
                           env=env(np_), timeout=900 if LONG else 600)
        text = p.stdout.decode("utf-8", "replace")
        check(p.returncode == 0, "fuzz_inputs at %d rank(s): exit %d\n%s%s" % (
            np_, p.returncode, "\n".join(l for l in text.splitlines() if l.startswith("FAIL")),
            p.stderr.decode("utf-8", "replace")[-4000:]))
        summary = [l for l in text.splitlines() if l.startswith("fuzz_inputs:")]
        print("library at %d rank(s): %s" % (np_, summary[-1] if summary else "no summary"), flush=True)
        for l in text.splitlines():
            if l.startswith(work):
                outcomes["library: " + l.rsplit(": ", 1)[-1]] += 1
    except subprocess.TimeoutExpired:
        check(False, "fuzz_inputs at %d rank(s): no verdict (a hang)" % np_)
    runs += 1

# 2. The programs.
def first_ref(case, k=0):
    return case.refs[k % len(case.refs)] if case.refs else case.path + ":/x"


def command(prog, case, out):
    """The arguments of PROG on CASE (its references in turn), writing under OUT."""
    r = first_ref(case)
    if prog == "cohort-info":
        return [case.path, "--format", "json"]
    if prog == "cohort-stats":
        return ["-i", r, "--cov"]
    if prog == "cohort-hist":
        return ["-i", r, "--bins", "5", "--format", "json"]
    if prog == "cohort-quantile":
        return ["-i", r, "--q", "0,0.25,1", "--method", "hazen"]
    if prog == "cohort-sort":
        # Names no corpus dataset has: a payload's output is named after its dataset, and a clash
        # ("/sorted" beside a PyTables index's "sorted") is a usage error, exit 1.
        return ["-i", r, "-o", out + ":/fuzz_sorted", "--with", first_ref(case, 1), "--index", "fuzz_index"]
    if prog == "cohort-groupby":
        return ["--keys", r, "--values", first_ref(case, 2), "--agg", "size,sum,median,nunique", "-o", out + ":/g"]
    if prog == "cohort-reduce":
        return ["-i", r, "--over", "0", "--agg", "mean,max", "-o", out + ":/r"]
    raise ValueError(prog)


PROGRAMS = ["cohort-info", "cohort-stats", "cohort-hist", "cohort-quantile", "cohort-sort", "cohort-groupby",
            "cohort-reduce"]


def run_checked(prog, args, np_, what, out=None, inputs=(), allowed=(0, 2, 3, 4)):
    """Run PROG and check the contract; returns the exit code (None for a hang)."""
    global runs
    before = [digest(p) for p in inputs]
    for name in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, name))
    runs += 1
    try:
        r = run(prog, args, np_=np_, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        check(False, "%s: no verdict after %d s (a hang): %s %s" % (what, RUN_TIMEOUT, prog, args))
        outcomes["hang"] += 1
        return None
    codes = set(r.rank_codes)
    code = r.rank_codes[0]
    outcomes["%s exit %s" % (prog, code)] += 1
    ok = check(len(codes) == 1 and code in allowed,
               "%s: exit codes %s at %d rank(s): %s %s\n%s" % (what, r.rank_codes, np_, prog, args, r.err[-3000:]))
    if ok and code != 0:
        lines = r.error_lines(prog)
        ok = check(len(lines) == 1 and lines[0].startswith(prog + ": error: "),
                   "%s: expected one error line, got %r\n%s" % (what, lines, r.err[-2000:]))
    for word in ("runtime error:", "AddressSanitizer", "LeakSanitizer"):
        ok &= check(word not in r.err, "%s: sanitizer report: %s %s\n%s" % (what, prog, args, r.err[-6000:]))
    for p, d in zip(inputs, before):
        ok &= check(digest(p) == d, "%s: %s changed the input %s" % (what, prog, p))
    if out and code != 0:
        left = os.listdir(out_dir)
        ok &= check(not left, "%s: exit %s left %s" % (what, code, left))
    return code


out = os.path.join(out_dir, "o.h5")
seeds = [c for c in corpus if c.kind == "seed"]
damaged = [c for c in corpus if c.kind not in ("seed", "real-world file")]
real = [c for c in corpus if c.kind == "real-world file"]
def rotated(case, j):
    """CASE with its references rotated to start at the J-th."""
    j %= len(case.refs)
    return fuzz_corpus.Case(case.path, case.refs[j:] + case.refs[:j], case.kind)


# Seeds: every program, the references in turn (the long tier: every reference through every program).
k = 0
for case in seeds:
    for prog in PROGRAMS:
        for j in (range(len(case.refs)) if LONG else [k]):
            np_ = ranks[k % len(ranks)]
            k += 1
            sub = rotated(case, j)
            run_checked(prog, command(prog, sub, out), np_, "seed %s" % sub.refs[0], out, [case.path])
# Damaged and real-world files: the quick tier sends some through one program each, in turn; the
# long tier draws COHORT_FUZZ_RUNS (default 1500) runs from every file, program and rank count.
if LONG:
    combos = [(case, prog, np_) for case in damaged + real for prog in PROGRAMS for np_ in ranks]
    combos = rng.sample(combos, min(len(combos), int(os.environ.get("COHORT_FUZZ_RUNS", "1500"))))
else:
    picked = rng.sample(damaged, min(len(damaged), 15)) + rng.sample(real, min(len(real), 3))
    combos = [(case, PROGRAMS[(k + i) % len(PROGRAMS)], ranks[(k + i) % len(ranks)]) for i, case in enumerate(picked)]
for case, prog, np_ in combos:
    run_checked(prog, command(prog, case, out), np_, "%r" % case, out, [case.path])

# Regressions the suite found, at one rank and several (the answer once depended on it):
# a chunked dataset whose dataspace declares 2^63-1 rows read as 0 rows at one rank and
# failed with an I/O error at three; its bytes do not fit 64 bits: an input error.
huge = [c for c in damaged if c.kind.startswith("shape dims of b: 1500 -> %d" % (2**63 - 1))]
check(len(huge) == 1, "the corpus has the 2^63-1-row dataset: %s" % huge)
for case in huge:
    for np_ in (1, ranks[-1]):
        r = run("cohort-stats", ["-i", case.refs[0]], np_=np_)
        runs += 1
        check(set(r.rank_codes) == {2} and "more than 2^63 bytes" in r.err,
              "2^63-1 rows at %d rank(s): %s %s" % (np_, r.rank_codes, r.err[-500:]))

# A contiguous dataset of 1-byte values whose dataspace declares 2^63 - 1 rows over its 30 bytes
# of storage: it fits 2^63 bytes, and read as 0 rows (the stream's block count overflowed; the
# group-by of cohort-reduce then called it an internal error).  Now an input error naming it.
small = os.path.join(work, "flag.h5")
with h5py.File(small, "w") as f:
    f.create_dataset("flag", data=np.arange(30, dtype=np.int8))
buf = bytearray(open(small, "rb").read())
pos = buf.find(struct.pack("<Q", 30))
check(pos > 0, "the dataspace of /flag is found")
buf[pos:pos + 8] = struct.pack("<Q", 2**63 - 1)
open(small, "wb").write(bytes(buf))
for prog, args in (("cohort-stats", ["-i", small + ":/flag"]),
                   ("cohort-reduce", ["-i", small + ":/flag", "--over", "0", "-o", out + ":/r"])):
    r = run(prog, args, np_=ranks[-1])
    runs += 1
    check(set(r.rank_codes) == {2} and "declares more values than its contiguous storage of 30 bytes" in r.err,
          "%s on 2^63-1 int8 rows over 30 bytes: %s %s" % (prog, r.rank_codes, r.err[-500:]))

# 3. Arguments.
good = seeds[0].refs[0]
NUMBERS = ["0", "-1", "1e30", "-1e30", "9223372036854775807", "9223372036854775808", "18446744073709551616",
           "1e-400", "nan", "inf", "-inf", "0x10", "3abc", "", " 3", "3 ", "1,", "+", "-", "1e", "٣",
           "99999999999999999999999999999999", "2147483648", "-2147483649", "4.5", "1_000"]


def gen_value(kind):
    if kind == "number":
        return rng.choice(NUMBERS)
    if kind == "range":
        return rng.choice(NUMBERS) + rng.choice([":", "::", ",", ""]) + rng.choice(NUMBERS)
    if kind == "list":
        return ",".join(rng.choice(NUMBERS + ["0.5", "1", "0"]) for _ in range(rng.randint(0, 4))) + \
            rng.choice(["", ",", ",,"])
    if kind == "bins":
        return rng.choice(["auto", "fd", "doane", "xyz", "AUTO", "sqrt,sqrt"] + NUMBERS +
                          [",".join(rng.choice(NUMBERS) for _ in range(3))])
    if kind == "edges":
        return rng.choice(["", "0=", "1=", "x="]) + ",".join(rng.choice(NUMBERS + ["1", "2", "2"]) for _ in
                                                             range(rng.randint(0, 5)))
    if kind == "budget":
        return rng.choice(NUMBERS + ["1K", "1Q", "-5G", "99999999999G", "1.5M", "0G", "16E", "1k"])
    if kind == "ref":
        f = seeds[0].path
        return rng.choice([f, f + ":", ":/x", f + ":/x:/y", f + ":/x/", f + ":/x/nonesuch", f + ":/" + "q" * 5000,
                           "/" + "d" * 5000 + ".h5:/x", "'" + f + "'", os.path.join(work, "corpus", "*.none:/x"),
                           os.path.join(work, "corpus", "[:/x"), os.path.join(work, "corpus", "columns*.h5") + ":/x",
                           "/dev/zero:/x", "/proc/self/mem:/x", work + ":/x", "~/x.h5:/x", "-:/x"])
    if kind == "column":
        return rng.choice(["x:float64:normal", "x", "x:int8:uniform:0:300", "x:float64:normal:nan",
                           ":float64", "x:complex", "x:int64:sequence:1e30", "x:uint64:uniform:-1:1",
                           "x" * 300 + ":int32", "x:string:8", "x:float32:constant:1e39"])
    return rng.choice(NUMBERS)


OPTIONS = {
    "cohort-stats": [("--ddof", "number"), ("--pca", "number"), ("--ridge", "number"), ("--input", "ref"),
                     ("--memory-budget", "budget"), ("--weights", "ref"), ("--regress", "ref")],
    "cohort-hist": [("--bins", "bins"), ("--range", "range"), ("--edges", "edges"), ("--input", "ref"),
                    ("--weights", "ref"), ("--memory-budget", "budget")],
    "cohort-quantile": [("--q", "list"), ("--method", "bins"), ("--approx", "number"), ("--input", "ref"),
                        ("--memory-budget", "budget")],
    "cohort-sort": [("--gzip", "number"), ("--memory-budget", "budget"), ("--with", "ref"), ("--index", "number"),
                    ("--pandas", "number")],
    "cohort-groupby": [("--agg", "list"), ("--dropna", "number"), ("--keys", "ref"), ("--memory-budget", "budget")],
    "cohort-gen": [("--rows", "number"), ("--chunk", "number"), ("--column", "column"), ("--gzip", "number"),
                   ("--memory-budget", "budget"), ("--seed", "number")],
    "cohort-info": [("--ranks", "number"), ("--format", "number"), ("--memory-budget", "budget")],
    "cohort-reduce": [("--over", "list"), ("--agg", "list"), ("--memory-budget", "budget"), ("--input", "ref")],
}
BASE = {
    "cohort-stats": ["-i", good],
    "cohort-hist": ["-i", good],
    "cohort-quantile": ["-i", good],
    "cohort-sort": ["-i", good, "-o", out + ":/s"],
    "cohort-groupby": ["--keys", seeds[0].path + ":/k", "--values", good],
    "cohort-gen": ["--output", out + ":/g", "--rows", "1000"],
    "cohort-info": [seeds[0].path],
    "cohort-reduce": ["-i", seeds[2].path + ":/cube", "--over", "0", "-o", out + ":/r"],
}
n_args = 400 if LONG else 12
progs = sorted(OPTIONS)
for a in range(n_args):
    prog = progs[a % len(progs)]
    args = list(BASE[prog])
    for _ in range(rng.randint(1, 2)):
        opt, kind = rng.choice(OPTIONS[prog])
        args += [opt, gen_value(kind)]
    run_checked(prog, args, ranks[a % len(ranks)], "arguments", out, [seeds[0].path], allowed=(0, 1, 2, 3, 4))

print("fuzz (%s tier, seed %d): %d corpus files (%d seeds, %d damaged, %d real-world), %d references; "
      "%d launches" % (TIER, SEED, len(corpus), len(seeds), len(damaged), len(real), len(refs), runs))
for key, n in sorted(outcomes.items()):
    print("  %-36s %d" % (key, n))
finish()

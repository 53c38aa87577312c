#!/usr/bin/env python3
"""Faults during a run (issue #21): SIGTERM and SIGKILL sent to one rank,
and SIGTERM, SIGINT and SIGKILL sent to mpirun, at a random moment of a
run of cohort-gen, cohort-sort, cohort-groupby, cohort-hist and
cohort-stats writing an output (over a previous file with --force or
--append, or where there was none).  Afterwards:

  - mpirun has returned within 30 s of the signal, and no rank outlives it
    by more than 10 s (a rank whose launcher was killed ends by itself);
  - the output's name holds the complete previous file (checksum), or
    nothing where there was none, or the complete new output (the run
    finished before the signal did anything): never a partial file;
  - the input is unchanged;
  - no temporary file is left, except after a SIGKILL (no handler runs);
    those are exactly what the README's command lists and removes:
    find DIR -name '.*.cohort-*.tmp' [-delete].

COHORT_FAULT_SEED varies the moments; COHORT_FAULTS=long runs every
program with every fault three times.  MPI 4.1 cannot survive a dead rank:
the job fails, and these are its guarantees."""
import hashlib
import os
import random
import signal
import subprocess
import time

import h5py
import numpy as np

from apptest import BUILD, MPIEXEC, NPS, SRC, check, env, finish, run, tempdir

LONG = os.environ.get("COHORT_FAULTS") == "long"
rng = random.Random(int(os.environ.get("COHORT_FAULT_SEED", "7")))
work = tempdir("cohort-faults-")
inp = os.path.join(work, "in.h5")
N = 3000000
with h5py.File(inp, "w") as h:
    g = np.random.default_rng(3)
    h["x"] = g.normal(size=N)
    h["k"] = g.integers(0, 100000, size=N)
outdir = os.path.join(work, "out")
os.mkdir(outdir)
out = os.path.join(outdir, "o.h5")
ERR = os.path.join(work, "stderr.txt")
FIND = ["find", outdir, "-name", ".*.cohort-*.tmp"]
readme = open(os.path.join(os.path.dirname(SRC), "README")).read()
check("find DIR -name '.*.cohort-*.tmp'" in readme, "the README documents the command for stale temporaries")


def digest(path):
    try:
        return hashlib.sha256(open(path, "rb").read()).hexdigest()
    except OSError:
        return None


def previous():
    """A previous output: a small HDF5 file."""
    with h5py.File(out, "w") as h:
        h["p"] = np.arange(100)
    return digest(out)


def complete(prog):
    """Whether the output is the whole new result of PROG."""
    try:
        with h5py.File(out, "r") as h:
            if prog == "cohort-gen":
                return h["x"].shape == (N,)
            if prog == "cohort-sort":
                s = h["s"][...]
                return s.shape == (N,) and bool(np.all(s[1:] >= s[:-1]))
            if prog == "cohort-groupby":
                return "p" in h and h["g/size"][...].sum() == N
            if prog == "cohort-hist":
                return h["h/counts"][...].sum() == N
            if prog == "cohort-stats":
                return "st" in h
    except (OSError, KeyError):
        return False
    return False


# Each program: its arguments, and whether a previous file is there (--force, --append) or not.
CASES = [
    ("cohort-gen", ["--output", out + ":/x", "--rows", str(N), "--force"], True),
    ("cohort-sort", ["-i", inp + ":/x", "-o", out + ":/s", "--force"], True),
    ("cohort-groupby", ["--keys", inp + ":/k", "--values", inp + ":/x", "--agg", "sum,median", "-o", out + ":/g",
                        "--append"], True),
    ("cohort-hist", ["-i", inp + ":/x", "--bins", "100", "-o", out + ":/h"], False),
    ("cohort-stats", ["-i", inp + ":/x", "--cov", "-o", out + ":/st", "--force"], True),
]
FAULTS = [("rank", signal.SIGTERM), ("rank", signal.SIGKILL), ("mpirun", signal.SIGTERM), ("mpirun", signal.SIGINT),
          ("mpirun", signal.SIGKILL)]


def descendants(root):
    """PIDs of the processes below @root."""
    parent = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                stat = open("/proc/%s/stat" % p).read()
                parent[int(p)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, todo = [], [root]
    while todo:
        q = todo.pop()
        kids = [c for c, pp in parent.items() if pp == q]
        found += kids
        todo += kids
    return found


def ranks_of(root, exe):
    """The ranks below @root: processes running @exe (or, in a build tree,
    the binary its libtool wrapper runs)."""
    names = (os.path.basename(exe), "lt-" + os.path.basename(exe))
    out_ = []
    for p in descendants(root):
        try:
            if os.path.basename(os.readlink("/proc/%d/exe" % p)) in names:
                out_.append(p)
        except OSError:
            pass
    return out_


def alive(pids):
    return [p for p in pids if os.path.exists("/proc/%d" % p) and
            open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()[0] != "Z"]


def launch(prog, args):
    """Start PROG under mpirun; returns the process, its ranks' PIDs once
    all have started (the moment a fault can land) and the time then."""
    exe = os.path.realpath(os.path.join(BUILD, "apps", prog))
    # stderr to a file: a pipe nobody reads while we poll could fill and block the run.
    with open(ERR, "w") as f:
        p = subprocess.Popen([MPIEXEC, "-n", str(np_), "--oversubscribe", exe] + args + ["--no-progress"],
                             stdout=subprocess.DEVNULL, stderr=f, env=env(np_), start_new_session=True)
    pids, t0 = [], time.time()
    while len(pids) < np_ and p.poll() is None and time.time() - t0 < 60:
        time.sleep(0.02)
        pids = ranks_of(p.pid, exe)
    return p, pids, time.time()


in_digest = digest(inp)
durations = {}
np_ = max(n for n in NPS if n <= 3) if any(n > 1 for n in NPS) else 2
# An undisturbed run of each: how long its ranks live (the faults land within it) and a complete output.
for prog, args, prev in CASES:
    for name in os.listdir(outdir):
        os.remove(os.path.join(outdir, name))
    if prev:
        previous()
    p, pids, t0 = launch(prog, args)
    # The window the faults land in: from the ranks' start to the output's
    # commit (its temporary file renamed), not the exit's tail after it.
    last_temp = None
    while p.poll() is None and time.time() - t0 < 600:
        if any(".cohort-" in n for n in os.listdir(outdir)):
            last_temp = time.time()
        time.sleep(0.01)
    p.wait(timeout=600)
    err = open(ERR, errors="replace").read()
    durations[prog] = (last_temp or time.time()) - t0
    check(p.returncode == 0 and complete(prog), "%s undisturbed: exit %s, complete %s\n%s" % (
        prog, p.returncode, complete(prog), err[-2000:]))

outcomes = {}
for rep in range(3 if LONG else 1):
    for prog, args, prev in CASES:
        for target, sig in FAULTS:
            for name in os.listdir(outdir):
                os.remove(os.path.join(outdir, name))
            before = previous() if prev else None
            delay = rng.uniform(0, durations[prog])
            what = "%s, %s to %s after %.2f s" % (prog, signal.Signals(sig).name, target, delay)
            p, pids, t0 = launch(prog, args)
            time.sleep(delay)
            try:  # (the run may have ended already: then nothing happens)
                os.kill(p.pid if target == "mpirun" else rng.choice(pids), sig)
            except (ProcessLookupError, IndexError):
                pass
            t_sig = time.time()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                check(False, "%s: mpirun did not return within 30 s" % what)
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            err = open(ERR, errors="replace").read()
            waited = time.time() - t_sig
            while alive(pids) and time.time() - t_sig < waited + 10:
                time.sleep(0.1)
            left = alive(pids)
            check(not left, "%s: ranks %s outlive mpirun by 10 s" % (what, left))
            for q in left:
                os.kill(q, signal.SIGKILL)
            # The output: the previous file, nothing, or the complete new one.
            now = digest(out)
            if now == before:
                state = "previous" if prev else "nothing"
            elif complete(prog):
                state = "complete"
            else:
                state = "PARTIAL"
            check(state != "PARTIAL", "%s: the output is neither the previous file nor complete (exit %s)\n%s" %
                  (what, p.returncode, err[-1500:]))
            check(digest(inp) == in_digest, "%s: the input changed" % what)
            temps = sorted(os.path.basename(l) for l in
                           subprocess.run(FIND, capture_output=True, text=True).stdout.split())
            others = [n for n in os.listdir(outdir) if n != "o.h5" and n not in temps]
            check(not others, "%s: files left beside the output: %s" % (what, others))
            if sig == signal.SIGKILL:
                subprocess.run(FIND + ["-delete"], check=True)  # the README's removal
                check(not os.listdir(outdir) or os.listdir(outdir) == ["o.h5"], "%s: find -delete left %s" %
                      (what, os.listdir(outdir)))
            else:
                check(not temps, "%s: a temporary file left after %s: %s" % (what, signal.Signals(sig).name, temps))
            key = "%s to %s" % (signal.Signals(sig).name, target)
            outcomes.setdefault(key, []).append((state, bool(temps), waited))

print("faults at %d ranks (from the ranks' start to the commit, undisturbed: %s):" % (np_, ", ".join("%s %.1f s" % kv for kv in durations.items())))
for key, rows in sorted(outcomes.items()):
    states = {}
    for s, _, _ in rows:
        states[s] = states.get(s, 0) + 1
    print("  %-18s %2d runs: %s; temporaries left %d; mpirun returned within %.1f s" % (
        key, len(rows), ", ".join("%s %d" % kv for kv in sorted(states.items())), sum(t for _, t, _ in rows),
        max(w for _, _, w in rows)))
finish()

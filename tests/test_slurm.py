#!/usr/bin/env python3
"""The sbatch scripts of examples/slurm/ on a real single-node Slurm
(tests/slurm-cluster: munge, slurmctld and slurmd from Debian's packages, all
under a temporary directory), submitted with sbatch as a user would, their
outputs checked against numpy and pandas: every program's script under
`srun --mpi=pmix`, one under `mpirun` inside the allocation, the pipeline,
a chain with more ranks than rows (through job dependencies), and a job
killed by its time limit in the middle of writing, which must leave nothing
behind: no file under the output's final name, no temporary file.

Needs root and Slurm's packages; without them it is skipped (exit 77),
except under CI=true, where that is a failure."""
import atexit
import glob
import os
import shutil
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pandas as pd

from apptest import loads, BUILD, SESSION, check, finish, progress_lines, run, tempdir

SRCDIR = os.path.dirname(os.environ.get("COHORT_TEST_SRCDIR", os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(SRCDIR, "examples", "slurm")
CLUSTER = os.path.join(SRCDIR, "tests", "slurm-cluster")

missing = [p for p in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol") if not shutil.which(p)]
why = "Slurm's packages are not installed (%s)" % ", ".join(missing) if missing else \
    "the test starts Slurm's daemons and needs root" if os.geteuid() != 0 else None
if why:
    print("test_slurm:", why, file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)

tmp = tempdir("cohort-slurm-")
state = os.path.join(tmp, "slurm")
os.mkdir(state)
# 8 CPUs on the node (on any number of cores): the 2-rank job held to its
# time limit runs beside the 4-rank ones; the tasks yield when idle.
conf = subprocess.run([CLUSTER, "start", state, "8"], capture_output=True, text=True, timeout=120)
if conf.returncode != 0:
    subprocess.run([CLUSTER, "stop", state])
    print("test_slurm: Slurm did not start:\n" + conf.stderr, file=sys.stderr)
    sys.exit(1)
ENV = dict(os.environ)
ENV.update(SLURM_CONF=conf.stdout.strip(), OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_orte_tmpdir_base=SESSION, PATH=os.path.join(BUILD, "apps") + os.pathsep + os.environ["PATH"])
for k in [k for k in ENV if k.startswith(("SLURM_", "SBATCH_", "SRUN_")) and k != "SLURM_CONF"]:
    del ENV[k]  # when `make check` itself runs inside a Slurm job


def stop_cluster():
    subprocess.run([CLUSTER, "stop", state])


# Registered after tempdir's handler, so it runs first, before the folder goes.
atexit.register(stop_cluster)
# Killed by a test timeout: exit through atexit, so the daemons stop too.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))


def submit(script, workdir, *sbatch_args, **settings):
    """sbatch SCRIPT from WORKDIR with COHORT_* SETTINGS in its environment; the job id."""
    e = dict(ENV)
    e.update({"COHORT_" + k.upper(): str(v) for k, v in settings.items()})
    os.makedirs(workdir, exist_ok=True)
    p = subprocess.run(["sbatch", "--parsable"] + list(sbatch_args) + [script], cwd=workdir, env=e,
                       capture_output=True, text=True, timeout=60)
    if not check(p.returncode == 0, "sbatch %s: %s" % (script, p.stderr)):
        return None
    return p.stdout.strip().split(";")[0]


def job_state(job):
    p = subprocess.run(["scontrol", "-o", "show", "job", job], env=ENV, capture_output=True, text=True)
    fields = dict(f.split("=", 1) for f in p.stdout.split() if "=" in f)
    return fields.get("JobState", "UNKNOWN"), fields


FINAL = {"COMPLETED", "FAILED", "TIMEOUT", "CANCELLED", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED",
         "BOOT_FAIL", "DEADLINE"}


def wait(jobs, limit=600):
    """Poll until every job has ended; their final states."""
    end, states = time.time() + limit, {}
    while time.time() < end and len(states) < len(jobs):
        for j in jobs:
            if j not in states:
                s, _ = job_state(j)
                if s in FINAL:
                    states[j] = s
        time.sleep(0.3)
    for j in jobs:
        states.setdefault(j, "HUNG")
    return states


def joblog(workdir, name, job):
    try:
        return open(os.path.join(workdir, "%s-%s.out" % (name, job))).read()
    except OSError as err:
        return str(err)


def expect_completed(states, job, workdir, name):
    return check(states.get(job) == "COMPLETED", "%s (job %s): %s\n%s" % (
        name, job, states.get(job), joblog(workdir, name, job)))


def script(name):
    return os.path.join(EXAMPLES, name + ".sbatch")


# --- the oracles ------------------------------------------------------------

def read(path, name):
    with h5py.File(path, "r") as h:
        return h[name][...]


def check_sorted(data, sorted_file, what):
    key, value = read(data, "/events/key"), read(data, "/events/value")
    order = np.argsort(key, kind="stable")
    with h5py.File(sorted_file, "r") as h:
        check(np.array_equal(h["/sorted/key"][...], key[order]), what + ": keys not sorted as np.sort")
        check(np.array_equal(h["/sorted/value"][...], value[order]), what + ": payload not carried")
        check(np.array_equal(h["/sorted/row"][...], order), what + ": original rows differ from argsort")


def check_groups(data, groups_file, what):
    df = pd.DataFrame({"key": read(data, "/events/key"), "value": read(data, "/events/value")})
    want = df.groupby("key")["value"].agg(["size", "count", "sum", "mean", "min", "max", "std"])
    with h5py.File(groups_file, "r") as h:
        g = h["/by_key"]
        check(np.array_equal(g["key"][...], want.index.values), what + ": group keys differ from pandas")
        check(np.array_equal(g["size"][...], want["size"].values), what + ": sizes differ")
        check(np.array_equal(g["value_count"][...], want["count"].values), what + ": counts differ")
        for a in ("sum", "mean", "min", "max", "std"):
            check(np.allclose(g["value_" + a][...], want[a].values, rtol=1e-12, atol=1e-12, equal_nan=True),
                  what + ": %s differs from pandas" % a)


def check_hist(values, hist_file, bins, rng, what):
    want, edges = np.histogram(values[~np.isnan(values)], bins, rng)
    with h5py.File(hist_file, "r") as h:
        check(np.array_equal(h["/hist/counts"][...], want), what + ": counts differ from np.histogram")
        check(np.allclose(h["/hist/edges"][...], edges), what + ": edges differ")


def check_stats(data, stats_file, what):
    m = read(data, "/matrix")
    with h5py.File(stats_file, "r") as h:
        s = h["/stats"]
        check(np.allclose(s["mean"][...], m.mean(axis=0), rtol=1e-12, atol=1e-14), what + ": means")
        check(np.allclose(s["var"][...], m.var(axis=0, ddof=1), rtol=1e-10), what + ": variances")
        check(np.allclose(s["cov"][...], np.cov(m, rowvar=False), rtol=1e-10, atol=1e-14), what + ": np.cov")
        check(np.allclose(s["corr"][...], np.corrcoef(m, rowvar=False), rtol=1e-10, atol=1e-14),
              what + ": np.corrcoef")


def check_generated(data, reference, what):
    with h5py.File(data, "r") as a, h5py.File(reference, "r") as b:
        for name in ("/events/key", "/events/value", "/events/weight", "/matrix"):
            check(name in a and np.array_equal(a[name][...], b[name][...]),
                  what + ": %s differs from the same generator at 1 rank" % name)


# --- the jobs -----------------------------------------------------------------

t0 = time.time()
ROWS = 200003
work = os.path.join(tmp, "work")
data = os.path.join(work, "data.h5")

# The reference file: the generator at one rank, outside Slurm (its values
# never depend on the ranks).
ref = os.path.join(tmp, "ref")
gen = submit(script("cohort-gen"), work, rows=ROWS)
os.makedirs(ref)
r = subprocess.run(["bash", script("cohort-gen")], cwd=ref, capture_output=True, text=True, timeout=300,
                   env=dict(ENV, COHORT_ROWS=str(ROWS), COHORT_LAUNCH="mpirun -n 1"))
check(r.returncode == 0, "cohort-gen.sbatch run by hand with mpirun -n 1: " + r.stderr)

# Held to its time limit (Slurm's minimum, a minute; slurmctld checks limits
# every 30 s) while writing a slow, compressed dataset that would take minutes.
killed_dir = os.path.join(tmp, "killed")
os.makedirs(killed_dir)
killed_script = os.path.join(killed_dir, "slow.sbatch")
with open(killed_script, "w") as f:
    f.write("#!/bin/bash\n#SBATCH --ntasks=2\n#SBATCH --time=1\n#SBATCH --output=slow-%j.out\n"
            "srun --mpi=pmix cohort-gen --output big.h5:/x --rows 1e9 --type int64 --max 100000 "
            "--gzip 9 --chunk 1000000 --no-progress\n")
killed = submit(killed_script, killed_dir)

states = wait([gen])
if not expect_completed(states, gen, work, "cohort-gen"):
    finish()
check_generated(data, os.path.join(ref, "data.h5"), "cohort-gen.sbatch")

jobs = {
    "info": submit(script("cohort-info"), work),
    "sort": submit(script("cohort-sort"), work),
    "sort-mpirun": submit(script("cohort-sort"), work, "--job-name=sort-mpirun", launch="mpirun",
                          out="sorted-mpirun.h5"),
    "groupby": submit(script("cohort-groupby"), work),
    "hist": submit(script("cohort-hist"), work),
    "quantile": submit(script("cohort-quantile"), work),
    "stats": submit(script("cohort-stats"), work),
    "pipeline": submit(script("pipeline"), work, rows=100000, work="pipe"),
}
# A job array: one task per step file (examples/slurm/array.sbatch).
arr = os.path.join(tmp, "array")
os.makedirs(arr)
steps = []
for k in range(2):
    steps.append(np.random.default_rng(k).normal(size=1000 + k))
    with h5py.File(os.path.join(arr, "step-%04d.h5" % k), "w") as h:
        h["x"] = steps[-1]
array_job = submit(script("array"), arr, "--array=0-1")
# The same command prints the same output under srun, under mpirun and
# outside Slurm (Open MPI gives ranks a pseudo-terminal, srun does not).
fmt = os.path.join(tmp, "formats")
os.makedirs(fmt)
with open(os.path.join(fmt, "formats.sbatch"), "w") as f:
    f.write("#!/bin/bash\n#SBATCH --ntasks=2\n#SBATCH --output=%x-%j.out\nset -e\n"
            "for l in 'srun --mpi=pmix' mpirun; do\n"
            "  $l cohort-hist --input \"$COHORT_IN\" --bins 8 --range -4:4 > \"${l%% *}.txt\"\n"
            "  $l cohort-groupby --keys \"$COHORT_IN\" --agg size >> \"${l%% *}.txt\"\n"
            "  $l cohort-sort --input \"$COHORT_IN\" --output \"${l%% *}-sorted.h5:/k\" --progress 2> \"${l%% *}.progress\"\n"
            "done\n")
formats_job = submit(os.path.join(fmt, "formats.sbatch"), fmt, "--dependency=afterok:" + gen,
                     "--job-name=formats", **{"in": data + ":/events/key"})
# More ranks than rows: generate 3 rows at 4 ranks, then sort, group and
# describe them, each job starting when the one before has succeeded.
tiny = os.path.join(tmp, "tiny")
tiny_gen = submit(script("cohort-gen"), tiny, rows=3)
tiny_sort = submit(script("cohort-sort"), tiny, "--dependency=afterok:" + tiny_gen)
tiny_groups = submit(script("cohort-groupby"), tiny, "--dependency=afterok:" + tiny_sort)
tiny_stats = submit(script("cohort-stats"), tiny, "--dependency=afterok:" + tiny_groups)

# While the time-limited job runs, its output exists only under a hidden
# temporary name.
saw_partial = False
while job_state(killed)[0] in ("PENDING", "CONFIGURING", "RUNNING") and not saw_partial:
    saw_partial = bool(glob.glob(os.path.join(killed_dir, ".big.h5.cohort-*.tmp")))
    time.sleep(0.5)

states = wait(list(jobs.values()) + [tiny_gen, tiny_sort, tiny_groups, tiny_stats, array_job, formats_job])
for name, job in jobs.items():
    expect_completed(states, job, work, {"sort-mpirun": "sort-mpirun", "pipeline": "cohort-pipeline"}.get(
        name, "cohort-" + name))

key, value = read(data, "/events/key"), read(data, "/events/value")
if states[jobs["info"]] == "COMPLETED":
    log = joblog(work, "cohort-info", jobs["info"])
    try:
        described = loads(log)
        paths = {d["path"]: d for f in described["files"] for d in f["datasets"]}
        check(paths.get("/events/key", {}).get("shape") == [ROWS] and
              paths.get("/matrix", {}).get("shape") == [ROWS, 4], "cohort-info: shapes %r" % paths)
    except (ValueError, KeyError) as err:
        check(False, "cohort-info.sbatch printed no JSON (%s): %r" % (err, log[:400]))
if states[jobs["sort"]] == "COMPLETED":
    check_sorted(data, os.path.join(work, "sorted.h5"), "cohort-sort.sbatch (srun)")
if states[jobs["sort-mpirun"]] == "COMPLETED":
    check_sorted(data, os.path.join(work, "sorted-mpirun.h5"), "cohort-sort.sbatch (mpirun)")
if states[jobs["groupby"]] == "COMPLETED":
    check_groups(data, os.path.join(work, "groups.h5"), "cohort-groupby.sbatch")
if states[jobs["hist"]] == "COMPLETED":
    check_hist(value, os.path.join(work, "hist.h5"), 64, (-4, 4), "cohort-hist.sbatch")
    csv = joblog(work, "cohort-hist", jobs["hist"])
    want = np.histogram(value, 64, (-4, 4))[0]
    check(str(want[31]) in csv and csv.count("\n") >= 64, "cohort-hist.sbatch: no CSV table in the log")
if states[jobs["quantile"]] == "COMPLETED":
    q = [0.001, 0.01, 0.25, 0.5, 0.75, 0.99, 0.999]
    got = loads(open(os.path.join(work, "quantiles.json")).read())
    check(got["q"] == q and np.array_equal(got["values"], np.quantile(value, q)) and got["count"] == ROWS,
          "cohort-quantile.sbatch: %r" % got)
if states[jobs["stats"]] == "COMPLETED":
    check_stats(data, os.path.join(work, "stats.h5"), "cohort-stats.sbatch")
if states[jobs["pipeline"]] == "COMPLETED":
    pipe = os.path.join(work, "pipe")
    pdata = os.path.join(pipe, "data.h5")
    check_sorted(pdata, os.path.join(pipe, "sorted.h5"), "pipeline: sort")
    check_groups(pdata, os.path.join(pipe, "groups.h5"), "pipeline: group-by")
    check_hist(read(os.path.join(pipe, "groups.h5"), "/by_key/value_mean"), os.path.join(pipe, "hist.h5"),
               32, (-4, 4), "pipeline: histogram")
    check_stats(pdata, os.path.join(pipe, "stats.h5"), "pipeline: statistics")
    check("intercept" in joblog(work, "cohort-pipeline", jobs["pipeline"]), "pipeline: no regression printed")

if check(states[array_job] == "COMPLETED", "array.sbatch: %s" % states[array_job]):
    for k, x in enumerate(steps):
        st = read(os.path.join(arr, "stats-%04d.h5" % k), "/stats/mean")
        check(np.isclose(st[0], x.mean(), rtol=1e-13), "array task %d: mean %r vs %r" % (k, st, x.mean()))
        log = joblog(arr, "cohort-array", "%s_%d" % (array_job, k))
        check('"count": %d' % x.size in log, "array task %d's log: %r" % (k, log[:300]))
if check(states[formats_job] == "COMPLETED", "formats job: %s\n%s" % (states[formats_job],
                                                                     joblog(fmt, "formats", formats_job))):
    out = [open(os.path.join(fmt, l + ".txt")).read() for l in ("srun", "mpirun")]
    r1 = run("cohort-hist", ["--input", data + ":/events/key", "--bins", "8", "--range", "-4:4"], np_=2)
    r2 = run("cohort-groupby", ["--keys", data + ":/events/key", "--agg", "size"], np_=2)
    check(out[0] == out[1] == r1.out + r2.out and "\u2588" in r1.out,
          "the same text under srun, mpirun and outside Slurm:\n%s\n---\n%s" % (out[0][:500], out[1][:500]))
    # --progress draws the same steady lines under both launchers (stderr a file, not a terminal).
    ph = [progress_lines("cohort-sort", open(os.path.join(fmt, l + ".progress"), newline="").read())
          for l in ("srun", "mpirun")]
    check([p[0] for p in ph[0]] == [p[0] for p in ph[1]] == ["read", "sort", "write /k"] and
          all(p[2] for p in ph[0] + ph[1]), "progress under srun and mpirun: %r" % ph)

for job, name in ((tiny_gen, "cohort-gen"), (tiny_sort, "cohort-sort"), (tiny_groups, "cohort-groupby"),
                  (tiny_stats, "cohort-stats")):
    expect_completed(states, job, tiny, name + " (3 rows, 4 ranks)")
if states[tiny_stats] == "COMPLETED":
    tdata = os.path.join(tiny, "data.h5")
    check(len(read(tdata, "/events/key")) == 3, "3 rows at 4 ranks: the generated table")
    check_sorted(tdata, os.path.join(tiny, "sorted.h5"), "3 rows at 4 ranks: sort")
    check_groups(tdata, os.path.join(tiny, "groups.h5"), "3 rows at 4 ranks: group-by")
    check_stats(tdata, os.path.join(tiny, "stats.h5"), "3 rows at 4 ranks: statistics")

states = wait([killed], limit=240)
check(states[killed] == "TIMEOUT", "the time-limited job ended %s, not TIMEOUT:\n%s" % (
    states[killed], joblog(killed_dir, "slow", killed)))
check(saw_partial, "the time-limited job was not seen writing its temporary file")
check(not os.path.exists(os.path.join(killed_dir, "big.h5")),
      "a job killed at its time limit left a file under the output's final name")
check(not glob.glob(os.path.join(killed_dir, ".big.h5.cohort-*.tmp")),
      "a job killed at its time limit left its temporary file (SIGTERM should remove it)")
print("Slurm jobs checked in %.0f s" % (time.time() - t0))
finish()

"""Shared helpers of the program-level tests (tests/test_*.py): run the
bundled programs under mpirun, capture each rank's exit status, and check
the one-line error convention.  Run by `make check` with Debian's python3."""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

BUILD = os.environ.get("COHORT_TEST_BUILDDIR", ".")
SRC = os.environ.get("COHORT_TEST_SRCDIR", os.path.dirname(os.path.abspath(__file__)))
MPIEXEC = os.environ.get("MPIEXEC", "mpirun")
# The rank counts: COHORT_TEST_NP's (as the C tests), or COHORT_APP_TEST_NP's
# where it is set (CI's sanitizer build runs the program tests at 2 ranks only).
NPS = [int(n) for n in (os.environ.get("COHORT_APP_TEST_NP") or os.environ.get("COHORT_TEST_NP", "1 2 3 4")).split()]
TIMEOUT = int(os.environ.get("COHORT_TEST_TIMEOUT", "300"))
failures = 0


def tempdir(prefix):
    """A scratch directory removed when the test ends."""
    d = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, d, True)
    return d


SESSION = tempdir("cohort-ompi-")  # a private Open MPI session directory


def env(np_):
    e = dict(os.environ)
    e.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_orte_tmpdir_base=SESSION)
    if np_ > (os.cpu_count() or 1):
        e["OMPI_MCA_mpi_yield_when_idle"] = "1"
    return e


class Run:
    def __init__(self, rc, out, err, rank_codes):
        self.rc, self.out, self.err, self.rank_codes = rc, out, err, rank_codes

    def error_lines(self, prog):
        return [l for l in self.err.splitlines() if l.startswith(prog + ":")]


def run(prog, args, np_=2, cwd=None, timeout=None, extra_env=None):
    """Run apps/PROG under mpirun (with @extra_env's variables set); every
    rank records its own exit status."""
    exe = os.path.join(BUILD, "apps", prog)
    with tempfile.TemporaryDirectory() as codes:
        # Each rank writes its exit status to a file named after its rank, and
        # exits 0 itself, so that mpirun does not kill the other ranks before
        # they have recorded theirs.
        script = 'x="$1"; shift; "$x" "$@"; rc=$?; echo $rc > "%s/$OMPI_COMM_WORLD_RANK"; exit 0' % codes
        cmd = [MPIEXEC, "-n", str(np_), "--oversubscribe", "sh", "-c", script, "sh", exe] + list(args)
        # Bytes, decoded here: text=True would turn the "\r" of a progress line into "\n".
        p = subprocess.run(cmd, capture_output=True, cwd=cwd, env=dict(env(np_), **(extra_env or {})),
                           timeout=timeout or TIMEOUT)
        rank_codes = []
        for r in range(np_):
            try:
                rank_codes.append(int(open(os.path.join(codes, str(r))).read()))
            except (OSError, ValueError):
                rank_codes.append(None)
    rc = p.returncode or max((c for c in rank_codes if c is not None), default=-1)
    out, err = (b.decode("utf-8", "surrogateescape").replace("\r\n", "\n") for b in (p.stdout, p.stderr))
    return Run(rc, out, err, rank_codes)


def progress_lines(prog, err):
    """The phases of PROG's --progress display in @err, in order: one line per
    phase, redrawn in place ("\r"); for each, its name, the percentages drawn
    (which must not go back) and whether it ended at 100% with its time."""
    phases = []
    for line in err.split("\n"):
        draws = [d for d in line.split("\r") if d.startswith(prog + ": ")]
        if not draws:
            continue
        names = {d[len(prog) + 2:].split("[")[0].strip() for d in draws}
        pct = [int(d.split("]")[1].split("%")[0]) for d in draws if "]" in d and "%" in d]
        phases.append((names.pop() if len(names) == 1 else None, pct,
                       bool(pct) and pct[-1] == 100 and "done in" in draws[-1] and pct == sorted(pct)))
    return phases


NONFINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def loads(text):
    """The programs' JSON, strictly parsed (json.loads would also take bare
    NaN and Infinity, which the programs must not write), with the strings
    "NaN", "Infinity" and "-Infinity" read back as the numbers they stand for."""
    def bad(token):
        raise ValueError("not strict JSON: %s" % token)

    def conv(v):
        if isinstance(v, str):
            return NONFINITE.get(v, v)
        if isinstance(v, list):
            return [conv(e) for e in v]
        if isinstance(v, dict):
            return {k: conv(e) for k, e in v.items()}
        return v
    return conv(json.loads(text, parse_constant=bad))


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, flush=True)
    return cond


def expect_exit(r, code, prog, what, needles=()):
    """Every rank exits with CODE; on failure exactly one line 'prog: error: ...' mentioning NEEDLES."""
    check(all(c == code for c in r.rank_codes), "%s: exit codes %s, expected %d on every rank\n%s" %
          (what, r.rank_codes, code, r.err))
    if code != 0:
        lines = r.error_lines(prog)
        check(len(lines) == 1 and lines[0].startswith(prog + ": error: "),
              "%s: expected one error line, got %r" % (what, lines))
        for n in needles:
            check(any(n in l for l in lines), "%s: error line lacks %r: %r" % (what, n, lines))


def finish():
    print("%d failure(s)" % failures)
    sys.exit(1 if failures else 0)

#!/usr/bin/env python3
"""The README's program examples run as written: every `mpirun ...` command
of its "Running the programs" section (continuation lines joined) runs in
order, verbatim, in an empty directory with the built programs first on
PATH, and exits 0.  Only the environment differs from a user's shell: more
ranks than cores are allowed (these machines have two), as the README
itself says to do."""
import os
import subprocess

from apptest import BUILD, SRC, SESSION, check, finish, tempdir

readme = open(os.path.join(os.path.dirname(SRC), "README")).read()
section = readme.split("\nRunning the programs\n", 1)[1].split("\n\n\n", 1)[0]
commands, cur = [], ""
for line in section.splitlines():
    if not line.startswith("    "):
        continue
    cur += line.strip()
    if cur.endswith("\\"):
        cur = cur[:-1] + " "
        continue
    commands.append(cur)
    cur = ""
check(len(commands) >= 8 and all(c.startswith("mpirun ") for c in commands), "README commands: %s" % commands)

work = tempdir("cohort-readme-")
env = dict(os.environ)
env.update(PATH=os.path.join(os.path.abspath(BUILD), "apps") + os.pathsep + env.get("PATH", ""),
           OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_orte_tmpdir_base=SESSION,
           OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_mpi_yield_when_idle="1")
for cmd in commands:
    p = subprocess.run(cmd, shell=True, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    print("$ %s\n%s" % (cmd, p.stdout[-2000:]), flush=True)
    check(p.returncode == 0, "README command failed (exit %d): %s\n%s" % (p.returncode, cmd, p.stderr[-3000:]))
finish()

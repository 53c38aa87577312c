#!/usr/bin/env python3
"""The man pages agree with the programs and the headers: for every program,
its page's OPTIONS list the options of --help in the same order with the same
argument names and the same text, its SYNOPSIS names the options of the
--help usage line, its EXIT STATUS the codes --help states, and its version
the program's; cohort(3) names every function of <cohort.h> and
<cohort_io.h> and no other; groff formats every page without a warning."""
import os
import re
import shutil
import subprocess

from apptest import BUILD, SRC, check, finish

PROGRAMS = ["cohort-gen", "cohort-info", "cohort-sort", "cohort-groupby", "cohort-hist", "cohort-quantile", "cohort-reduce",
            "cohort-stats"]
DOC = os.path.join(BUILD, "doc")
INCLUDE = os.path.join(os.path.dirname(SRC), "include")


def plain(roff):
    """Text of a line of roff: font macros and fonts dropped, escapes turned
    into characters."""
    m = re.match(r"^\.(B|I|BR|IR|RB|RI|BI|IB) (.*)$", roff)
    if m:  # .B/.I: the words; the alternating macros: their words run together
        words = re.findall(r'"([^"]*)"|(\S+)', m.group(2))
        roff = (" " if len(m.group(1)) == 1 else "").join(a or b for a, b in words)
    s = re.sub(r"\\f[BIRP]", "", roff)
    s = s.replace("\\-", "-").replace("\\[u2026]", "\u2026").replace("\\e", "\\").replace("\\&", "")
    return s.strip()


def sections(page):
    """{section name: [lines]} of a man page's source."""
    out, cur = {}, None
    for line in page.splitlines():
        if line.startswith(".SH "):
            cur = line[4:].strip().strip('"')
            out[cur] = []
        elif cur:
            out[cur].append(line)
    return out


def tagged(lines):
    """The (tag, text) pairs of the .TP entries of a section."""
    items, i = [], 0
    while i < len(lines):
        if lines[i] == ".TP":
            tag, text, i = plain(lines[i + 1]), [], i + 2
            while i < len(lines) and not lines[i].startswith("."):
                text.append(plain(lines[i]))
                i += 1
            items.append((tag, " ".join(text)))
        else:
            i += 1
    return items


def help_options(text):
    opts = []
    after = text.split("\nOptions:\n", 1)[1].split("\n\n", 1)[0]
    for line in after.splitlines():
        m = re.match(r"^\s+((?:-\w, )?--[\w-]+(?: \S+)?)\s{2,}(.*)$", line)
        check(m is not None, "unparsed --help option line %r" % line)
        if m:
            opts.append((m.group(1), m.group(2).strip()))
    return opts


def long_options(text):
    return sorted(set(re.findall(r"--[a-z][\w-]*", text)))


version = subprocess.run([os.path.join(BUILD, "apps", "cohort-info"), "--version"], capture_output=True,
                         text=True).stdout
version = re.search(r"\d+\.\d+\.\d+", version).group(0)
groff = shutil.which("groff")
if not groff:
    check(os.environ.get("CI") != "true", "groff is not installed (Debian: groff-base)")

for prog in PROGRAMS:
    h = subprocess.run([os.path.join(BUILD, "apps", prog), "--help"], capture_output=True, text=True)
    check(h.returncode == 0, "%s --help exits %d" % (prog, h.returncode))
    path = os.path.join(DOC, prog + ".1")
    page = open(path).read()
    sec = sections(page)
    check(re.search(r'^\.TH %s 1 "[^"]*" "Cohort %s"' % (prog.upper(), re.escape(version)), page, re.M),
          "%s.1: .TH does not carry version %s" % (prog, version))
    check(all(s in sec for s in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES",
                                 "SEE ALSO")), "%s.1: sections %s" % (prog, list(sec)))

    want, got = help_options(h.stdout), tagged(sec.get("OPTIONS", []))
    check([t for t, _ in got] == [t for t, _ in want],
          "%s.1 OPTIONS differ from --help:\n  man:  %s\n  help: %s" % (prog, [t for t, _ in got], [t for t, _ in want]))
    for (mt, mtext), (ht, htext) in zip(got, want):
        check(mt != ht or mtext == htext, "%s.1 %s: man says %r, --help %r" % (prog, mt, mtext, htext))

    usage = h.stdout.splitlines()[0]
    synopsis = " ".join(plain(l) for l in sec.get("SYNOPSIS", []) if not l.startswith(".\\\""))
    check(long_options(usage) == long_options(synopsis),
          "%s.1 SYNOPSIS names %s, --help's usage %s" % (prog, long_options(synopsis), long_options(usage)))

    codes = dict(re.findall(r"(\d) ([a-zA-Z][\w ]*?)(?:,|\.)", h.stdout.split("Exit status:", 1)[1]))
    man_codes = {t: text for t, text in tagged(sec.get("EXIT STATUS", []))}
    check(codes == man_codes, "%s.1 EXIT STATUS %s, --help %s" % (prog, man_codes, codes))

    # Each example command's options after the program's name (not mpirun's).
    for ex in re.findall(r"^\.EX\n(.*?)^\.EE", page, re.M | re.S):
        for command in plain(ex.replace("\\e\n", " ")).splitlines():
            for opt in long_options(command.split(prog, 1)[1] if prog in command else ""):
                check(opt in long_options(h.stdout), "%s.1 EXAMPLES use %s, which --help lacks" % (prog, opt))

    if groff:
        g = subprocess.run([groff, "-man", "-ww", "-z", path], capture_output=True, text=True)
        check(g.returncode == 0 and not g.stderr, "groff warns on %s.1: %s" % (prog, g.stderr))

# cohort(3) names every public function, and only those.
api = set()
for header in ("cohort.h", "cohort_io.h"):
    src = open(os.path.join(INCLUDE, header)).read()
    api |= set(re.findall(r"^[A-Za-z][\w \*]*?\b(cohort_\w+)\(", src, re.M))
page3 = open(os.path.join(DOC, "cohort.3")).read()
named = set(re.findall(r"^\.BR (cohort_[a-z0-9_]+)", page3, re.M))
check(len(api) > 50, "found only %d functions in the headers" % len(api))
check(not api - named, "cohort.3 does not name %s" % sorted(api - named))
check(not named - api, "cohort.3 names functions the headers lack: %s" % sorted(named - api))
check(('"Cohort %s"' % version) in page3, "cohort.3: .TH does not carry version %s" % version)
if groff:
    g = subprocess.run([groff, "-man", "-ww", "-z", os.path.join(DOC, "cohort.3")], capture_output=True, text=True)
    check(g.returncode == 0 and not g.stderr, "groff warns on cohort.3: %s" % g.stderr)
finish()

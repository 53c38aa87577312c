#!/usr/bin/env python3
"""bench/report.py LOGDIR — the benchmark report from the logs bench/report.sh
wrote (read.log, sort.log, hist.log, stats.log, groupby.log): LOGDIR/results.md
(a summary, then one Markdown table per benchmark: every implementation's time and
throughput on the same data in the same run, and Cohort's ratio to the best
baseline) and, through gnuplot, LOGDIR/<benchmark>.png (throughput against
the baselines) and LOGDIR/<benchmark>-scaling.png (Cohort's speed-up with
ranks), and LOGDIR/summary.md (the summary alone, for the README).

Standard library only; gnuplot is optional (no plots without it)."""
import collections
import os
import re
import shutil
import subprocess
import sys

out = sys.argv[1]
# Not competitors: the limits a result is measured against.
REFERENCES = {"cat", "openblas_dsyrk"}
TITLES = {"read": "Reading HDF5 datasets, layout by layout (page cache)", "sort": "Sorting keys in memory",
          "hist": "Histogram (100 bins) and exact median", "stats": "Moments, covariance and regression",
          "groupby": "Group-by: aggregates per key"}

Row = collections.namedtuple("Row", "bench data impl ranks time rate unit")


def fields(line):
    """Tokens of a result line, a parenthesised group kept as one token."""
    line = re.sub(r"\s*\(\s*([^)=]*?)\s*\)", lambda m: "(%s)" % m.group(1).replace(" ", "_"), line)
    return line.split()


def parse(bench, path):
    rows, header = [], ""
    for line in open(path):
        line = line.rstrip()
        if line.startswith("## "):
            header = line[3:].replace("keys ", "")
            continue
        if line.startswith("#") or "time=" not in line:
            continue
        t = fields(line)
        kv = {k: v for k, v in (x.split("=", 1) for x in t if "=" in x)}
        r = next((i for i, x in enumerate(t) if "=" in x), len(t))
        if "ranks=" not in line:  # DuckDB: one process, its own threads
            kv["ranks"] = "1"
        r = next((i for i, x in enumerate(t) if x.startswith("ranks=")), r)
        i = next(i for i, x in enumerate(t) if x.startswith("rate="))
        unit = re.sub(r"\(.*", "", t[i + 1]) if i + 1 < len(t) else ""
        impl, words = t[0], t[1:r]
        if bench == "read":
            impl = " ".join([impl] + [w for w in words if w not in ("file", "-")])
            data = header or "%.2f GB" % (int(kv["bytes"]) / 1e9)  # "## LAYOUT, N GB of values"
        elif bench == "sort":
            impl = impl.replace("(h5->h5)", " (HDF5 to HDF5, whole program)")
            data = words[-1] + " " + kv["keys"]
        elif bench == "hist":
            data = "median" if "median" in words else "histogram"
            data += " of %s" % kv["values"]
        elif bench == "stats":
            op = {"cholesky": "regression", "tsqr": "regression", "raw": "cov"}.get(words[0], words[0])
            if impl == "cohort_regress":
                impl += " (%s)" % words[0]
            data = "%s, %s x %s" % (op, kv["rows"], kv["cols"])
        else:  # "## keys k1m, var": the keys, then the aggregates
            keys, _, aggs = header.partition(", ")
            data = "%s, %s keys, %s rows" % (aggs or kv.get("aggs", "count,sum,mean"), keys, kv["rows"])
        impl = re.sub(r"\(([^)]*)\)", lambda m: "(%s)" % m.group(1).replace("_", " "), impl)
        rows.append(Row(bench, data, impl, int(kv["ranks"]), float(kv["time"].rstrip("s")),
                        float(kv["rate"]), unit))
    return rows


def ours(impl):
    return impl.startswith("cohort")


def competitor(r):
    return not ours(r.impl) and r.impl not in REFERENCES


def comparable(r):
    """A Cohort row measured like the baselines (not the whole program, not the raw BLAS rate)."""
    return ours(r.impl) and "whole program" not in r.impl and r.unit != "GFLOP/s"


benches = [b for b in ("read", "sort", "hist", "stats", "groupby") if os.path.exists(os.path.join(out, b + ".log"))]
results = {b: parse(b, os.path.join(out, b + ".log")) for b in benches}
# The fastest competitor on each benchmark's data set.
best = {b: {} for b in benches}
for b in benches:
    for r in filter(competitor, results[b]):
        if r.rate > best[b].get(r.data, r._replace(rate=0)).rate:
            best[b][r.data] = r
meta = open(os.path.join(out, "machine.txt")).read().strip() if os.path.exists(os.path.join(out, "machine.txt")) else ""

md = ["# Cohort benchmark report", "", meta, "",
      "Every row ran on the same data in the same run; throughput is rows (or bytes) of input per second "
      "of wall time, best of the repeats.  **vs best baseline**: Cohort's throughput over the best "
      "competitor's on that data (any rank count; DuckDB uses its own threads); references (cat, "
      "OpenBLAS dsyrk alone) are limits, not competitors.  Raw logs beside this file.", ""]
# The summary: per data set, Cohort's best against the best baseline.
summary = ["| benchmark | data | Cohort (ranks) | best baseline | Cohort / baseline |", "|---|---|---:|---:|---:|"]
for b in benches:
    for d in dict.fromkeys(r.data for r in results[b]):
        mine = [r for r in results[b] if r.data == d and comparable(r)]
        if mine and d in best[b]:
            m, t = max(mine, key=lambda r: r.rate), best[b][d]
            summary.append("| %s | %s | %g %s, %s (%d) | %g, %s (%d) | **%.2fx** |" % (
                b, d, m.rate, m.unit, m.impl, m.ranks, t.rate, t.impl, t.ranks, m.rate / t.rate))
open(os.path.join(out, "summary.md"), "w").write("\n".join([meta, ""] + summary) + "\n")
md += ["## Summary", ""] + summary + [""]
for b in benches:
    rows = results[b]
    md += ["## " + TITLES[b], "", "| data | implementation | ranks | time (s) | throughput | vs best baseline |",
           "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        ratio = ("%.2fx" % (r.rate / best[b][r.data].rate)) if comparable(r) and r.data in best[b] \
            else ("reference" if r.impl in REFERENCES else "")
        name = "**%s**" % r.impl if ours(r.impl) else r.impl
        md.append("| %s | %s | %d | %.3f | %g %s | %s |" % (r.data, name, r.ranks, r.time, r.rate, r.unit, ratio))
    md.append("")
    if shutil.which("gnuplot"):
        md += ["![%s](%s.png)" % (TITLES[b], b), ""]
        if len({r.ranks for r in rows if ours(r.impl)}) > 1:
            md += ["![%s: scaling with ranks](%s-scaling.png)" % (TITLES[b], b), ""]
open(os.path.join(out, "results.md"), "w").write("\n".join(md))


def gnuplot(script):
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, cwd=out)
    if p.returncode:
        print("bench/report.py: gnuplot: " + p.stderr, file=sys.stderr)


if shutil.which("gnuplot"):
    # One chart per benchmark: per data set, each implementation at its
    # largest rank count (bars, log scale: the rates span decades).
    for b in benches:
        rows = [r for r in results[b] if r.unit != "GFLOP/s"]
        top = {}
        for r in rows:
            if r.ranks >= top.get((r.data, r.impl), r).ranks:
                top[(r.data, r.impl)] = r
        datas = list(dict.fromkeys(r.data for r in rows))
        impls = list(dict.fromkeys(r.impl for r in rows))
        with open(os.path.join(out, b + ".dat"), "w") as f:
            f.write("data " + " ".join('"%s (%d)"' % (i, max(r.ranks for r in rows if r.impl == i)) for i in impls) + "\n")
            for d in datas:
                f.write('"%s" ' % d + " ".join(str(top[(d, i)].rate) if (d, i) in top else "NaN" for i in impls) + "\n")
        unit = rows[0].unit
        gnuplot("""set terminal pngcairo size 1100,520 font ",9"
set output "%s.png"
set title "%s (throughput, %s; each at its largest rank count, in brackets)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set ylabel "%s"
set xtics rotate by -20 scale 0
set key below horizontal font ",8"
set termoption noenhanced
set grid ytics
plot for [i=2:%d] "%s.dat" using i:xtic(1) title columnheader(i)
""" % (b, TITLES[b], unit, unit, len(impls) + 1, b))
    # Scaling, per benchmark: each Cohort implementation and data set,
    # its speed-up over its rate at the fewest ranks.
    for b in benches:
        series = collections.defaultdict(list)
        for r in results[b]:
            if ours(r.impl) and "whole program" not in r.impl:
                series[(r.data, r.impl)].append((r.ranks, r.rate))
        series = {k: sorted(v) for k, v in series.items() if len(v) > 1}
        if not series:
            continue
        plots = []
        for n, ((d, impl), pts) in enumerate(sorted(series.items())):
            name = "%s-scaling-%d.dat" % (b, n)
            with open(os.path.join(out, name), "w") as f:
                f.writelines("%d %g\n" % (p, rate / pts[0][1]) for p, rate in pts)
            plots.append('"%s" using 1:2 with linespoints title "%s: %s"' % (name, impl, d))
        ranks = sorted({p for v in series.values() for p, _ in v})
        gnuplot("""set terminal pngcairo size 900,560 font ",9"
set output "%s-scaling.png"
set title "%s: Cohort's speed-up over %d rank(s), same data"
set xlabel "MPI ranks"
set ylabel "speed-up"
set xtics (%s)
set key below vertical maxcols 2 font ",8"
set termoption noenhanced
set grid
plot x with lines dashtype 2 lw 2 lc rgb "gray40" title "ideal", %s
""" % (b, TITLES[b], ranks[0], ", ".join(str(r) for r in ranks), ", ".join(plots)))
print("bench/report.py: wrote %s" % os.path.join(out, "results.md"))

"""A fuzz campaign as one history record: libFuzzer's progress lines (`#N ... cov: ft: corp:
exec/s:`) or AFL++'s plot_data and fuzzer_stats, sampled over the campaign's time, every job summed.

Samples are columns (t, execs, ...), at most SAMPLES points evenly over the campaign: libFuzzer and
the jobs of one campaign summed (executions, exec/s) or maxed (coverage, corpus), as afl-whatsup
sums AFL++ instances."""

import glob
import json
import os
import re

SAMPLES = 40

# libFuzzer: "#4839	NEW    cov: 482 ft: 2720 corp: 741/69Kb lim: 508 exec/s: 0 rss: 81Mb ..."
LF_LINE = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/\S+.*?exec/s: (\d+)")
LF_STAT = re.compile(r"^stat::(\w+):\s*(\d+)")


def lf_points(path):
    """(t, execs, cov, ft, corpus, exec/s) per progress line of one libFuzzer log. libFuzzer
    prints no time: its exec/s is executions over whole seconds since the start, so the time of a
    line is N / exec/s (0 in the first second), kept from going backwards."""
    points, stats = [], {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LF_LINE.match(line)
            if m:
                n, cov, ft, corp, eps = (int(x) for x in m.groups())
                t = n / eps if eps else 0.0
                if points:
                    t = max(t, points[-1][0])
                points.append((t, n, cov, ft, corp, eps))
                continue
            m = LF_STAT.match(line)
            if m:
                stats[m.group(1)] = int(m.group(2))
    return points, stats


def at(points, t):
    """The last point at or before time t, or None."""
    last = None
    for p in points:
        if round(p[0], 1) > t:
            break
        last = p
    return last


def combine(sources, names, summed):
    """Columns at the times the sources have points (SAMPLES times evenly over the longest source
    when there are more); at each time each source gives its last point, `summed` columns are
    added and the others take the largest value."""
    times = sorted({round(p[0], 1) for pts in sources for p in pts})
    if len(times) > SAMPLES:
        end = times[-1]
        times = [round(end * i / (SAMPLES - 1), 1) for i in range(SAMPLES)]
    columns = {name: [] for name in names}
    for t in times:
        now = [p for p in (at(pts, t) for pts in sources) if p is not None]
        if not now:
            continue
        columns["t"].append(t)
        for j, name in enumerate(names[1:], 1):
            values = [p[j] for p in now]
            columns[name].append(round(sum(values) if name in summed else max(values), 2))
    return columns


def new_files(pattern, marker):
    """How many files matching the glob are newer than the campaign's start marker."""
    since = os.stat(marker).st_mtime if os.path.exists(marker) else 0
    count = 0
    for f in glob.glob(pattern):
        if f.endswith((".log", ".min")) or not os.path.isfile(f):
            continue
        if os.stat(f).st_mtime >= since:
            count += 1
    return count


def libfuzzer(target, fz, budget, jobs, marker):
    """The record of one `make fuzz` libFuzzer campaign: JOBS logs $FZ/logs/<target>.log.<i>."""
    sources, execs, rate = [], 0, 0
    for i in range(jobs):
        log = f"{fz}/logs/{target}.log.{i}"
        if not os.path.exists(log):
            raise FileNotFoundError(f"{log}: no such log (JOBS={jobs})")
        points, stats = lf_points(log)
        sources.append(points)
        execs += stats.get("number_of_executed_units", points[-1][1] if points else 0)
        rate += stats.get("average_exec_per_sec", points[-1][5] if points else 0)
    if not any(sources):
        raise ValueError(f"{fz}/logs/{target}.log.*: no libFuzzer progress line")
    names = ["t", "execs", "cov", "ft", "corpus", "exec_per_sec"]
    samples = combine(sources, names, {"execs", "exec_per_sec"})
    last = [pts[-1] for pts in sources if pts]
    return {
        "engine": "libfuzzer",
        "target": target,
        "shim": os.path.basename(fz.rstrip("/")),
        "jobs": jobs,
        "budget_s": budget,
        "seconds": samples["t"][-1],
        "execs": execs,
        "exec_per_sec": rate,
        "cov": max(p[2] for p in last),
        "ft": max(p[3] for p in last),
        "corpus": max(p[4] for p in last),
        "findings": new_files(f"findings/{target}/*", marker),
        "samples": samples,
    }


# ---- AFL++ ------------------------------------------------------------------------------------
def afl_rows(path):
    """plot_data as a list of dicts (its header names the columns)."""
    rows, names = [], None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("#"):
                names = [n.strip() for n in line[1:].split(",")]
                continue
            if names and line.strip():
                values = [v.strip().rstrip("%") for v in line.split(",")]
                if len(values) == len(names):
                    rows.append({n: float(v) for n, v in zip(names, values)})
    return rows


def afl_stats(path):
    """fuzzer_stats as a dict of strings."""
    stats = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                name, sep, value = line.partition(":")
                if sep:
                    stats[name.strip()] = value.strip()
    return stats


def afl_instances(fz, target):
    return sorted(d.rstrip("/") for d in glob.glob(f"{fz}/afl-out/{target}/*/"))


def afl_mark(target, fz):
    """Before a campaign: each instance's last plot_data row, so that the record takes only the
    rows this campaign adds (a resumed instance continues its time and execution count)."""
    mark = {}
    for inst in afl_instances(fz, target):
        rows = afl_rows(f"{inst}/plot_data") if os.path.exists(f"{inst}/plot_data") else []
        if rows:
            mark[os.path.basename(inst)] = rows[-1]
    os.makedirs(f"{fz}/logs", exist_ok=True)
    with open(f"{fz}/logs/{target}.afl-mark.json", "w", encoding="utf-8") as f:
        json.dump(mark, f)


def afl(target, fz, budget, jobs, marker):
    """The record of one `make fuzz ENGINE=afl` campaign, its instances summed as afl-whatsup
    does: executions and exec/s added, edges and corpus the largest."""
    try:
        with open(f"{fz}/logs/{target}.afl-mark.json", encoding="utf-8") as f:
            mark = json.load(f)
    except FileNotFoundError:
        mark = {}
    sources, execs, rate, edges, corpus, cvg = [], 0, 0.0, 0, 0, ""
    for inst in afl_instances(fz, target):
        name = os.path.basename(inst)
        before = mark.get(name, {})
        t0, x0 = before.get("relative_time", -1.0), before.get("total_execs", 0.0)
        points = []
        if before:
            points.append((0.0, 0, before.get("edges_found", 0), before.get("corpus_count", 0), 0))
        rows = afl_rows(f"{inst}/plot_data") if os.path.exists(f"{inst}/plot_data") else []
        for r in rows:
            if r.get("relative_time", 0) > t0:
                points.append((r["relative_time"] - max(t0, 0), r.get("total_execs", 0) - x0,
                               r.get("edges_found", 0), r.get("corpus_count", 0),
                               r.get("execs_per_sec", 0)))
        stats = afl_stats(f"{inst}/fuzzer_stats")
        if not points or not stats:
            continue
        sources.append(points)
        execs += int(float(stats.get("execs_done", 0)) - x0)
        rate += float(stats.get("execs_per_sec", 0))
        edges = max(edges, int(stats.get("edges_found", 0)))
        corpus = max(corpus, int(stats.get("corpus_count", 0)))
        if name == "main":
            cvg = stats.get("bitmap_cvg", "")
    if not sources:
        raise ValueError(f"{fz}/afl-out/{target}: no instance wrote plot_data and fuzzer_stats")
    names = ["t", "execs", "edges", "corpus", "exec_per_sec"]
    samples = combine(sources, names, {"execs", "exec_per_sec"})
    return {
        "engine": "afl",
        "target": target,
        "shim": os.path.basename(fz.rstrip("/")),
        "jobs": jobs,
        "instances": len(sources),
        "budget_s": budget,
        "seconds": samples["t"][-1],
        "execs": execs,
        "exec_per_sec": round(rate),
        "edges": edges,
        "bitmap_cvg": cvg,
        "corpus": corpus,
        "findings": new_files(f"{fz}/afl-out/{target}/*/crashes/id:*", marker)
        + new_files(f"{fz}/afl-out/{target}/*/hangs/id:*", marker),
        "samples": samples,
    }

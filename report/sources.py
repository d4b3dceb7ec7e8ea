"""What the runs left behind, read for the report: the histories (build/history/, make bench's),
findings/INDEX, stress-logs/, make coverage's output, the injected bugs, build/e2e/logs/.

Paths are under ROOT (the tree the runs ran in); the code it needs (bench/goals.py, bugs/) is
this tree's. Input that cannot be read is an InputError naming the file and line."""

import glob
import importlib.util
import os
import re
import time

import collect_runs
import store

CODE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _mtime(path):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.stat(path).st_mtime))


def fuzz(root):
    """Every recorded campaign, oldest first."""
    return store.read(os.path.join(root, "build/history/fuzz.jsonl"))


def findings_index(path):
    """findings/INDEX (fuzz/findings.sh): signature, count, first and last seen, smallest
    reproducer, repro line; tab-separated. Newest (last seen) first."""
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise store.InputError(f"{path}: cannot read: {e}") from e
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 6 or not fields[1].isdigit():
            raise store.InputError(f"{path}:{number}: not an index line (6 tab-separated fields: "
                                   "signature, count, first, last, reproducer, repro line)")
        signature, count, first, last, smallest, repro = fields
        rows.append({"signature": signature, "target": signature.split(" ", 1)[0],
                     "count": int(count), "first": first, "last": last, "smallest": smallest,
                     "repro": repro})
    rows.sort(key=lambda r: r["last"], reverse=True)
    return rows


def stress(root):
    """Every stress run: the history, and any finished run in stress-logs/ it does not hold
    (runs from before the history); unfinished runs (a state file, no summary) apart."""
    runs = store.read(os.path.join(root, "build/history/stress.jsonl"))
    known = {os.path.normpath(os.path.join(root, r.get("dir", ""))) for r in runs}
    for summary in sorted(glob.glob(os.path.join(root, "stress-logs/*/summary.json"))):
        run_dir = os.path.dirname(summary)
        if os.path.normpath(run_dir) in known:
            continue
        try:
            data = collect_runs.read_summary(summary)
        except ValueError as e:
            raise store.InputError(str(e)) from e
        rel = os.path.relpath(run_dir, root)
        record = collect_runs.stress_record(data, rel, root)
        record.update(date=record.get("finished") or _mtime(summary), commit="unknown",
                      host="?", cpus=None, load="", driver="ours", from_logs=True)
        runs.append(record)
    runs.sort(key=lambda r: r.get("started") or r.get("date") or "")
    unfinished = []
    for state in sorted(glob.glob(os.path.join(root, "stress-logs/*/state"))):
        run_dir = os.path.dirname(state)
        if os.path.exists(os.path.join(run_dir, "summary.json")):
            continue
        with open(state, encoding="utf-8", errors="replace") as f:
            if "finished=0" in f.read():
                unfinished.append(os.path.relpath(run_dir, root))
    return {"runs": runs, "unfinished": unfinished}


def bench_goals():
    """make bench's goals, from bench/goals.py itself: (figure, path, comparison, goal, unit)."""
    path = os.path.join(CODE, "bench/goals.py")
    spec = importlib.util.spec_from_file_location("bench_goals", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.GOALS, module.COMPARE


def bench(root):
    goals, compare = bench_goals()
    return {"runs": store.read(os.path.join(root, "build/bench/history.jsonl")), "goals": goals,
            "compare": compare}


# llvm-cov report -show-branch-summary: a file's row is its name and 12 numbers
COV_ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+([\d.]+%|-)\s+(\d+)\s+(\d+)\s+([\d.]+%|-)\s+"
                     r"(\d+)\s+(\d+)\s+([\d.]+%|-)\s+(\d+)\s+(\d+)\s+([\d.]+%|-)\s*$")
FUNC_ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+[\d.]+%\s+(\d+)\s+(\d+)\s+[\d.]+%")


def coverage(root):
    """make coverage's per-file summary (report.txt), the functions no harness reaches
    (functions-fuzz.txt) and where its HTML is. None when make coverage has not run."""
    base = os.path.join(root, "build/fuzz/det/coverage")
    path = os.path.join(base, "report.txt")
    if not os.path.exists(path):
        return None
    files, total = [], None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = COV_ROW.match(line)
            if not m:
                continue
            g = m.groups()
            row = {"file": g[0], "functions": (int(g[4]), int(g[5])),
                   "lines": (int(g[7]), int(g[8])), "branches": (int(g[10]), int(g[11])),
                   "regions": (int(g[1]), int(g[2]))}
            if g[0] == "TOTAL":
                total = row
            else:
                files.append(row)
    if total is None:
        raise store.InputError(f"{path}: no TOTAL row: not llvm-cov report output")
    unreached, functions = {}, os.path.join(base, "functions-fuzz.txt")
    current = None
    if os.path.exists(functions):
        with open(functions, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("File '"):
                    current = os.path.basename(line.strip()[6:-2])
                    continue
                m = FUNC_ROW.match(line)
                if m and current and m.group(1) != "TOTAL" and m.group(5) == m.group(4) != "0":
                    unreached.setdefault(current, []).append(m.group(1).split(":")[-1])
    html = os.path.join(base, "html")
    return {"files": files, "total": total, "date": _mtime(path),
            "unreached": unreached if os.path.exists(functions) else None,
            "html": html if os.path.exists(os.path.join(html, "index.html")) else None}


def bugs(root):
    """The injected bugs (bugs/*.patch: what is wrong, the harness and scenario meant to catch
    it) and the records of their hunts (fuzz-bug, stress-bug, bugs-check)."""
    listed = []
    for patch in sorted(glob.glob(os.path.join(CODE, "bugs/*.patch"))):
        with open(patch, encoding="utf-8", errors="replace") as f:
            text = f.read()
        head = (text.splitlines() + ["", "", ""])[:3]
        hints = dict(re.findall(r"(\w+)=(\S+)", head[2]))
        files = re.findall(r"^--- a/(\S+)", text, re.M)
        listed.append({"name": os.path.basename(patch)[:-len(".patch")],
                       "what": re.sub(r"^# Injected bug [^:]*: ", "", head[0]),
                       "file": files[0] if files else "", "harness": hints.get("harness", ""),
                       "stress": hints.get("stress", ""), "san": hints.get("san", "")})
    return {"bugs": listed, "records": store.read(os.path.join(root, "build/history/bugs.jsonl"))}


def e2e(root):
    """make e2e's runs (build/e2e/logs/<time>/), newest first: the summary lines where the run
    wrote them (summary.txt), else only the logs it left."""
    runs = []
    for run_dir in sorted(glob.glob(os.path.join(root, "build/e2e/logs/*/")), reverse=True):
        summary = os.path.join(run_dir, "summary.txt")
        lines = []
        if os.path.exists(summary):
            with open(summary, encoding="utf-8", errors="replace") as f:
                lines = [x.rstrip("\n") for x in f if x.strip()]
        runs.append({"dir": os.path.relpath(run_dir, root).rstrip("/"), "lines": lines,
                     "logs": sorted(os.path.basename(p) for p in glob.glob(run_dir + "*.log"))})
    return runs

"""The report's stress and bench sections: every stress run per scenario, operations per second per
scenario across runs, the failures with their reproduce lines; every bench run per figure across
commits with its goal, and MET or MISSED for the latest."""

from page import (badge, code, day_time, esc, figure, folded, nodata, num, plots, secs,
                  short_date, table)


def run_label(r):
    return f"{short_date(r.get('started') or r.get('date'))} {str(r.get('commit', ''))[:7]}".strip()


def stress_rows(runs):
    rows = []
    for r in runs:
        for name, s in sorted((r.get("scenarios") or {}).items()):
            seconds = s.get("seconds") or 0
            rows.append([esc(day_time(r.get("started") or r.get("date"))), esc(name),
                         num(s.get("slots")), secs(seconds), num(s.get("ops")),
                         num(s.get("ops", 0) / seconds if seconds else None),
                         num(s.get("packets")), num(s.get("interrupts")), num(s.get("deletes")),
                         badge(num(s.get("failures")), not s.get("failures")),
                         esc(r.get("san")) + (f", {num(s['sanitizer'])} report(s)"
                                              if s.get("sanitizer") else ""),
                         code(r.get("dir"))])
    return table(["run", "scenario", "slots", "time", "operations", "ops/s", "packets",
                  "interrupts", "deletes", "failures", "sanitizer", "logs"], rows,
                 numeric=("slots", "time", "operations", "ops/s", "packets", "interrupts",
                          "deletes"))


def stress(data, charts):
    runs = data["runs"]
    if not runs:
        out = nodata("no stress run is recorded (build/history/stress.jsonl, stress-logs/)",
                     "<code>make stress</code> (<code>DURATION=8h</code> overnight)")
    else:
        names = sorted({n for r in runs for n in (r.get("scenarios") or {})})
        xtics = [(run_label(r), i) for i, r in enumerate(runs)]
        series = []
        for name in names:
            pts = []
            for i, r in enumerate(runs):
                s = (r.get("scenarios") or {}).get(name)
                if s and s.get("seconds"):
                    pts.append((i, round(s.get("ops", 0) / s["seconds"])))
            series.append((name, pts))
        plot = charts.line("stress-ops-per-second", "operations per second per scenario",
                           "stress run", "ops/s", series, xtics=xtics, size=(900, 340))
        failed = sum(1 for r in runs if r.get("failure_count"))
        out = [f"<p>{len(runs)} run(s), {failed} with failures; newest first, one row per "
               "scenario (all its slots in the run).</p>", plots([(plot, "stress ops/s")]),
               folded(list(reversed(runs)), 5, stress_rows, "runs")]
        failures = [(r, f) for r in reversed(runs) for f in (r.get("failures") or [])]
        more = [(r, (r.get("failure_count") or 0) - len(r.get("failures") or [])) for r in runs]
        more = [f"{code(r.get('dir'))}: {n} more" for r, n in reversed(more) if n > 0]
        if failures:
            out.append("<h3>Failures, newest first, with the lines that reproduce them</h3>")
            out.append(table(["run", "slot", "scenario", "status", "first failure", "reproduce"],
                             [[esc(day_time(r.get("started") or r.get("date"))),
                               num(f.get("slot")), esc(f.get("scenario")), esc(f.get("status")),
                               esc(f.get("first")),
                               code(f.get("reproduce")) + ("<br>" + code(f["ops_replay"])
                                                           if f.get("ops_replay") else "")]
                              for r, f in failures], numeric=("slot",)))
            if more:
                out.append("<p>The history keeps a run's first failures; the rest are in its "
                           "summary.txt: " + ", ".join(more) + "</p>")
        out = "\n".join(out)
    if data["unfinished"]:
        out += "<p>Unfinished runs (interrupted; <code>make stress RESUME=&lt;dir&gt;</code> " \
               "goes on): " + ", ".join(code(d) for d in data["unfinished"]) + "</p>"
    return out


def goal_text(op, goal, unit):
    return f"{op} {goal}{unit}"


def bench(data, charts):
    runs, goals, compare = data["runs"], data["goals"], data["compare"]
    if not runs:
        return nodata("no bench run is recorded in build/bench/history.jsonl",
                      "<code>make bench</code>")
    last = runs[-1]
    rows, images = [], []
    xtics = [(str(r.get("commit", "?"))[:9], i) for i, r in enumerate(runs)]
    for index, (name, path, op, goal, unit) in enumerate(goals):
        value = (last.get("figures") or {}).get(path)
        verdict = "NO DATA" if value is None else ("MET" if compare[op](value, goal) else "MISSED")
        rows.append([esc(name), figure(value),
                     esc(goal_text(op, goal, unit)),
                     badge(verdict, verdict == "MET")])
        pts = [(i, r["figures"][path]) for i, r in enumerate(runs)
               if isinstance(r.get("figures"), dict) and r["figures"].get(path) is not None]
        images.append((charts.line(f"bench-{index:02d}", name, "run (commit)", unit or "value",
                                   [(name, pts)], goal=(goal, f"goal {op} {goal}{unit}"),
                                   xtics=xtics, size=(400, 260)), name))
    met = sum(1 for r in rows if "MET<" in r[3])
    return "\n".join([
        f"<p>{len(runs)} run(s) recorded. The latest: {esc(last.get('date'))}, commit "
        f"{code(last.get('commit'))}, {esc(last.get('host'))} ({esc(last.get('cpus'))} CPUs, "
        f"load {esc(last.get('load'))}): {met} of {len(rows)} goals met (bench/goals.py).</p>",
        table(["figure", "latest", "goal", "verdict"], rows, numeric=("latest",)),
        "<h3>Every run per figure, across commits, with its goal</h3>", plots(images)])

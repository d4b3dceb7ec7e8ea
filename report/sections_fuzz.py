"""The report's fuzzing sections: every campaign per harness and engine (coverage and exec/s over
time, corpus, executions) and the findings grouped by signature (findings/INDEX)."""

from page import (badge, code, day_time, esc, folded, machine, nodata, num, plots, secs,
                  short_date, table)

CURVES = 6  # campaigns drawn per plot: the latest
ENGINES = {"libfuzzer": "libFuzzer", "afl": "AFL++"}


def groups(records):
    """Campaigns by (driver, engine, harness), each list oldest first."""
    out = {}
    for r in records:
        out.setdefault((r.get("driver", "ours"), r.get("engine", "?"), r.get("target", "?")),
                       []).append(r)
    return dict(sorted(out.items()))


def coverage_of(r):
    """libFuzzer's cov (and ft), AFL++'s edges (and map coverage)."""
    if r.get("engine") == "afl":
        return f"{num(r.get('edges'))} edges ({esc(r.get('bitmap_cvg') or '-')})"
    return f"cov {num(r.get('cov'))}, ft {num(r.get('ft'))}"


def curve_label(r):
    return f"{short_date(r.get('date'))} {r.get('commit', '')[:9]}"


def group_plots(charts, key, campaigns):
    driver, engine, target = key
    recent = campaigns[-CURVES:]
    cov_name = "edges" if engine == "afl" else "cov"
    name = f"fuzz-{driver}-{engine}-{target}"
    title = f"{target} ({ENGINES.get(engine, engine)}{'' if driver == 'ours' else ', ' + driver})"

    def series(column):
        out = []
        for r in recent:
            s = r.get("samples") or {}
            t, y = s.get("t") or [], s.get(column) or []
            out.append((curve_label(r), list(zip(t, y))))
        return out

    cov = charts.line(f"{name}-{cov_name}", f"{title}: coverage ({cov_name})",
                      "seconds into the campaign", cov_name, series(cov_name))
    rate = charts.line(f"{name}-execs", f"{title}: exec/s", "seconds into the campaign",
                       "exec/s (as the engine reports it)", series("exec_per_sec"))
    return plots([(cov, f"{title} coverage over time"), (rate, f"{title} exec/s over time")])


def campaign_rows(rows):
    return table(["date", "harness", "engine", "jobs", "time", "executions", "exec/s",
                  "coverage", "corpus", "findings", "commit", "machine"],
                 [[esc(day_time(r.get("date"))), esc(r.get("target")),
                   esc(ENGINES.get(r.get("engine"), r.get("engine"))),
                   num(r.get("instances") or r.get("jobs")), secs(r.get("seconds")),
                   num(r.get("execs")), num(r.get("exec_per_sec")), coverage_of(r),
                   num(r.get("corpus")), num(r.get("findings")), code(r.get("commit", "?")[:12]),
                   machine(r)]
                  for r in rows],
                 numeric=("jobs", "time", "executions", "exec/s", "corpus", "findings"))


def fuzzing(records, charts):
    if not records:
        return nodata("no fuzz campaign is recorded in build/history/fuzz.jsonl",
                      "<code>make fuzz</code> (libFuzzer) or <code>make fuzz ENGINE=afl</code>")
    by_group = groups(records)
    summary = []
    for (driver, engine, target), campaigns in by_group.items():
        last = campaigns[-1]
        summary.append([esc(target), esc(ENGINES.get(engine, engine)), esc(driver),
                        num(len(campaigns)), secs(sum(c.get("seconds") or 0 for c in campaigns)),
                        num(sum(c.get("execs") or 0 for c in campaigns)),
                        esc(day_time(last.get("date"))), num(last.get("exec_per_sec")),
                        coverage_of(last), num(last.get("corpus")), num(last.get("findings"))])
    out = ["<p>Per harness and engine: the campaigns recorded (each <code>make fuzz</code> run "
           "appends its samples), their time and executions in all, and the latest campaign. "
           "AFL++ instances of one campaign are summed as <code>afl-whatsup</code> does "
           "(executions and exec/s added, edges and corpus the largest); so are libFuzzer jobs "
           "(coverage the largest). libFuzzer's exec/s is its average since the start; AFL++ "
           "(4.04c) writes plot_data once a minute and when it stops, so a campaign of less "
           "than a minute has one sample per instance (and one at the start when it resumed).</p>",
           table(["harness", "engine", "driver", "campaigns", "time in all", "executions in all",
                  "latest", "exec/s", "coverage", "corpus", "findings"], summary,
                 numeric=("campaigns", "time in all", "executions in all", "exec/s", "corpus",
                          "findings"))]
    for key, campaigns in by_group.items():
        driver, engine, target = key
        out.append(f"<h3>{esc(target)}, {esc(ENGINES.get(engine, engine))}"
                   f"{'' if driver == 'ours' else ', driver ' + esc(driver)}: the latest "
                   f"{min(CURVES, len(campaigns))} of {len(campaigns)} campaign(s)</h3>")
        out.append(group_plots(charts, key, campaigns))
    out.append("<h3>Every campaign, newest first</h3>")
    out.append(folded(list(reversed(records)), 12, campaign_rows, "campaigns"))
    return "\n".join(out)


def reproducible(row):
    if row.get("reproducible"):
        same, runs = row["reproducible"]
        return badge(f"{same}/{runs}", same == runs)
    return f'<span class="note">{esc(row.get("repro_note", "-"))}</span>'


def findings_table(rows):
    return table(["signature", "count", "first seen", "last seen", "smallest reproducer",
                  "reproduce", "reproducible"],
                 [[esc(r["signature"]), num(r["count"]), esc(day_time(r["first"])),
                   esc(day_time(r["last"])),
                   code(r["smallest"]) + (f" ({num(r['size'])} bytes)" if r.get("size") else ""),
                   code(r["repro"]), reproducible(r)] for r in rows],
                 numeric=("count",))


def findings(ours, upstream):
    if ours is None:
        out = [nodata("there is no findings/INDEX", "<code>make fuzz</code> (each finding is "
                      "indexed by signature as the campaign ends)")]
    elif not ours:
        out = ["<p>findings/INDEX holds no finding: no campaign has found anything.</p>"]
    else:
        out = [f"<p>{len(ours)} signature(s), {sum(r['count'] for r in ours)} finding(s), newest "
               "first (fuzz/findings.sh). Reproducible: the smallest reproducer replayed 20 "
               "times with <code>make fuzz</code>'s replayer, how many runs ended with the same "
               "signature.</p>", findings_table(ours)]
    if upstream is not None:
        out.append("<h3>Upstream findings (<code>DRIVER=upstream</code>)</h3>")
        out.append(findings_table(upstream) if upstream else
                   "<p>findings/upstream/INDEX holds no finding.</p>")
    return "\n".join(out)

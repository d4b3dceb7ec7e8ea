"""The report's coverage, injected-bug and end-to-end sections: driver coverage per file with links
into llvm-cov's HTML (copied beside the report) and the functions no harness reaches; each
injected bug with what catches it and how fast; make e2e's runs."""

import os
import re
import shutil

from page import badge, code, day_time, esc, nodata, num, secs, table


def percent(pair):
    total, missed = pair
    if not total:
        return "-"
    return f"{100.0 * (total - missed) / total:.1f}% ({total - missed}/{total})"


def copy_html(source, out_dir):
    """llvm-cov's HTML copied into the report folder (so the folder stands alone); returns the
    relative path of each driver file's page by its base name."""
    dest = os.path.join(out_dir, "coverage-html")
    shutil.rmtree(dest, ignore_errors=True)
    if source is None:
        return None, {}
    shutil.copytree(source, dest)
    pages = {}
    for folder, _, names in os.walk(dest):
        for name in names:
            if name.endswith(".c.html"):
                pages[name[:-len(".html")]] = os.path.relpath(os.path.join(folder, name), out_dir)
    return "coverage-html/index.html", pages


def coverage(data, out_dir):
    if data is None:
        copy_html(None, out_dir)
        return nodata("make coverage has not run (build/fuzz/det/coverage/report.txt)",
                      "<code>make coverage</code>")
    index, pages = copy_html(data["html"], out_dir)
    rows = []
    for f in data["files"] + [data["total"]]:
        name = os.path.basename(f["file"])
        cell = f'<a href="{esc(pages[name])}">{esc(name)}</a>' if name in pages else esc(name)
        if f is data["total"]:
            cell = "<b>all of driver/</b>"
        rows.append([cell, percent(f["lines"]), percent(f["branches"]), percent(f["functions"]),
                     percent(f["regions"])])
    out = [f"<p>Driver coverage from the tests and every fuzz input (corpora, seeds, regressions, "
           f"the working corpora) merged, as <code>make coverage</code> measured it "
           f"({esc(data['date'])}). "
           + (f'<a href="{esc(index)}">llvm-cov\'s HTML report</a> shows every line.</p>'
              if index else "llvm-cov's HTML is not there.</p>"),
           table(["file", "lines", "branches", "functions", "regions"], rows),
           "<h3>Driver functions no harness reaches</h3>"]
    unreached = data["unreached"]
    if unreached is None:
        out.append(nodata("this coverage predates the per-function list "
                          "(build/fuzz/det/coverage/functions-fuzz.txt)",
                          "<code>make coverage</code>"))
    elif not unreached:
        out.append("<p>None: every driver function runs under some harness.</p>")
    else:
        out.append("<p>No fuzz input runs a line of these (the tests may):</p>")
        out.append(table(["file", "functions"], [[esc(f), ", ".join(code(n) for n in names)]
                                                 for f, names in sorted(unreached.items())]))
    return "\n".join(out)


def latest(records, bug, kind):
    mine = [r for r in records if r.get("bug") == bug and r.get("kind") == kind]
    return mine[-1] if mine else None, mine


# per kind of hunt: the record's verdict field, the command that makes one, what ran, its details
HUNTS = {
    "fuzz": ("found", "make fuzz-bug BUG={}", lambda r: esc(r.get("target")),
             lambda r: f" ({num(r.get('execs'))} execs, from {esc(r.get('corpus'))})"),
    "stress": ("caught", "make stress-bug BUG={}",
               lambda r: f"{esc(r.get('scenario'))} ({esc(r.get('san'))})",
               lambda r: f"<br>{code(r['first'])}" if r.get("first") else ""),
}


def hunt_cell(records, bug, kind):
    """The latest hunt of a kind: found (caught) by what, in how long; how many of the recorded
    hunts succeeded and the fastest."""
    key, command, by, detail = HUNTS[kind]
    last, every = latest(records, bug, kind)
    if last is None:
        return f'<span class="note">{esc(command.format(bug))}</span>'
    good = bool(last.get(key))
    text = (f"{badge(key if good else 'not ' + key, good)} by {by(last)} in "
            f"{secs(last.get('seconds'))}{detail(last)}")
    if len(every) > 1:
        hits = [r["seconds"] for r in every if r.get(key) and r.get("seconds") is not None]
        text += f"<br>{len(hits)} of {len(every)} hunts {key} it"
        text += f", the fastest in {secs(min(hits))}" if hits else ""
    return text + f'<br><span class="note">{esc(day_time(last.get("date")))}</span>'


def check_cell(records, bug):
    last, _ = latest(records, bug, "check")
    if last is None:
        return '<span class="note">make bugs-check</span>'
    runs = last.get("runs", 0)
    good = last.get("bug_failed") == runs and last.get("real_passed") == runs
    return (badge("ok" if good else "FAILED", good) + f" bug build failed {last.get('bug_failed')}"
            f"/{runs}, the driver passed {last.get('real_passed')}/{runs}"
            f'<br><span class="note">{esc(day_time(last.get("date")))}</span>')


def bugs(data):
    records = data["records"]
    rows = [[f"<b>{esc(b['name'])}</b>", esc(b["file"].replace("driver/", "")), esc(b["what"]),
             esc(f"{b['harness']} / {b['stress']} ({b['san']})"),
             hunt_cell(records, b["name"], "fuzz"), hunt_cell(records, b["name"], "stress"),
             check_cell(records, b["name"])]
            for b in data["bugs"]]
    out = []
    if not records:
        out.append(nodata("no injected-bug hunt is recorded in build/history/bugs.jsonl",
                          "<code>make fuzz-bug BUG=&lt;name&gt;</code>, <code>make stress-bug "
                          "BUG=&lt;name&gt;</code> and <code>make bugs-check</code>"))
    out.append("<p>Each bug (bugs/*.patch), the harness and scenario meant to catch it, and the "
               "latest hunt of each kind: the time to catch is from the fuzzer's start to the "
               "finding, or from the stress run's start to the end of the failing slot.</p>")
    out.append(table(["bug", "file", "what is wrong", "meant for (harness / scenario)",
                      "fuzz-bug", "stress-bug", "bugs-check (saved reproducer)"], rows))
    return "\n".join(out)


SUMMARY = re.compile(r"(\d+) passed, (\d+) failed in (\d+) s")


def e2e(runs):
    if not runs:
        return nodata("no make e2e run left logs in build/e2e/logs/",
                      "<code>make e2e</code> (as root, with /dev/fuse, /dev/net/tun and "
                      "<code>ip netns</code>)")
    rows = []
    for r in runs[:10]:
        m = SUMMARY.search(r["lines"][-1]) if r["lines"] else None
        if m:
            verdict = badge(f"{m.group(1)} passed, {m.group(2)} failed", m.group(2) == "0") + \
                f" in {esc(m.group(3))} s"
            failed = [x for x in r["lines"][:-1] if not x.startswith("PASS")]
            detail = "".join(f"{code(x)}<br>" for x in failed) + \
                "<details><summary>every check</summary>" + "<br>".join(
                    esc(x) for x in r["lines"][:-1]) + "</details>"
        else:
            verdict, detail = '<span class="note">no summary.txt</span>', esc(
                f"{len(r['logs'])} log file(s): " + ", ".join(r["logs"][:8]))
        rows.append([code(r["dir"]), verdict, detail])
    return (f"<p>{len(runs)} run(s) left logs; the latest {len(rows)}, newest first.</p>"
            + table(["logs", "result", "checks"], rows))

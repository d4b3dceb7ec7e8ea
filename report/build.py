#!/usr/bin/env python3
"""make report: one static HTML page (index.html, plots/*.svg, coverage-html/) from what the runs
left behind under ROOT. report/README.md says what each section shows and where it comes from.

usage: build.py [--root DIR] [--out DIR] [--quiet]
  --root DIR  the tree the runs ran in (default: this one); its findings/, stress-logs/, build/
  --out DIR   the report folder (default: ROOT/build/report)
  --quiet     print only the report's path (the end of make fuzz, stress, bench, e2e)
Status 2 for a bad argument or input the report cannot read (the file and line, and why)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import page  # noqa: E402
import plots  # noqa: E402
import repro  # noqa: E402
import sections_checks  # noqa: E402
import sections_fuzz  # noqa: E402
import sections_runs  # noqa: E402
import sources  # noqa: E402
import store  # noqa: E402


class Usage(Exception):
    pass


def parse(argv):
    args = {"root": sources.CODE, "out": None, "quiet": False}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--quiet":
            args["quiet"] = True
        elif arg in ("--root", "--out"):
            if i + 1 >= len(argv) or not argv[i + 1]:
                raise Usage(f"{arg} needs a folder")
            args[arg[2:]] = argv[i + 1]
            i += 1
        else:
            raise Usage(f"unknown argument '{arg}': use --root DIR, --out DIR, --quiet")
        i += 1
    if not os.path.isdir(args["root"]):
        raise Usage(f"--root {args['root']}: not a folder")
    args["root"] = os.path.abspath(args["root"])
    args["out"] = os.path.abspath(args["out"] or os.path.join(args["root"], "build/report"))
    return args


def span(records, field="date"):
    dates = sorted(str(r.get(field)) for r in records if r.get(field))
    return (page.esc(page.day_time(dates[0])), page.esc(page.day_time(dates[-1]))) if dates \
        else ("-", "-")


def source_row(section, source, records, field="date"):
    first, last = span(records, field)
    return [page.esc(section), page.code(source), page.num(len(records)), first, last,
            page.commits(records) if records else "-",
            page.machine(records[-1]) if records else "-"]


def load(root, out):
    """Every source read, the findings' reproducibility replayed (cached)."""
    data = {"fuzz": sources.fuzz(root), "stress": sources.stress(root),
            "bench": sources.bench(root), "coverage": sources.coverage(root),
            "bugs": sources.bugs(root), "e2e": sources.e2e(root),
            "findings": sources.findings_index(os.path.join(root, "findings/INDEX")),
            "upstream": sources.findings_index(os.path.join(root, "findings/upstream/INDEX"))}
    replays = repro.Replays(root, out)
    for rows, replayers in ((data["findings"], "build/fuzz/det/rp"), (data["upstream"], None)):
        if rows:
            for row in rows:
                path = os.path.join(root, row["smallest"])
                row["size"] = os.path.getsize(path) if os.path.isfile(path) else None
            replays.annotate(rows, replayers)
    replays.save()
    return data


def header_rows(data):
    findings = data["findings"] or []
    cov = data["coverage"]
    e2e = [{"date": os.path.basename(r["dir"])} for r in reversed(data["e2e"])]
    return [
        source_row("Fuzzing", "build/history/fuzz.jsonl", data["fuzz"]),
        [page.esc("Findings"), page.code("findings/INDEX"), page.num(len(findings)),
         span(findings, "first")[0], span(findings, "last")[1], "-", "-"],
        source_row("Stress", "build/history/stress.jsonl, stress-logs/", data["stress"]["runs"]),
        source_row("Bench", "build/bench/history.jsonl", data["bench"]["runs"]),
        [page.esc("Coverage"), page.code("build/fuzz/det/coverage/"), page.num(1 if cov else 0),
         page.esc(page.day_time(cov["date"])) if cov else "-",
         page.esc(page.day_time(cov["date"])) if cov else "-", "-", "-"],
        source_row("Injected bugs", "build/history/bugs.jsonl", data["bugs"]["records"]),
        source_row("End to end", "build/e2e/logs/", e2e),
    ]


def build(args):
    root, out = args["root"], args["out"]
    os.makedirs(out, exist_ok=True)
    data = load(root, out)
    charts = plots.Plots(out)
    generated = dict(store.stamp(sources.CODE), root=root)
    bodies = {
        "fuzzing": sections_fuzz.fuzzing(data["fuzz"], charts),
        "findings": sections_fuzz.findings(data["findings"], data["upstream"]),
        "stress": sections_runs.stress(data["stress"], charts),
        "bench": sections_runs.bench(data["bench"], charts),
        "coverage": sections_checks.coverage(data["coverage"], out),
        "bugs": sections_checks.bugs(data["bugs"]),
        "e2e": sections_checks.e2e(data["e2e"]),
    }
    bodies["data"] = page.header(generated, header_rows(data))
    charts.render()
    index = os.path.join(out, "index.html")
    with open(index + ".tmp", "w", encoding="utf-8") as f:
        f.write(page.page(generated, bodies))
    os.replace(index + ".tmp", index)
    return index, data, charts.count


def main(argv):
    try:
        args = parse(argv)
        index, data, count = build(args)
    except Usage as e:
        print(f"report: {e}", file=sys.stderr)
        return 2
    except store.InputError as e:
        print(f"report: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"report: {e}", file=sys.stderr)
        return 1
    if not args["quiet"]:
        print(f"report: {len(data['fuzz'])} fuzz campaign(s), "
              f"{len(data['findings'] or [])} finding signature(s), "
              f"{len(data['stress']['runs'])} stress run(s), {len(data['bench']['runs'])} bench "
              f"run(s), coverage {'yes' if data['coverage'] else 'no'}, "
              f"{len(data['bugs']['records'])} injected-bug record(s), {len(data['e2e'])} e2e "
              f"run(s); {count} plot(s)")
    print(f"report: {os.path.relpath(index)} (file://{index})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

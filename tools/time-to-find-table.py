#!/usr/bin/env python3
"""make time-to-find's table: per injected bug and schedule strategy, trials found of N, the median
seconds and executions to find, a miss counting as the cap (shown ">CAP"). Usage: RESULTS CAP N"""
import csv
import statistics
import sys


def median_cell(values, cap, missed, unit):
    value = statistics.median(values)
    if missed and value >= cap:
        return f">{cap:g}" if unit == "s" else "-"
    return f"{value:.1f}" if unit == "s" else f"{value:,.0f}"


def main():
    path, cap, trials = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    rows = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            rows.setdefault(row["bug"], {}).setdefault(row["sched"], []).append(row)
    scheds = ["tape", "pct", "chaos", "mix"]
    shown = [s for s in scheds if any(s in per for per in rows.values())]
    print("| bug | " + " | ".join(f"{s}: found, median s, median execs" for s in shown) + " |")
    print("| --- |" + " --- |" * len(shown))
    for bug in sorted(rows):
        cells = []
        for s in shown:
            runs = rows[bug].get(s, [])
            if not runs:
                cells.append("not run")
                continue
            found = [r for r in runs if r["found"] == "1"]
            seconds = [float(r["seconds"]) if r["found"] == "1" else cap for r in runs]
            # a miss ran every execution it could: its count is a lower bound, shown as "-" when
            # the median is a miss
            execs = [float(r["execs"]) if r["found"] == "1" else float("inf") for r in runs]
            missed = len(found) < len(runs)
            cell_s = median_cell(seconds, cap, missed, "s")
            cell_e = median_cell(execs, float("inf"), missed, "e")
            cells.append(f"{len(found)}/{len(runs)}, {cell_s}, {cell_e}")
        print(f"| {bug} | " + " | ".join(cells) + " |")
    print()
    print(f"{trials} trials (libFuzzer -seed=1..{trials}) per cell, each capped at {cap:g} s, "
          "from the seeds only; a miss counts as the cap.")


if __name__ == "__main__":
    main()

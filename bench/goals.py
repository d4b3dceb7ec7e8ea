#!/usr/bin/env python3
"""make bench's verdict: each figure of results.json against its goal (MET or MISSED), and one line
per run appended to the history (commit, date, machine, load, every figure). Exit status 1 when a
goal is missed. Usage: goals.py RESULTS_JSON HISTORY_JSONL"""

import json
import os
import subprocess
import sys
import time

# (figure, path in results.json, comparison, goal, unit): the goals the benchmarks print
GOALS = [
    ("hand-off 64 B stack->app / fifo", "handoff.throughput_pps.64.ratio_to_app_vs_fifo", ">=", 0.70, ""),
    ("hand-off 64 B app->stack / fifo", "handoff.throughput_pps.64.ratio_to_stack_vs_fifo", ">=", 0.70, ""),
    ("hand-off 1500 B stack->app / fifo", "handoff.throughput_pps.1500.ratio_to_app_vs_fifo", ">=", 0.70, ""),
    ("hand-off 1500 B app->stack / fifo", "handoff.throughput_pps.1500.ratio_to_stack_vs_fifo", ">=", 0.70, ""),
    ("idle poll loop: poll returns", "handoff.idle.poll_returns", "<=", 0, ""),
    ("idle poll loop: select notifications", "handoff.idle.select_notifications", "<=", 0, ""),
    ("idle poll loop: process CPU", "handoff.idle.process_cpu_percent", "<", 0.1, "%"),
    ("wake-up by data p99", "wakeup.data.p99", "<", 1000, "us"),
    ("wake-up by ctrl+c p99", "wakeup.interrupt.p99", "<", 1000, "us"),
    # a whole delete holds the 10 ms Haiku's reader thread sleeps after the error that ends it,
    # before the stack's down returns and uninit_device reaches the driver (device_interfaces.cpp,
    # device_reader_thread, down_device_interface): the driver's part is the next figure
    ("wake-up by delete p99", "wakeup.delete.p99", "<", 15000, "us"),
    ("wake-up from uninit_device p99", "wakeup.delete_from_uninit.p99", "<", 1000, "us"),
    ("fuzz ioctl exec/s", "fuzz.ioctl.exec_per_sec", ">=", 50000, ""),
    ("fuzz frames exec/s", "fuzz.frames.exec_per_sec", ">=", 50000, ""),
    ("fuzz ops exec/s", "fuzz.ops.exec_per_sec", ">=", 5000, ""),
]

COMPARE = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, "<": lambda a, b: a < b}


def lookup(results, path):
    value = results
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def git_commit():
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                             text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    if len(sys.argv) != 3:
        print(__doc__.splitlines()[-1], file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        results = json.load(f)
    rows, figures, missed = [], {}, 0
    for name, path, op, goal, unit in GOALS:
        value = lookup(results, path)
        if value is None:
            verdict = "NO DATA"
            missed += 1
        else:
            figures[path] = value
            verdict = "MET" if COMPARE[op](value, goal) else "MISSED"
            missed += verdict != "MET"
        rows.append((name, "-" if value is None else f"{value}{unit}", f"{op} {goal}{unit}", verdict))
    print("goals:")
    for name, value, goal, verdict in rows:
        print(f"  {name:38} {value:>12}  goal {goal:<12} {verdict}")
    met = len(rows) - missed
    print(f"goals: {met} met, {missed} missed")
    entry = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": git_commit(),
        "host": os.uname().nodename,
        "cpus": os.cpu_count(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "met": met,
        "missed": missed,
        "figures": figures,
    }
    with open(sys.argv[2], "a") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")
    print(f"bench history: {sys.argv[2]} ({sum(1 for _ in open(sys.argv[2]))} runs)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

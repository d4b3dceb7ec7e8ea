#!/usr/bin/env python3
"""Appends one run to its history under build/history/ (HISTORY_DIR), bounded: the runs call it
at their end (fuzz/run.sh, stress/run.sh, bugs/bug.sh, bench/bench.mk). report/README.md says how.

usage: collect.py libfuzzer|afl TARGET FZ SECONDS JOBS MARKER
       collect.py afl-mark TARGET FZ
       collect.py stress RUN_DIR
       collect.py bug-fuzz BUG TARGET found|missed SECONDS EXECS CORPUS   (EXECS: ? if unknown)
       collect.py bug-stress BUG SCENARIO SAN LOG_ROOT caught|missed
       collect.py bug-check BUG INPUT BUG_FAILED REAL_PASSED RUNS
       collect.py trim FILE KEEP"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import collect_fuzz  # noqa: E402
import collect_runs  # noqa: E402
import store  # noqa: E402

# The bounds: the last FUZZ_KEEP campaigns of each driver, engine and harness, the last
# STRESS_KEEP stress runs of each driver, the last BUGS_KEEP records of each kind (fuzz, stress,
# check) and injected bug.
FUZZ_KEEP = 30
STRESS_KEEP = 60
BUGS_KEEP = 20

KINDS = "libfuzzer afl afl-mark stress bug-fuzz bug-stress bug-check trim"


class Usage(Exception):
    """Bad arguments: the usage and status 2."""


def whole(value, name, low=0):
    try:
        number = int(value)
    except ValueError:
        raise Usage(f"{name} '{value}' is not a whole number") from None
    if number < low:
        raise Usage(f"{name} {number} is below {low}")
    return number


def seconds(value, name):
    try:
        number = float(value)
    except ValueError:
        raise Usage(f"{name} '{value}' is not a number of seconds") from None
    if number < 0:
        raise Usage(f"{name} {value} is negative")
    return number


def choice(value, name, choices):
    if value not in choices:
        raise Usage(f"{name} '{value}': use one of {' '.join(choices)}")
    return value


def driver():
    """Which driver the run tested: DRIVER from the environment, else ours."""
    return os.environ.get("DRIVER") or "ours"


def record_fuzz(kind, args):
    if len(args) != 5:
        raise Usage(f"{kind} takes TARGET FZ SECONDS JOBS MARKER")
    target, fz, budget, jobs, marker = args
    budget, jobs = whole(budget, "SECONDS", 1), whole(jobs, "JOBS", 1)
    make = collect_fuzz.libfuzzer if kind == "libfuzzer" else collect_fuzz.afl
    record = dict(store.stamp(), driver=driver(), **make(target, fz, budget, jobs, marker))
    path = os.path.join(store.history_dir(), "fuzz.jsonl")
    return path, store.append(path, record, FUZZ_KEEP, ("driver", "engine", "target"))


def record_bug(kind, args):
    if kind == "bug-fuzz":
        if len(args) != 6:
            raise Usage("bug-fuzz takes BUG TARGET found|missed SECONDS EXECS CORPUS")
        bug, target, verdict, secs, execs, corpus = args
        record = {"kind": "fuzz", "bug": bug, "target": target,
                  "found": choice(verdict, "verdict", ("found", "missed")) == "found",
                  "seconds": seconds(secs, "SECONDS"),
                  "execs": None if execs in ("?", "") else whole(execs, "EXECS"),
                  "corpus": corpus}
    elif kind == "bug-stress":
        if len(args) != 5:
            raise Usage("bug-stress takes BUG SCENARIO SAN LOG_ROOT caught|missed")
        bug, scenario, san, logroot, verdict = args
        choice(verdict, "verdict", ("caught", "missed"))
        record = collect_runs.bug_stress(bug, scenario, san, logroot, verdict)
    else:
        if len(args) != 5:
            raise Usage("bug-check takes BUG INPUT BUG_FAILED REAL_PASSED RUNS")
        bug, name, failed, passed, runs = args
        record = {"kind": "check", "bug": bug, "input": name,
                  "bug_failed": whole(failed, "BUG_FAILED"),
                  "real_passed": whole(passed, "REAL_PASSED"), "runs": whole(runs, "RUNS", 1)}
    path = os.path.join(store.history_dir(), "bugs.jsonl")
    return path, store.append(path, dict(store.stamp(), **record), BUGS_KEEP, ("kind", "bug"))


def main(argv):
    if not argv:
        raise Usage(f"which history? use one of {KINDS}")
    kind, args = argv[0], argv[1:]
    if kind in ("libfuzzer", "afl"):
        return record_fuzz(kind, args)
    if kind == "afl-mark":
        if len(args) != 2:
            raise Usage("afl-mark takes TARGET FZ")
        collect_fuzz.afl_mark(*args)
        return None, 0
    if kind == "stress":
        if len(args) != 1:
            raise Usage("stress takes RUN_DIR")
        run_dir = args[0].rstrip("/")
        summary = collect_runs.read_summary(os.path.join(run_dir, "summary.json"))
        record = dict(store.stamp(), driver=driver(),
                      **collect_runs.stress_record(summary, run_dir))
        path = os.path.join(store.history_dir(), "stress.jsonl")
        return path, store.append(path, record, STRESS_KEEP, ("driver",))
    if kind in ("bug-fuzz", "bug-stress", "bug-check"):
        return record_bug(kind, args)
    if kind == "trim":
        if len(args) != 2:
            raise Usage("trim takes FILE KEEP")
        return args[0], store.trim(args[0], whole(args[1], "KEEP", 1))
    raise Usage(f"unknown history '{kind}': use one of {KINDS}")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Usage as e:
        print(f"collect: {e}", file=sys.stderr)
        sys.exit(2)
    except (OSError, ValueError, KeyError, store.InputError) as e:
        # a run's history is a by-product: the run itself goes on, and says what was not recorded
        print(f"collect: {' '.join(sys.argv[1:3])} not recorded: {e}", file=sys.stderr)
        sys.exit(1)

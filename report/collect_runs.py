"""Stress runs and injected-bug hunts as history records: a stress run's summary.json
(stress/run.sh) per scenario, and an injected bug's time to be caught by a fuzzer or a stress
scenario.

The report reads the same records, and makes one from any stress-logs/<run>/summary.json that
predates the history."""

import glob
import json
import os

# a record keeps this many of a run's failures (each with its reproduce lines), and cuts messages
FAILURES_KEPT = 5
MESSAGE_CHARS = 240


def read_summary(path):
    """A stress run's summary.json, or ValueError saying why it cannot be read."""
    try:
        with open(path, encoding="utf-8") as f:
            summary = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a stress summary: {e}") from e
    if not isinstance(summary, dict) or not isinstance(summary.get("run"), dict):
        raise ValueError(f"{path}: not a stress summary: no \"run\" object")
    return summary


def slot_ops(slot):
    """All operations of a slot (its JSON counts them per kind)."""
    ops = slot.get("ops", {})
    if not isinstance(ops, dict):
        return 0
    return sum(v for v in ops.values() if isinstance(v, (int, float)))


def stress_record(summary, run_dir, root="."):
    """One stress run: per scenario its slots, seconds, operations, packets, interrupts, deletes,
    failures and sanitizer reports; the run's failures with their reproduce lines. run_dir is
    relative to root, the tree the run ran in."""
    run = summary["run"]
    scenarios = {}
    for slot in summary.get("slots", []):
        if not isinstance(slot, dict):
            continue
        s = scenarios.setdefault(str(slot.get("scenario", "?")), {
            "slots": 0, "seconds": 0.0, "ops": 0, "packets": 0, "interrupts": 0, "deletes": 0,
            "failures": 0, "sanitizer": 0})
        s["slots"] += 1
        s["seconds"] = round(s["seconds"] + float(slot.get("seconds", 0) or 0), 1)
        s["ops"] += slot_ops(slot)
        for key in ("packets", "interrupts", "deletes"):
            s[key] += int(slot.get(key, 0) or 0)
        status = slot.get("status", "crash")
        s["failures"] += status != "pass"
        s["sanitizer"] += status == "sanitizer"
    failures = []
    for fail in summary.get("failures", [])[:FAILURES_KEPT]:
        entry = {k: fail.get(k) for k in ("slot", "scenario", "seed", "status", "reproduce")}
        entry["first"] = str(fail.get("first", ""))[:MESSAGE_CHARS]
        ops = os.path.join(run_dir, "fail-%04d-%s-%s.ops.txt" % (
            int(fail.get("slot", 0) or 0), fail.get("scenario"), fail.get("seed")))
        if os.path.exists(os.path.join(root, ops)):
            entry["ops_replay"] = f"make repro TARGET=ops FILE={ops}"
        failures.append(entry)
    return {
        "dir": run_dir,
        "seed": run.get("seed"),
        "san": run.get("san"),
        "budget_s": run.get("duration_s"),
        "used_s": run.get("used_s"),
        "slots": run.get("slots"),
        "failure_count": run.get("failures"),
        "started": run.get("started"),
        "finished": run.get("finished"),
        "scenarios": scenarios,
        "failures": failures,
    }


def time_to_catch(summary):
    """Seconds of a stress-bug run until its first failing slot ended: the slots before it and
    that slot itself (the first failure ends a slot). None when nothing failed."""
    fails = summary.get("failures", [])
    if not fails:
        return None, ""
    first = fails[0]
    spent = 0.0
    for index, slot in enumerate(summary.get("slots", [])):
        spent += float(slot.get("seconds", 0) or 0)
        if index >= int(first.get("slot", 0) or 0):
            break
    return round(spent, 1), str(first.get("first", ""))[:MESSAGE_CHARS]


def bug_stress(bug, scenario, san, logroot, verdict):
    """A make stress-bug run: the newest finished run under logroot (stress-logs/bug-<bug>)."""
    runs = sorted(glob.glob(os.path.join(logroot, "*", "summary.json")))
    record = {"kind": "stress", "bug": bug, "scenario": scenario, "san": san,
              "caught": verdict == "caught", "seconds": None, "first": ""}
    if runs:
        summary = read_summary(runs[-1])
        record["dir"] = os.path.dirname(runs[-1])
        record["seconds"], record["first"] = time_to_catch(summary)
        if not record["caught"]:
            record["seconds"] = summary["run"].get("used_s")
    return record

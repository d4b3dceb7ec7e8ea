"""The report's histories: one JSON object per line, appended by the runs that make the data and
kept bounded (the last runs of each kind), read back strictly (a bad line is file:line and why).

Every record carries a stamp: when (UTC), the commit, the machine, its CPUs and its load."""

import fcntl
import json
import os
import subprocess
import time

HISTORY_DIR_DEFAULT = "build/history"


class InputError(Exception):
    """Input the report cannot read: the message names the file (and line) and what is wrong."""


def history_dir():
    """Where the runs append: HISTORY_DIR (the report test's scratch copy), else build/history."""
    return os.environ.get("HISTORY_DIR") or HISTORY_DIR_DEFAULT


def commit_of(root="."):
    """The commit of the tree at root, as git describes it (dirty when edited), or "unknown"."""
    try:
        out = subprocess.run(["git", "-C", root, "describe", "--always", "--dirty"],
                             capture_output=True, text=True, check=True, timeout=20)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def load_average():
    """The 1, 5 and 15 minute load averages as bench/goals.py writes them ("0.91 0.82 1.26")."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def stamp(root="."):
    """When, on what commit and machine a record was taken."""
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": commit_of(root),
        "host": os.uname().nodename,
        "cpus": os.cpu_count(),
        "load": load_average(),
    }


def read(path):
    """The records of a history, oldest first; [] when the file does not exist. A line that is
    not a JSON object is an InputError naming the file and line."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}") from e
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{number}:{e.colno}: not JSON ({e.msg})") from e
        if not isinstance(record, dict):
            raise InputError(f"{path}:{number}: a history line must be a JSON object")
        records.append(record)
    return records


def _key(record, fields):
    return tuple(str(record.get(f, "")) for f in fields)


def bounded(lines, keep, fields):
    """The lines to keep: the last `keep` of each key (the values of `fields`). A line that is not
    a JSON object is kept as it is, so that the report names it rather than this hiding it."""
    counts = {}
    kept = []
    for line in reversed(lines):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            kept.append(line)
            continue
        key = _key(record, fields) if isinstance(record, dict) else ("",)
        counts[key] = counts.get(key, 0) + 1
        if counts[key] <= keep:
            kept.append(line)
    kept.reverse()
    return kept


def append(path, record, keep, fields=()):
    """Appends record to the history at path and keeps the last `keep` records of its kind (the
    same values of `fields`). Returns how many records the file holds."""
    return _rewrite(path, json.dumps(record, sort_keys=True, separators=(",", ":")), keep, fields)


def trim(path, keep):
    """Keeps the last `keep` records of the history at path (for a history another part appends
    to, such as make bench's). Returns how many records the file holds."""
    return _rewrite(path, None, keep, ())


def _rewrite(path, line, keep, fields):
    """The file is rewritten whole through a rename, so a reader or a killed run never sees half
    a line, under a lock on its folder (two runs that end at once both keep their line)."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    lock = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(path, encoding="utf-8") as f:
                lines = [x for x in f.read().splitlines() if x.strip()]
        except FileNotFoundError:
            if line is None:
                return 0
            lines = []
        if line is not None:
            lines.append(line)
        lines = bounded(lines, keep, fields)
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("".join(x + "\n" for x in lines))
        os.replace(tmp, path)
    finally:
        os.close(lock)  # and with it the lock
    return len(lines)

"""The findings table's "reproducible N/20": each smallest reproducer replayed RUNS times with the
replayer make fuzz built (report/repro_count.sh); results are cached in the report folder (only for
the reproducers in the table) for as long as the reproducer and the replayer stay the same."""

import json
import os
import subprocess

RUNS = 20
HERE = os.path.dirname(os.path.abspath(__file__))


def _load(path):
    try:
        with open(path, encoding="utf-8") as f:
            cache = json.load(f)
        return cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):
        return {}


class Replays:
    """The cache of one report's replays: load, annotate the tables, save what they used."""

    def __init__(self, root, out_dir):
        self.root, self.path = root, os.path.join(out_dir, "repro-cache.json")
        self.cache, self.used = _load(self.path), {}

    def annotate(self, rows, replayers="build/fuzz/det/rp"):
        """Sets each row's "reproducible" to (same, RUNS), or None with a "repro_note" saying
        why it was not replayed. replayers is None for an index whose replayer is not known."""
        for row in rows:
            row["reproducible"] = None
            note = self._replay(row, replayers)
            if note:
                row["repro_note"] = note

    def _replay(self, row, replayers):
        file = os.path.join(self.root, row["smallest"])
        rp = os.path.join(self.root, replayers, row["target"]) if replayers else None
        if not os.path.isfile(file):
            return "the reproducer is not on this machine"
        if rp is None:
            return "not replayed: the report knows no replayer for this driver"
        if not os.access(rp, os.X_OK):
            return f"not replayed: {replayers}/{row['target']} is not built (make fuzz-build)"
        f, r = os.stat(file), os.stat(rp)
        key = "|".join(str(x) for x in (row["signature"], row["smallest"], f.st_size,
                                         f.st_mtime_ns, r.st_mtime_ns, RUNS))
        if key not in self.cache:
            out = subprocess.run([os.path.join(HERE, "repro_count.sh"), rp, row["smallest"],
                                  row["signature"], str(RUNS)], cwd=self.root,
                                 capture_output=True, text=True, check=False)
            if out.returncode != 0 or not out.stdout.strip().isdigit():
                return f"replay failed: {out.stderr.strip()[:200]}"
            self.cache[key] = int(out.stdout.strip())
        self.used[key] = self.cache[key]
        row["reproducible"] = (self.cache[key], RUNS)
        return None

    def save(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path, "w", encoding="utf-8") as f:
            json.dump(self.used, f, indent=0, sort_keys=True)

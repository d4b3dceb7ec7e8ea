#!/usr/bin/env python3
"""make report-test's checks without a browser: what report/collect.py recorded from the
fixture's raw outputs (every figure against the logs), the histories' bounds, and bad input to
collect.py and build.py stopping with one line and status 2. usage: selftest.py ROOT
(ROOT: report/test.sh's copy of the fixture, its runs already recorded)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import collect  # noqa: E402
import collect_fuzz  # noqa: E402
import store  # noqa: E402

ROOT = None


def history(name):
    return store.read(os.path.join(ROOT, "build/history", name))


def run(*args, cwd=None):
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd,
                         check=False)
    return out.returncode, out.stdout, out.stderr


class Recorded(unittest.TestCase):
    """The records test.sh appended, against the fixture's logs."""

    def campaign(self, engine, target, jobs):
        found = [r for r in history("fuzz.jsonl") if r["engine"] == engine and
                 r["target"] == target and r["jobs"] == jobs and r["commit"] != "1a2b3c4"
                 and r["commit"] != "5d6e7f8"]
        self.assertEqual(len(found), 1, f"one {engine} {target} campaign of {jobs} job(s)")
        return found[0]

    def test_libfuzzer_one_job(self):
        r = self.campaign("libfuzzer", "ops", 1)
        # stat::number_of_executed_units and average_exec_per_sec of ops.log.0; the DONE line
        self.assertEqual((r["execs"], r["exec_per_sec"], r["cov"], r["ft"], r["corpus"]),
                         (445698, 21223, 482, 2722, 743))
        self.assertEqual(r["findings"], 0)

    def test_libfuzzer_jobs_summed(self):
        r = self.campaign("libfuzzer", "ioctl", 2)
        self.assertEqual((r["execs"], r["exec_per_sec"], r["cov"], r["ft"]),
                         (850722 + 680577, 40510 + 32408, 468, 3083))
        s = r["samples"]
        self.assertLessEqual(len(s["t"]), collect_fuzz.SAMPLES)
        self.assertEqual(s["t"], sorted(s["t"]))
        self.assertEqual(s["execs"][-1], 850722 + 680577)  # the DONE lines of both jobs
        self.assertEqual(s["exec_per_sec"][-1], 40510 + 32408)

    def test_afl_instances_summed_this_run_only(self):
        r = self.campaign("afl", "ioctl", 2)
        # main resumed at 214490 executions (its mark): only this run's count; s1 is new
        self.assertEqual((r["execs"], r["exec_per_sec"], r["edges"], r["corpus"], r["instances"]),
                         (600000 - 214490 + 250000, 19500, 560, 880, 2))
        self.assertEqual(r["samples"]["t"], [0.0, 15.0, 30.0, 45.0])
        self.assertEqual(r["samples"]["execs"], [0, 400000 - 214490 + 109177,
                                                 500000 - 214490 + 190000, 635510])

    def test_stress_run(self):
        runs = history("stress.jsonl")
        self.assertEqual([r["dir"] for r in runs],
                         ["stress-logs/20261130-010203", "stress-logs/20261202-010203"])
        with open(os.path.join(ROOT, "stress-logs/20261202-010203/summary.json")) as f:
            summary = json.load(f)
        r = runs[1]
        self.assertEqual(sum(s["slots"] for s in r["scenarios"].values()), len(summary["slots"]))
        self.assertEqual(sum(s["ops"] for s in r["scenarios"].values()),
                         sum(sum(x["ops"].values()) for x in summary["slots"]))
        self.assertEqual(r["failures"], [])

    def test_bugs(self):
        records = {(r["kind"], r["bug"]): r for r in history("bugs.jsonl")}
        caught = records[("stress", "lost-wakeup-delete")]
        # two slots: the first (10 s) and the failing one (2.2 s)
        self.assertEqual((caught["caught"], caught["seconds"]), (True, 12.2))
        self.assertIn("still in calls", caught["first"])
        self.assertEqual(records[("fuzz", "lost-wakeup-delete")]["seconds"], 0.4)
        self.assertFalse(records[("fuzz", "unlocked-dequeue")]["found"])
        self.assertEqual(records[("check", "lost-wakeup-delete")]["bug_failed"], 20)


class Bounds(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "h.jsonl")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_last_of_each_kind(self):
        for i in range(collect.FUZZ_KEEP + 5):
            store.append(self.path, {"target": "ops", "n": i}, collect.FUZZ_KEEP, ("target",))
        store.append(self.path, {"target": "ioctl", "n": 0}, collect.FUZZ_KEEP, ("target",))
        records = store.read(self.path)
        ops = [r["n"] for r in records if r["target"] == "ops"]
        self.assertEqual(ops, list(range(5, collect.FUZZ_KEEP + 5)))
        self.assertEqual(len(records), collect.FUZZ_KEEP + 1)

    def test_runs_ending_at_once_keep_every_line(self):
        code = (f"import sys; sys.path.insert(0, {HERE!r}); import store; "
                f"[store.append({self.path!r}, {{'n': i}}, 1000) for i in range(20)]")
        procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(6)]
        self.assertEqual([p.wait() for p in procs], [0] * 6)
        self.assertEqual(len(store.read(self.path)), 120)
        self.assertEqual(os.listdir(self.dir), ["h.jsonl"])  # no temporary file left

    def test_trim(self):
        for i in range(7):
            store.append(self.path, {"n": i}, 100)
        code, _, err = run(os.path.join(HERE, "collect.py"), "trim", self.path, "3")
        self.assertEqual((code, err), (0, ""))
        self.assertEqual([r["n"] for r in store.read(self.path)], [4, 5, 6])


class BadInput(unittest.TestCase):
    """One line naming what is wrong, status 2, nothing written."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def one_line(self, args, status, text):
        code, out, err = run(*args)
        self.assertEqual(code, status, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn(text, err)
        return out

    def test_build_arguments(self):
        build = os.path.join(HERE, "build.py")
        self.one_line([build, "--frobnicate"], 2, "unknown argument '--frobnicate'")
        self.one_line([build, "--root", os.path.join(self.dir, "none")], 2, "not a folder")
        self.one_line([build, "--out"], 2, "--out needs a folder")

    def bad_file(self, rel, text, expect):
        root = os.path.join(self.dir, "root")
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "w") as f:
            f.write(text)
        out_dir = os.path.join(self.dir, "out")
        self.one_line([os.path.join(HERE, "build.py"), "--root", root, "--out", out_dir], 2,
                      expect)
        self.assertFalse(os.path.exists(os.path.join(out_dir, "index.html")))
        shutil.rmtree(root)

    def test_build_inputs(self):
        self.bad_file("build/history/fuzz.jsonl", '{"engine": "afl"}\n{"engine": \n',
                      "build/history/fuzz.jsonl:2:12: not JSON (Expecting value)")
        self.bad_file("build/bench/history.jsonl", "[1, 2]\n",
                      "history.jsonl:1: a history line must be a JSON object")
        self.bad_file("findings/INDEX", "ops check: x\t1\tfirst\n",
                      "findings/INDEX:1: not an index")
        self.bad_file("stress-logs/20261201-000000/summary.json", "{\"run\": ",
                      "summary.json: not a stress summary")

    def test_collect_arguments(self):
        collect_py = os.path.join(HERE, "collect.py")
        self.one_line([collect_py, "nightly"], 2, "unknown history 'nightly'")
        self.one_line([collect_py, "libfuzzer", "ops", "build/fuzz/det", "1x", "1", "m"], 2,
                      "SECONDS '1x' is not a whole number")
        self.one_line([collect_py, "bug-fuzz", "b", "ops", "maybe", "1", "1", "seeds"], 2,
                      "verdict 'maybe': use one of found missed")
        # a run's history is a by-product: a log that is not there is status 1, one line
        env_dir = os.path.join(self.dir, "h")
        os.environ["HISTORY_DIR"] = env_dir
        try:
            self.one_line([collect_py, "libfuzzer", "ops", self.dir, "5", "1", "m"], 1,
                          "not recorded")
        finally:
            del os.environ["HISTORY_DIR"]
        self.assertFalse(os.path.exists(env_dir))


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        print("selftest: usage: selftest.py ROOT (a recorded copy of report/fixture)",
              file=sys.stderr)
        sys.exit(2)
    ROOT = sys.argv.pop(1)
    result = unittest.main(verbosity=1, exit=False).result
    print(f"selftest: {result.testsRun - len(result.failures) - len(result.errors)} passed, "
          f"{len(result.failures) + len(result.errors)} failed")
    sys.exit(0 if result.wasSuccessful() else 1)

#!/usr/bin/env python3
# make mutate's report: the score per file and per kind, every survivor with its diff, and the
# open mutation-testing report schema (Stryker's and Mull's JSON) in build/mutate/mutation.json.
"""usage: report.py OUT-DIR TOP [RESULTS-DIR...]

OUT-DIR holds selected.tsv and results/<id>.{result,diff}; RESULTS-DIRs given instead are read in
order, a later one's verdict replacing an earlier one's (a whole run, then its survivors run again
after new tests: the score after)."""
import collections
import json
import os
import sys


def unescape(s):
	return s.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")


def equivalents(top):
	"""tools/mutate/equivalent.tsv: id -> why (the mutants shown equivalent, one line each)"""
	known = {}
	for raw in open(os.path.join(top, "tools/mutate/equivalent.tsv"), encoding="utf-8"):
		if raw.strip() and not raw.startswith("#"):
			f = raw.rstrip("\n").split("\t")
			known[f[0]] = f"{f[1]} {f[2]}: {f[3]}"
	return known


def find(dirs, name):
	"""the last of the results dirs that holds `name`, or None"""
	for d in reversed(dirs):
		if os.path.exists(os.path.join(d, name)):
			return os.path.join(d, name)
	return None


def main(out, top, dirs):
	known = equivalents(top)
	refuted = []
	rows = []
	for raw in open(os.path.join(out, "selected.tsv"), encoding="utf-8"):
		f = raw.rstrip("\n").split("\t")
		res = find(dirs, f[0] + ".result")
		if res is None:
			continue  # not run (an interrupted run)
		_, verdict, secs = open(res, encoding="utf-8").read().strip().split("\t")
		status, _, by = verdict.partition(" ")
		if f[0] in known and status == "Survived":
			status, by = "Ignored", "equivalent: " + known[f[0]]
		elif f[0] in known and status in ("Killed", "Timeout"):
			refuted.append(f"{f[0]} {f[1]}:{f[2]} listed equivalent but {verdict}")
		rows.append(dict(id=f[0], file=f[1], line=int(f[2]), col=int(f[3]), eline=int(f[4]),
			ecol=int(f[5]), kind=f[6], orig=unescape(f[7]), repl=unescape(f[8]), status=status,
			by=by, secs=float(secs)))
	if not rows:
		sys.exit("mutate: no results")

	def score(group):
		c = collections.Counter(r["status"] for r in group)
		valid = c["Killed"] + c["Survived"] + c["Timeout"]
		pct = 100.0 * (c["Killed"] + c["Timeout"]) / valid if valid else 0.0
		return (f"{len(group):4d} mutants  killed {c['Killed']:4d}  survived {c['Survived']:3d}  "
			f"timeout {c['Timeout']:2d}  equivalent {c['Ignored']:2d}  "
			f"compile-error {c['CompileError']:3d}  score " + (f"{pct:5.1f}%" if valid else "  n/a"))

	lines = []
	for key, title in (("file", "file"), ("kind", "kind")):
		lines.append(f"-- per {title}")
		for k in sorted({r[key] for r in rows}):
			lines.append(f"{k:26s} {score([r for r in rows if r[key] == k])}")
	lines.append(f"{'all':26s} {score(rows)}")
	lines.append("-- killed by stage")
	for k, n in collections.Counter(r["by"].split(":")[0] for r in rows
			if r["status"] == "Killed").most_common():
		lines.append(f"{k:26s} {n}")
	secs = [r["secs"] for r in rows]
	lines.append(f"-- time per mutant: mean {sum(secs) / len(secs):.1f} s, max {max(secs):.1f} s")
	ignored = [r for r in rows if r["status"] == "Ignored"]
	lines.append(f"-- {len(ignored)} equivalent (tools/mutate/equivalent.tsv, not in the score)")
	lines += [f"{r['id']} {r['by'][len('equivalent: '):]}" for r in ignored]
	lines += [f"REFUTED: {line}" for line in refuted]
	survivors = [r for r in rows if r["status"] == "Survived"]
	lines.append(f"-- {len(survivors)} survivor(s), each with its diff")
	for r in survivors:
		lines.append(f"## {r['id']} {r['file']}:{r['line']}:{r['col']} {r['kind']}")
		diff = find(dirs, r["id"] + ".diff")
		lines.append(open(diff, encoding="utf-8").read().rstrip("\n"))
	text = "\n".join(lines) + "\n"
	open(os.path.join(out, "summary.txt"), "w", encoding="utf-8").write(text)
	sys.stdout.write(text)

	files = {}
	for r in rows:
		entry = files.setdefault(r["file"], {"language": "c", "source": open(
			os.path.join(top, r["file"]), encoding="utf-8").read(), "mutants": []})
		m = {"id": r["id"], "mutatorName": r["kind"], "replacement": r["repl"],
			"location": {"start": {"line": r["line"], "column": r["col"]},
				"end": {"line": r["eline"], "column": r["ecol"]}},
			"status": r["status"], "duration": round(r["secs"] * 1000)}
		if r["by"]:
			m["killedBy" if r["status"] == "Killed" else "statusReason"] = (
				[r["by"]] if r["status"] == "Killed" else r["by"])
		entry["mutants"].append(m)
	report = {"schemaVersion": "1", "thresholds": {"high": 90, "low": 70}, "files": files,
		"projectRoot": top}
	with open(os.path.join(out, "mutation.json"), "w", encoding="utf-8") as fh:
		json.dump(report, fh, indent=1)
	print(f"mutate: {os.path.join(out, 'summary.txt')}, {os.path.join(out, 'mutation.json')}")
	if refuted:
		sys.exit("mutate: a mutant listed equivalent was killed: fix tools/mutate/equivalent.tsv")


if __name__ == "__main__":
	if len(sys.argv) < 3:
		sys.exit(__doc__)
	main(sys.argv[1], sys.argv[2], sys.argv[3:] or [os.path.join(sys.argv[1], "results")])

#!/usr/bin/env python3
# make mutate-cost's table: the same mutants run side by side, slot 0 relinking the 25 cmocka
# binaries statically (make mutate before), slot 1 through libshim.so: time and verdict of each.
"""usage: cost.py STATIC-DIR SHARED-DIR   (each holds <id>.result: id, verdict, seconds)"""
import os
import statistics
import sys


def load(d):
	out = {}
	for name in os.listdir(d):
		if name.endswith(".result"):
			mid, verdict, secs = open(os.path.join(d, name), encoding="utf-8").read().strip().split(
				"\t")
			out[mid] = (verdict, float(secs))
	return out


def main(static_dir, shared_dir):
	st, sh = load(static_dir), load(shared_dir)
	ids = sorted(set(st) & set(sh))
	if not ids:
		sys.exit("mutate-cost: no mutant run by both slots")
	differ = 0
	print(f"{'mutant':10s} {'static s':>9s} {'shared s':>9s}  verdict (static / shared)")
	for i in ids:
		same = st[i][0].split(" ")[0] == sh[i][0].split(" ")[0]
		differ += not same
		print(f"{i:10s} {st[i][1]:9.1f} {sh[i][1]:9.1f}  {st[i][0]}"
			+ ("" if same else f"  DIFFERS: {sh[i][0]}"))
	for label, pick in (("all", ids), ("survived", [i for i in ids if st[i][0] == "Survived"]),
			("killed by cmocka", [i for i in ids if st[i][0].startswith("Killed cmocka")])):
		if pick:
			a = statistics.mean(st[i][1] for i in pick)
			b = statistics.mean(sh[i][1] for i in pick)
			print(f"-- {label}: {len(pick)} mutant(s), mean {a:.1f} s static, {b:.1f} s shared"
				f" ({b / a:.2f})")
	print(f"-- verdicts: {len(ids) - differ} of {len(ids)} the same")
	sys.exit(1 if differ else 0)


if __name__ == "__main__":
	if len(sys.argv) != 3:
		sys.exit(__doc__)
	main(sys.argv[1], sys.argv[2])

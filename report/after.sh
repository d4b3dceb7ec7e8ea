#!/usr/bin/env bash
# The last step of make fuzz, stress, bench, e2e, fuzz-bug and stress-bug: the report made again
# from the histories (a second or two) and its path printed. It never changes the run's status:
# when the page cannot be made, a line says so and make report says why.
cd "$(dirname "$0")/.." || exit 0
if ! bash tools/deps.sh report >/dev/null 2>&1; then
	echo "report: not updated: gnuplot is missing (make report installs it as root, or says how)"
	exit 0
fi
python3 report/build.py --quiet 2>&1 || echo "report: not updated; make report says why"
exit 0

#!/usr/bin/env bash
# make report-test: the report made from report/fixture/ and checked in headless Chromium, then
# make report's own page when there is one. Deterministic and quick: no run, only the fixture.
#
#  1. the fixture copied to build/report-test/root, one run of each kind recorded there with
#     report/collect.py, as fuzz/run.sh, stress/run.sh and bugs/bug.sh record theirs
#  2. report/selftest.py: the recorded figures against the logs, the bounds, bad input
#  3. the report of that root (build/report/fixture/) and of an empty root (build/report/empty/),
#     each loaded from disk by Chromium (report/check.py), with a screenshot beside it
#  4. check.py itself fails on a page with a missing plot and a resource from outside
#  5. build/report/index.html (make report's) when it exists, screenshot build/report/screenshot.png
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
work=build/report-test
root=$work/root
failed=0
step() {
	local name=$1
	shift
	if "$@"; then
		echo "report-test: $name: ok"
	else
		echo "report-test: $name: FAILED"
		failed=$((failed + 1))
	fi
}

rm -rf "$work" build/report/fixture build/report/empty
mkdir -p "$work" build/report
cp -a report/fixture "$root"
# every fixture file from the past, the campaigns' start markers now: no finding is "new"
find "$root" -exec touch -h -d 2026-01-01T00:00:00Z {} +
touch "$root"/build/fuzz/det/logs/*.start

record() {
	(
		cd "$root" || exit 1
		export HISTORY_DIR=build/history
		c=$top/report/collect.py
		python3 "$c" libfuzzer ops build/fuzz/det 20 1 build/fuzz/det/logs/ops.start &&
			python3 "$c" libfuzzer ioctl build/fuzz/det 20 2 build/fuzz/det/logs/ioctl.start &&
			python3 "$c" afl ioctl build/fuzz/det 45 2 build/fuzz/det/logs/ioctl.start &&
			python3 "$c" stress stress-logs/20261202-010203 &&
			python3 "$c" bug-fuzz lost-wakeup-delete ops found 0.4 105 corpora &&
			python3 "$c" bug-fuzz unlocked-dequeue ops missed 600 900000 seeds &&
			python3 "$c" bug-stress lost-wakeup-delete delete-storm address \
				stress-logs/bug-lost-wakeup-delete caught &&
			python3 "$c" bug-check lost-wakeup-delete lost-wakeup-delete/ops/x.txt 20 20 20
	)
}
step "the fixture's runs recorded (report/collect.py)" record
step "recorded figures, bounds, bad input (report/selftest.py)" python3 report/selftest.py "$root"

report() {
	python3 report/build.py --root "$1" --out "$2" >"$2.log" 2>&1 || { cat "$2.log"; false; }
}
step "the fixture's report built" report "$root" build/report/fixture
mkdir -p "$work/empty"
step "an empty tree's report built" report "$work/empty" build/report/empty

expect=$work/fixture-expect.json
cat >"$expect" <<'EOF'
{"plots": 20,
 "text": {"data": ["build/history/fuzz.jsonl", "nightly"],
  "fuzzing": ["ops", "ioctl", "AFL++", "1,531,299", "635,510"],
  "findings": ["still blocked after the delete", "20/20", "not built (make fuzz-build)",
               "Upstream findings", "knows no replayer"],
  "stress": ["delete-storm", "make stress SCENARIO=mixed SEED=16838", "make repro TARGET=ops",
             "stress-logs/20261203-010203"],
  "bench": ["MISSED", "MET", "9a8b7c6"],
  "coverage": ["net_device_hooks.c", "tuntap_set_media", "96.1%"],
  "bugs": ["lost-wakeup-delete", "found by ops in 0.4 s", "not found", "(address) in 12.2 s",
           "bug build failed 20/20"],
  "e2e": ["6 passed, 1 failed", "no summary.txt"]}}
EOF
echo '{"plots": 0,
 "nodata": ["fuzzing", "findings", "stress", "bench", "coverage", "bugs", "e2e"]}' \
	>"$work/empty-expect.json"
step "the fixture's report in Chromium" python3 report/check.py build/report/fixture/index.html \
	build/report/fixture/screenshot.png --expect "$expect"
step "the empty tree's report in Chromium" python3 report/check.py build/report/empty/index.html \
	build/report/empty/screenshot.png --expect "$work/empty-expect.json"

# the check must be able to fail: a plot gone and an image from the network
broken() {
	local dir=$work/broken out
	rm -rf "$dir"
	cp -a build/report/fixture "$dir"
	rm "$dir"/plots/bench-00.svg
	sed -i 's#</main>#<img src="http://192.0.2.1/x.svg" alt="outside"></main>#' "$dir/index.html"
	out=$(python3 report/check.py "$dir/index.html" "$dir/screenshot.png" 2>&1)
	[ $? = 1 ] && [[ $out == *"bench-00.svg did not load"* ]] &&
		[[ $out == *"a request outside the report folder: http://192.0.2.1/x.svg"* ]] ||
		{ echo "$out"; false; }
}
step "a broken report fails the check" broken

if [ -f build/report/index.html ]; then
	step "make report's page in Chromium" python3 report/check.py build/report/index.html \
		build/report/screenshot.png
else
	echo "report-test: no build/report/index.html: make report makes it (then this checks it too)"
fi
echo "report-test: screenshots: build/report/fixture/screenshot.png," \
	"build/report/empty/screenshot.png$([ -f build/report/index.html ] &&
		echo ", build/report/screenshot.png")"
[ $failed -eq 0 ] && echo "report-test: passed" || echo "report-test: $failed step(s) failed"
[ $failed -eq 0 ]

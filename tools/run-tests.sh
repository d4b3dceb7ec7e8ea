#!/usr/bin/env bash
# Runs each cmocka test binary of one sanitizer build, prints cmocka's own summary lines, and
# ends with one total line; exits non-zero if any binary fails. Usage: run-tests.sh SAN BIN...
set -u
san=$1; shift
# a binary still running after TEST_TIMEOUT seconds is hung: SIGQUIT makes the shim print what
# every thread waits on and who holds it (host_on_quit), then the run goes on with the next one
# shellcheck source=tools/knobs.sh
source "$(dirname "$0")/knobs.sh"
knob_to_seconds TEST_TIMEOUT 60
limit=$TEST_TIMEOUT
passed=0; failed=0; bad=()
for bin in "$@"; do
	name=$(basename "$bin")
	out=$(timeout -s QUIT -k 10 "$limit" "$bin" 2>&1); rc=$?
	if [ $rc -eq 124 ] || [ $rc -eq 131 ] || [ $rc -eq 137 ]; then
		out+=$'\n'"[$san] $name: HUNG: stopped after $limit s (TEST_TIMEOUT); the stall dump is above"
	fi
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
	passed=$((passed + p)); failed=$((failed + f))
	if [ $rc -ne 0 ]; then
		bad+=("$name(rc=$rc)")
		printf '%s\n' "$out" | tail -n 60
		[ "$f" -eq 0 ] && failed=$((failed + 1))
	fi
	printf '[%s] %-28s %3d passed, %d failed\n' "$san" "$name" "$p" "$f"
done
echo "$san: $passed passed, $failed failed"
[ ${#bad[@]} -eq 0 ] || { echo "$san: failing binaries: ${bad[*]}"; exit 1; }

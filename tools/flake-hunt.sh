#!/usr/bin/env bash
# Flake hunt: every test binary of the given builds run RUNS times, with HOGS busy loops competing
# for the CPUs, so a test that fails without a bug (timing, ordering) shows up. Prints the failures
# per binary and keeps each failing run's output. Usage: flake-hunt.sh RUNS HOGS BUILD_DIR...
#   e.g. tools/flake-hunt.sh 100 1 build/asan/tests build/tsan/tests build/det/tests
set -uo pipefail
runs=${1:?runs} hogs=${2:?hogs}
shift 2
[[ $runs =~ ^[1-9][0-9]*$ && $hogs =~ ^[0-9]+$ ]] || { echo "usage: $0 RUNS HOGS DIR..." >&2; exit 2; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
out=$(mktemp -d /tmp/flake-hunt.XXXXXX)
pids=()
for ((h = 0; h < hogs; h++)); do
	(while :; do :; done) &
	pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
total_failures=0
start=$SECONDS
for dir in "$@"; do
	for bin in "$dir"/*; do
		[ -x "$bin" ] || continue
		name=$(basename "$(dirname "$dir")")/$(basename "$bin")
		failures=0
		for ((i = 1; i <= runs; i++)); do
			if ! timeout -k 5 120 "$bin" >"$out/run.log" 2>&1; then
				failures=$((failures + 1))
				cp "$out/run.log" "$out/${name//\//-}.fail$i.log"
			fi
		done
		total_failures=$((total_failures + failures))
		printf 'flake-hunt: %-22s %4d runs, %d failed\n' "$name" "$runs" "$failures"
	done
done
echo "flake-hunt: $total_failures failure(s) in $((SECONDS - start)) s with $hogs CPU hog(s);" \
	"failing runs' output in $out"
[ $total_failures -eq 0 ]

#!/usr/bin/env bash
# make bench's last table: libFuzzer exec/s of each built harness (make fuzz-build), a -seed=1 run
# of BENCH_FUZZ_SECONDS from its committed corpus with make fuzz's settings; none built: skipped.
set -euo pipefail
# shellcheck source=fuzz/settings.sh
source fuzz/settings.sh
MAX_LEN= # make fuzz's defaults, whatever the environment says
FUZZ_ASAN_OPTIONS=
fz_sanitizer_env

# usage: bench_fuzz.sh <fuzz build dir, e.g. build/fuzz/det> <json out> <targets...>
dir=$1
json=$2
shift 2
# shellcheck source=tools/knobs.sh
source tools/knobs.sh
knob_to_seconds BENCH_FUZZ_SECONDS 10
seconds=$BENCH_FUZZ_SECONDS

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

entries=()
printed=0
for target in "$@"; do
	binary=$dir/lf/$target
	if [ ! -x "$binary" ]; then
		continue
	fi
	if [ $printed -eq 0 ]; then
		echo "fuzz exec/s: libFuzzer (ASan+UBSan), ${seconds} s per harness from its corpus, -seed=1,"\
			"max_len $(fz_max_len ioctl) (ops $(fz_max_len ops))"
		printf '  %-8s %10s %12s %8s\n' target exec/s executions new
		printed=1
	fi
	mkdir -p "$scratch/$target"
	dict=()
	[ -f "fuzz/targets/$target.dict" ] && dict=(-dict="fuzz/targets/$target.dict")
	log=$scratch/$target.log
	status=0
	maxlen=$(fz_max_len "$target") # as make fuzz runs them
	"$binary" -seed=1 -max_total_time="$seconds" -max_len="$maxlen" -print_final_stats=1 "${dict[@]}" \
		"$scratch/$target" "corpora/$target" >"$log" 2>&1 || status=$?
	if [ $status -ne 0 ]; then
		echo "bench_fuzz: $target exited with $status (a finding?): see make fuzz TARGET=$target" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
	stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
	rate=$(stat average_exec_per_sec)
	runs=$(stat number_of_executed_units)
	added=$(stat new_units_added)
	printf '  %-8s %10s %12s %8s\n' "$target" "$rate" "$runs" "$added"
	entries+=("\"$target\":{\"exec_per_sec\":$rate,\"executions\":$runs,\"seconds\":$seconds}")
done
if [ $printed -eq 0 ]; then
	echo "fuzz exec/s: no libFuzzer build in $dir/lf (make fuzz-build first)"
fi
(
	IFS=,
	echo "{${entries[*]}}"
) >"$json"

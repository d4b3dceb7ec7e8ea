#!/usr/bin/env bash
# Local check of an OSS-Fuzz style $OUT (what build.sh wrote): every target has its seed zip,
# dictionary and options, and runs SECONDS seconds from its seeds with them, as ClusterFuzz would.
# Usage: check.sh OUT [SECONDS]
set -uo pipefail

out=${1:?usage: check.sh OUT [SECONDS]}
seconds=${2:-5}
failed=0
count=0
work=$(mktemp -d "${TMPDIR:-/tmp}/oss-fuzz-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

for options in "$out"/*.options; do
	[ -f "$options" ] || continue
	target=$(basename "$options" .options)
	binary=$out/$target
	count=$((count + 1))
	problems=()
	[ -x "$binary" ] || problems+=("no executable $binary")
	[ -f "$out/${target}_seed_corpus.zip" ] || problems+=("no ${target}_seed_corpus.zip")
	[ -f "$out/$target.dict" ] || problems+=("no $target.dict")
	if [ ${#problems[@]} -gt 0 ]; then
		echo "$target: ${problems[*]}"
		failed=$((failed + 1))
		continue
	fi
	# [libfuzzer] key = value lines become -key=value (a dict is named relative to $OUT)
	flags=()
	section=
	while IFS= read -r line; do
		line=${line%%#*}
		[[ $line =~ ^\[(.*)\]$ ]] && {
			section=${BASH_REMATCH[1]}
			continue
		}
		[[ $line =~ ^[[:space:]]*([a-z_]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])[[:space:]]*$ ]] ||
			continue
		[ "$section" = libfuzzer ] || continue
		key=${BASH_REMATCH[1]}
		value=${BASH_REMATCH[2]}
		[ "$key" = dict ] && value=$out/$value
		flags+=("-$key=$value")
	done <"$options"
	corpus=$work/$target
	mkdir -p "$corpus/seeds" "$corpus/new" "$corpus/artifacts"
	if command -v unzip >/dev/null; then
		unzip -q -o "$out/${target}_seed_corpus.zip" -d "$corpus/seeds"
	else
		python3 -m zipfile -e "$out/${target}_seed_corpus.zip" "$corpus/seeds"
	fi
	log=$work/$target.log
	"$binary" "${flags[@]}" -seed=1 -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$corpus/artifacts/" "$corpus/new" "$corpus/seeds" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	dict=$(grep -c '^Dictionary: [1-9]' "$log")
	seeds=$(find "$corpus/seeds" -type f | wc -l)
	if [ $rc -ne 0 ] || [ -z "$execs" ] || [ "$dict" -eq 0 ]; then
		echo "$target: FAILED (rc=$rc, dictionary loaded: $dict) with ${flags[*]}"
		grep -aE 'CHECK FAILED|ERROR:|SUMMARY|ParseDictionary' "$log" | head -n 5 | sed 's/^/  /'
		tail -n 5 "$log" | sed 's/^/  /'
		failed=$((failed + 1))
	else
		echo "$target: ok: ${seconds}s from $seeds seeds, $execs execs ($rate exec/s), ${flags[*]}"
	fi
done
[ "$count" -gt 0 ] || {
	echo "oss-fuzz check: no *.options in $out"
	exit 1
}
echo "oss-fuzz check: $count target(s), $failed failed"
[ "$failed" -eq 0 ]

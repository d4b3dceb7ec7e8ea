#!/usr/bin/env bash
# make time-to-find: how long libFuzzer takes to find each injected bug from the seeds alone under
# each schedule strategy (SCHED), TTF_TRIALS seeds each capped at FUZZ_TIME; medians as a table.
#
# env: TTF_BUGS (default: every bug but those in SKIP), TTF_SCHEDS (default: tape pct chaos mix),
#      TTF_TRIALS (default 10), FUZZ_TIME (the cap of one trial, default 60)
# out: build/time-to-find/results.tsv (a line per trial: bug, strategy, seed, found, seconds,
#      executions) and table.md (per bug and strategy: found of N, median seconds and executions,
#      a miss counting as the cap), the table bugs/time-to-find.md shows.
# Each bug's tree (bugs/bug.sh prepare) is built once; its trials run one at a time, seed by seed
# with the strategies in turn, the harness's libFuzzer binary started as make fuzz starts it
# (fuzz/run.sh), with only the seeds as corpus. Seconds depend on the machine's load; executions
# to find do not.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tools/knobs.sh
source tools/knobs.sh
# shellcheck source=fuzz/settings.sh
source fuzz/settings.sh
knob_to_seconds FUZZ_TIME 60
TTF_TRIALS=${TTF_TRIALS:-10}
TTF_SCHEDS=${TTF_SCHEDS:-tape pct chaos mix}
for knob in TTF_BUGS TTF_SCHEDS TTF_TRIALS; do
	problem=$(knob_problem "$knob" "${!knob:-}")
	[ -z "$problem" ] || { echo "$knob=${!knob:-}: $problem" >&2; exit 2; }
done
TTF_TRIALS=$((10#$TTF_TRIALS))

# bugs not measured, and why (bugs/README.md has their catchers)
noTape="its harness (ioctl) runs one thread and has no tape: every strategy is the same schedule"
declare -A SKIP=([missing-user-memcpy]=$noTape [uninit-ioctl-argument]=$noTape)

OUT=build/time-to-find
mkdir -p "$OUT"
results=$OUT/results.tsv
[ -f "$results" ] || printf 'bug\tsched\tseed\tfound\tseconds\texecs\n' >"$results"

bugs=${TTF_BUGS:-$(bash bugs/bug.sh list | awk '/^[a-z]/ { print $1 }' | xargs)}
bugs=${bugs//,/ }
scheds=${TTF_SCHEDS//,/ }
fz_sanitizer_env
FZ=build/fuzz/det

# trial BUG TREE HARNESS SCHED SEED: one capped libFuzzer run from the seeds, a line of results
trial() {
	local bug=$1 tree=$2 h=$3 sched=$4 seed=$5 run=$PWD/$OUT/run
	rm -rf "$run"
	mkdir -p "$run/corpus"
	local start=$EPOCHREALTIME rc=0
	(cd "$tree" && FUZZ_SCHED=$sched "$FZ/lf/$h" -seed="$seed" -max_total_time="$FUZZ_TIME" \
		-timeout=10 -rss_limit_mb=4096 -max_len="$(fz_max_len "$h")" -dict="fuzz/targets/$h.dict" \
		-artifact_prefix="$run/" -print_final_stats=1 "$run/corpus" "$FZ/seeds/$h") \
		>"$run/log" 2>&1 || rc=$?
	local seconds execs found=0
	seconds=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log" | tail -n 1)
	if compgen -G "$run/crash-*" >/dev/null || compgen -G "$run/leak-*" >/dev/null ||
		compgen -G "$run/timeout-*" >/dev/null || compgen -G "$run/oom-*" >/dev/null; then
		found=1
		local saved=$OUT/found/$bug-$sched-$seed f
		mkdir -p "$saved"
		cp "$run"/crash-* "$run"/leak-* "$run"/timeout-* "$run"/oom-* "$run/log" "$saved/" \
			2>/dev/null || true
		# as make fuzz SCHED= saves a finding: with its sched line, so it replays as found
		for f in "$saved"/*-*; do fz_sched_mark "$tree/$FZ" "$h" "$f" "$sched"; done
	elif [ $rc -ne 0 ]; then
		tail -n 5 "$run/log" >&2
		echo "time-to-find: $bug $sched seed $seed: libFuzzer failed (rc=$rc) with no finding" >&2
		exit 1
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$bug" "$sched" "$seed" "$found" "$seconds" "${execs:-0}" \
		>>"$results"
	printf '  %-24s %-6s seed %2s: %s %6s s %9s execs\n' "$bug" "$sched" "$seed" \
		"$([ $found = 1 ] && echo found || echo miss)" "$seconds" "${execs:-0}"
}

for bug in $bugs; do
	if [ -n "${SKIP[$bug]:-}" ]; then
		echo "== $bug: skipped: ${SKIP[$bug]}"
		continue
	fi
	h=$(sed -n '3s/.*\bharness=\([^ ]*\).*/\1/p' "bugs/$bug.patch")
	tree=$(bash bugs/bug.sh prepare "$bug" | tail -n 1)
	# a new copy starts from this tree's libFuzzer objects too (mtimes kept: only the patched file
	# and what links it rebuild)
	[ -d "$tree/$FZ/lf" ] || [ ! -d "$FZ/lf" ] || cp -a "$FZ/lf" "$tree/$FZ/"
	echo "== $bug ($h): building $tree"
	make -C "$tree" --no-print-directory -j"${BUGS_MAKE_JOBS:-2}" "$FZ/lf/$h" fuzz-seeds \
		>"$OUT/$bug.build.log" 2>&1 || { tail -n 20 "$OUT/$bug.build.log"; exit 1; }
	# a rerun replaces the bug's earlier trials of these strategies
	awk -F'\t' -v b="$bug" -v s=" $scheds " '!($1 == b && index(s, " " $2 " "))' "$results" \
		>"$results.new"
	mv "$results.new" "$results"
	# seed by seed, every strategy in turn: a change of the machine's load falls on all of them
	for ((seed = 1; seed <= TTF_TRIALS; seed++)); do
		for sched in $scheds; do
			trial "$bug" "$tree" "$h" "$sched" "$seed"
		done
	done
done
python3 tools/time-to-find-table.py "$results" "$FUZZ_TIME" "$TTF_TRIALS" >"$OUT/table.md"
cat "$OUT/table.md"

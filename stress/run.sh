#!/usr/bin/env bash
# The overnight stress runner (make stress): shuffled scenarios in slots until the time budget is
# spent, one stress process per slot, a log folder per run with a resumable state file, summaries.
#
# usage: stress/run.sh BINARY VARIANT
# env:   DURATION (60; s/m/h suffixes)  SCENARIO (all; comma or space list)  SEED (random)
#        RESUME (1: the latest unfinished run, or a run folder)  STALL_TIMEOUT (10)  OP_BOUND (5)
#        CALL_BOUND (= STALL_TIMEOUT)  PROMPT_BOUND (2)  PROGRESS (10)  INJECT_STALL (unit|global)
#        SLOT_MAX (300)
#        STOP_ON_FAIL (1: end the run at the first failing slot)  STRESS_LOGS (stress-logs)
#        OPS_REPLAY (1; 0: do not build or run the fuzz replayer on a failure's ops program)
#        OPS_REPLAYS (3: replays of it)
#        DRIVER (ours; upstream: Haiku's tunnel.cpp, the universal tier, known findings set aside
#        per KNOWN_STRESS (corpora/upstream/known.stress) and each such slot restarted)
set -u
bin=$1
variant=$2
logroot=${STRESS_LOGS:-stress-logs}

die() {
	echo "stress: $*" >&2
	exit 2
}

# shellcheck source=tools/knobs.sh
source tools/knobs.sh
# Every knob is checked here, before anything runs (make checked them already; this is for a
# direct call): one line and status 2, never a run of zero slots.
for knob in DURATION SLOT_MAX STALL_TIMEOUT OP_BOUND CALL_BOUND PROMPT_BOUND PROGRESS SEED SCENARIO \
	INJECT_STALL STOP_ON_FAIL DRIVER; do
	[ -n "${!knob:-}" ] || continue
	problem=$(knob_problem "$knob" "${!knob}")
	[ -z "$problem" ] || die "$knob=${!knob}: $problem"
done

driver=${DRIVER:-ours}
# what a reproduce line adds to make stress
driver_arg=""
known_list=""
if [ "$driver" = upstream ]; then
	driver_arg="DRIVER=upstream "
	# the watchdog demonstration holds our driver's unit locks by name: upstream has none
	[ -z "${INJECT_STALL:-}" ] || die "INJECT_STALL=$INJECT_STALL: needs our driver (DRIVER=ours)"
	known_list=${KNOWN_STRESS:-corpora/upstream/known.stress}
	[ -f "$known_list" ] || die "KNOWN_STRESS=$known_list: no such list"
fi

# seconds from a checked duration (90, 90s, 10m, 8h)
seconds_of() { knob_seconds "$1"; }

now() { date +%s.%N; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }

# a 64-bit mix (splitmix-like) in bash's wrapping arithmetic, printed as a 13-digit number
mix() {
	local z=$(($1 + 0x9e3779b97f4a7c15 * ($2 + 1)))
	z=$(((z ^ ((z >> 30) & 0x3ffffffff)) * 0xbf58476d1ce4e5b9))
	z=$(((z ^ ((z >> 27) & 0x1fffffffff)) * 0x94d049bb133111eb))
	z=$((z ^ ((z >> 31) & 0x1ffffffff)))
	echo $(((z & 0x7fffffffffffffff) % 10000000000000))
}

# the scenario list shuffled for a round (Fisher-Yates with mix())
shuffled() {
	local round=$1
	local -a list
	read -r -a list <<<"$scenarios"
	local i j tmp
	for ((i = ${#list[@]} - 1; i > 0; i--)); do
		j=$(($(mix "$run_seed" $((round * 1000 + i))) % (i + 1)))
		tmp=${list[i]}
		list[i]=${list[j]}
		list[j]=$tmp
	done
	echo "${list[@]}"
}

# A failure's ops program (stress/history.c) through the fuzz replayer (the `ops` harness, as
# `make repro` runs it), a few times, each bounded: one line saying whether it reproduces. Never
# fails and never hangs the stress run.
replay_ops() {
	local file=$1 build=${bin%/stress/*/stress} fz rp out rc i first="" log=${1%.txt}.replay.log
	fz=$build/fuzz/det # make fuzz's default build: the deterministic shim
	[ "$driver" = upstream ] && fz=$build/fuzz/det-upstream
	rp=$fz/rp/ops
	local repro="make repro ${driver_arg}TARGET=ops FILE=$file"
	if [ "${OPS_REPLAY:-1}" != 1 ]; then
		echo "FAIL: ops program: $file (not replayed: OPS_REPLAY=0); replay: $repro"
		return 0
	fi
	# up to date with the driver the stress binary ran (make: a no-op when it is)
	# make stress exports every stress knob, empty ones too, and make refuses an empty duration:
	# the replayer's make gets only those that are set
	local knob unset=()
	for knob in DURATION SCENARIO SEED RESUME STALL_TIMEOUT OP_BOUND CALL_BOUND PROMPT_BOUND \
		PROGRESS STOP_ON_FAIL INJECT_STALL SLOT_MAX STRESS_LOGS; do
		[ -n "${!knob:-}" ] || unset+=(-u "$knob")
	done
	env "${unset[@]}" timeout 600 make --no-print-directory -j2 DRIVER="$driver" FZ_DET=1 "$rp" \
		"$rp-compile-seed" >"$log" 2>&1 </dev/null
	if [ ! -x "$rp" ] || [ ! -x "$rp-compile-seed" ]; then
		echo "FAIL: ops program: $file (not replayed: cannot build $rp, see $log); replay: $repro"
		return 0
	fi
	if ! timeout 20 "$rp-compile-seed" "$file" "${file%.txt}.bin" >>"$log" 2>&1; then
		echo "FAIL: ops program: $file (not replayed: it does not assemble, see $log)"
		return 0
	fi
	for ((i = 1; i <= ${OPS_REPLAYS:-3}; i++)); do
		out=$(timeout -k 5 60 "$rp" "$file" 2>&1 </dev/null)
		rc=$?
		printf '== replay %d: exit %d\n%s\n' "$i" "$rc" "$out" >>"$log"
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			first=${first:-"the replayer timed out"}
		elif [ $rc -eq 2 ]; then
			first="the replayer cannot read the program: $(grep -a -m1 '^replay: ' <<<"$out")"
			break
		elif [ $rc -ne 0 ]; then
			first=$(grep -a -m1 -iE 'CHECK FAILED|ERROR: |runtime error|deadlock|PANIC' <<<"$out")
			first=${first:-"exit $rc"}
			break
		fi
	done
	if [ -z "$first" ]; then
		echo "FAIL: ops program: $file (passes: the race needs the free-running interleaving)"
	elif [ "$first" = "the replayer timed out" ]; then
		echo "FAIL: ops program: $file (not decided: the replayer timed out, see $log)"
	elif [[ $first == "the replayer cannot read"* ]]; then
		echo "FAIL: ops program: $file (not replayed: $first)"
	else
		echo "FAIL: ops program: $file (replays: reproduces the failure: ${first# })"
	fi
	echo "FAIL: ops replay: $repro"
	return 0
}

# one run of the current slot (main's variables): its process, its verdict, a failure's report
run_slot() {
	# one second of each slot is left for teardown, shim_shutdown and the leak check
	run_len=$((slot_len > 2 ? slot_len - 1 : slot_len))
	tag=$(printf 'slot-%04d-%s' "$next_slot" "$scenario")
	[ "$restart" = 0 ] || tag=$tag.r$restart
	log=$dir/$tag.log
	result=$dir/$tag.json
	ops=$dir/fail-$(printf %04d "$next_slot")-$scenario-$seed.ops.txt
	rm -f "$result" "$ops"
	args=(--scenario "$scenario" --seed "$seed" --duration "$run_len" --elapsed-base "$used_s"
		--result "$result" --ops-out "$ops" --stall-timeout "$stall_timeout" --op-bound "$op_bound"
		--call-bound "$call_bound" --prompt-bound "$prompt_bound" --progress "$progress")
	[ -n "$inject_stall" ] && args+=(--inject-stall "$inject_stall")
	echo "== slot $next_slot: $scenario seed=$seed ${slot_len}s"
	t0=$(now)
	: >"$log"
	"$bin" "${args[@]}" >>"$log" 2>&1 &
	pid=$!
	# the console gets the progress, failure and result lines while the log gets everything
	tail -n +1 -f --pid=$pid "$log" 2>/dev/null |
		grep --line-buffered -E '^(\[|FAIL|WATCHDOG|params:|RESULT|PANIC|stall:)' &
	tailer=$!
	wait $pid
	rc=$?
	wait $tailer 2>/dev/null
	pid="" tailer="" # both gone: a later ctrl+c must not signal whoever has their ids now
	if [ "$variant" = tsan ] && grep -q 'unexpected memory mapping' "$log"; then
		# clang < 18 TSan and high mmap randomization: retry without ASLR
		setarch "$(uname -m)" -R "$bin" "${args[@]}" >"$log" 2>&1
		rc=$?
		grep -E '^(\[|FAIL|WATCHDOG|RESULT)' "$log"
	fi
	used_s=$(awk -v u="$used_s" -v a="$(now)" -v b="$t0" 'BEGIN { printf "%.1f", u + a - b }')

	status=$(sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' "$result" 2>/dev/null)
	[ -n "$status" ] || status=crash
	reports='WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer'
	reports="$reports|runtime error:"
	sanitizer=$(grep -c -E "$reports" "$log")
	set_aside=0
	if { [ $rc -ne 0 ] || [ "$status" != pass ] || [ "$sanitizer" -gt 0 ]; } &&
		[ -n "$known_list" ] && known_aside; then
		set_aside=1
	elif [ $rc -ne 0 ] || [ "$status" != pass ] || [ "$sanitizer" -gt 0 ]; then
		failures=$((failures + 1))
		[ "$status" = pass ] && status=sanitizer
		cp "$log" "$dir/fail-$(printf %04d "$next_slot")-$scenario-$seed.log"
		[ -f "$result" ] || printf '{"scenario":"%s","seed":%s,"status":"crash","exit":%d}\n' \
			"$scenario" "$seed" $rc >"$result"
		san_name=$variant
		case $variant in asan) san_name=address ;; tsan) san_name=thread ;; esac
		repro="make stress ${driver_arg}SCENARIO=$scenario SEED=$seed DURATION=$slot_len"
		repro="$repro SAN=$san_name"
		first=$(sed -n 's/.*"first_failure":"\(.*\)"}.*/\1/p' "$result")
		[ -n "$first" ] || first=$(grep -m1 -E 'ERROR|WARNING|PANIC|FAIL' "$log")
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$next_slot" "$scenario" "$seed" "$status" "$repro" \
			"$first" >>"$dir/failures.tsv"
		echo "FAIL: slot $next_slot scenario=$scenario seed=$seed status=$status" \
			"exit=$rc: $first"
		echo "FAIL: log $dir/fail-$(printf %04d "$next_slot")-$scenario-$seed.log"
		echo "FAIL: reproduce: $repro"
		[ -f "$ops" ] && replay_ops "$ops"
	fi
}

# DRIVER=upstream, a failed slot: every failure in its log a known finding? Then each is counted
# (known.tsv: slot, scenario, seed, entry) and one KNOWN line says so; status 1 when one is new.
known_aside() {
	local verdict
	verdict=$(python3 stress/known.py "$known_list" "$log")
	local rc=$?
	[ $rc -eq 2 ] && die "stress/known.py refused $known_list"
	[ $rc -eq 0 ] || return 1
	local name names=""
	while IFS=$'\t' read -r _ name; do
		printf '%s\t%s\t%s\t%s\n' "$next_slot" "$scenario" "$seed" "$name" >>"$dir/known.tsv"
		names="$names${names:+, }$name"
	done <<<"$verdict"
	cp "$log" "$dir/known-$(printf %04d "$next_slot")-$scenario-$seed.log"
	rm -f "$ops" # its history is a known bug's
	echo "KNOWN: slot $next_slot scenario=$scenario seed=$seed set aside: $names"
	return 0
}

# the hits of every entry of the known list per scenario (never silent: every entry is a row,
# zeros included), from known.tsv
known_table() {
	echo "known findings set aside ($known_list; stress/known.py): hits per scenario"
	printf '  %-34s' entry
	local s name
	for s in $scenarios; do printf ' %13s' "$s"; done
	echo
	while read -r name; do
		printf '  %-34s' "$name"
		for s in $scenarios; do
			awk -F'\t' -v n="$name" -v s="$s" '$2 == s && $4 == n { c++ } END { printf " %13d", c }' \
				"$dir/known.tsv" 2>/dev/null || printf ' %13d' 0
		done
		echo
	done < <(grep -v '^#' "$known_list" | cut -f1 | grep . | awk '!seen[$0]++')
}

save_state() {
	cat >"$dir/state.tmp" <<EOF
run_seed=$run_seed
seed_given=$seed_given
variant=$variant
duration_s=$duration_s
slot_s=$slot_s
scenarios="$scenarios"
next_slot=$next_slot
used_s=$used_s
failures=$failures
started="$started"
finished=$finished
stall_timeout="$stall_timeout"
op_bound="$op_bound"
call_bound="$call_bound"
prompt_bound="$prompt_bound"
progress="$progress"
inject_stall="$inject_stall"
driver="$driver"
EOF
	mv "$dir/state.tmp" "$dir/state"
}

# ctrl+c (or a kill): stop the slot that runs, keep the run resumable, say how to go on
interrupted() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "${tailer:-}" ] && kill "$tailer" 2>/dev/null
	local san_name=$variant
	case $variant in asan) san_name=address ;; tsan) san_name=thread ;; esac
	echo
	echo "stress: interrupted in slot $next_slot of $dir; it runs again when the run goes on:"
	echo "  make stress ${driver_arg}RESUME=$dir SAN=$san_name"
	exit 130
}

# the whole run is one function: bash parses it before running it, so editing this file while an
# overnight run goes on does not disturb that run
main() {
	# ---- a new run, or the one to resume ------------------------------------------------------
	all=$("$bin" --list | cut -f1 | tr '\n' ' ') || die "cannot run $bin"
	if [ -n "${RESUME:-}" ] && [ "${RESUME}" != 0 ]; then
		if [ -d "$RESUME" ]; then
			dir=$RESUME
		else
			dir=""
			for candidate in $(printf '%s\n' "$logroot"/*/ | sort -r); do
				if [ -f "$candidate/state" ] && grep -q '^finished=0' "$candidate/state"; then
					dir=${candidate%/}
					break
				fi
			done
			[ -n "$dir" ] || die "RESUME: no unfinished run under $logroot/"
		fi
		# shellcheck disable=SC1091
		. "$dir/state" || die "RESUME: cannot read $dir/state"
		[ "$variant" = "$2" ] || die "RESUME: that run used SAN variant $variant, not $2"
		[ "$driver" = "${DRIVER:-ours}" ] || die "RESUME: that run used DRIVER=$driver"
		echo "stress: resuming $dir at slot $next_slot (${used_s}s of ${duration_s}s used)"
	else
		duration_s=$(seconds_of "${DURATION:-60}")
		scenarios=$(echo "${SCENARIO:-$all}" | tr ',' ' ' | xargs)
		for s in $scenarios; do
			[[ " $all " == *" $s "* ]] || die "unknown scenario '$s' (known: $all)"
		done
		count=$(echo "$scenarios" | wc -w)
		slot_max=$(seconds_of "${SLOT_MAX:-300}")
		slot_s=$((duration_s / count))
		[ "$slot_s" -gt "$slot_max" ] && slot_s=$slot_max
		[ "$slot_s" -lt 3 ] && slot_s=3
		if [ -n "${SEED:-}" ]; then
			run_seed=$(knob_seed_decimal "$SEED") # as the summary and the repro lines print it
			seed_given=1
		else
			run_seed=$(($(od -An -N6 -tu8 /dev/urandom | tr -d ' ') % 10000000000000))
			seed_given=0
		fi
		stall_timeout=${STALL_TIMEOUT:-10}
		op_bound=${OP_BOUND:-5}
		call_bound=${CALL_BOUND:-$stall_timeout}
		prompt_bound=${PROMPT_BOUND:-2}
		progress=${PROGRESS:-10}
		inject_stall=${INJECT_STALL:-}
		next_slot=0
		used_s=0
		failures=0
		finished=0
		started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
		dir=$logroot/$(date +%Y%m%d-%H%M%S)
		[ -e "$dir" ] && dir=$dir-$$
		mkdir -p "$dir" || die "cannot create $dir"
		save_state
		echo "stress: run $dir: seed=$run_seed SAN=$variant duration=${duration_s}s" \
			"slots of ${slot_s}s, scenarios: $scenarios"
	fi
	count=$(echo "$scenarios" | wc -w)
	# from here on there is a run to resume: a ctrl+c at any moment says how (not only once a
	# slot's process runs)
	trap 'interrupted' INT TERM

	# ---- the slots ----------------------------------------------------------------------------
	while :; do
		remaining=$(minus "$duration_s" "$used_s")
		awk -v r="$remaining" 'BEGIN { exit !(r >= 1) }' || break
		round=$((next_slot / count))
		scenario=$(shuffled $round | cut -d' ' -f$((next_slot % count + 1)))
		slot_len=$(awk -v s="$slot_s" -v r="$remaining" 'BEGIN { printf "%d", (r < s ? r : s) }')
		[ "$slot_len" -lt 1 ] && break
		if [ "$next_slot" = 0 ] && [ "$seed_given" = 1 ]; then
			seed=$run_seed
		else
			seed=$(mix "$run_seed" "$next_slot")
		fi
		# DRIVER=upstream: a slot whose every failure is a known finding (stress/known.py) is set
		# aside, counted per entry, and restarts with a fresh boot and a seed of its own for the
		# time it has left; anything else is a failure as for our driver
		restart=0
		slot_t0=$(now)
		slot_seed=$seed
		while :; do
			run_slot
			[ "$set_aside" = 1 ] || break
			left=$(awk -v l="$slot_len" -v a="$(now)" -v b="$slot_t0" \
				'BEGIN { printf "%d", l - (a - b) }')
			[ "$left" -ge 3 ] || break
			restart=$((restart + 1))
			seed=$(mix "$slot_seed" "$restart")
			slot_len=$left
		done
		next_slot=$((next_slot + 1))
		save_state
		# the run's own progress line after every slot: with slots shorter than PROGRESS the
		# binary's lines never come, and a console must not stay silent for long
		printf '[run %ss of %ss] %d slot(s) done, %d failure(s), %s ops in all\n' \
			"${used_s%.*}" "$duration_s" "$next_slot" "$failures" "$(cat "$dir"/slot-*.log 2>/dev/null |
				sed -n 's/^RESULT .* ops=\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')"
		[ "$failures" -gt 0 ] && [ "${STOP_ON_FAIL:-0}" = 1 ] && break
	done

	# ---- summaries ----------------------------------------------------------------------------
	finished=1
	save_state
	{
		echo "stress run $dir"
		echo "seed $run_seed, SAN=$variant, budget ${duration_s}s, used ${used_s}s," \
			"slots $next_slot, failures $failures, started $started"
		echo
		# starved: blocking reads that waited past CALL_BOUND while their unit's other readers
		# read (stress/README.md, "The watchdog"); longest: the longest wait (s) of a blocking read
		# sharing its descriptor, starved or not
		printf '%-13s %5s %8s %12s %11s %10s %8s %8s %7s %7s %9s\n' scenario slots seconds ops \
			packets interrupts deletes max_live starved longest failures
		cat "$dir"/slot-*.log 2>/dev/null | awk '/^RESULT /{
			for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			s = v["scenario"]; n[s]++; sec[s] += v["seconds"]; ops[s] += v["ops"]
			pk[s] += v["packets"]; it[s] += v["interrupts"]; de[s] += v["deletes"]
			if (v["max_live"] > ml[s]) ml[s] = v["max_live"]; fa[s] += v["failures"]
			st[s] += v["starved"]; if (v["longest_wait_s"] > ls[s]) ls[s] = v["longest_wait_s"]
		} END { for (s in n) printf "%-13s %5d %8.1f %12d %11d %10d %8d %8d %7d %7.1f %9d\n", s,
			n[s], sec[s], ops[s], pk[s], it[s], de[s], ml[s], st[s], ls[s], fa[s] }' | sort
		if [ -n "$known_list" ]; then
			echo
			known_table
		fi
		if [ -f "$dir/failures.tsv" ]; then
			echo
			echo "failures (slot, scenario, seed, status, reproduce, first failure):"
			cat "$dir/failures.tsv"
		fi
	} >"$dir/summary.txt"
	{
		printf '{"run":{"dir":"%s","seed":%s,"san":"%s","duration_s":%s,"used_s":%s,"slots":%s,' \
			"$dir" "$run_seed" "$variant" "$duration_s" "$used_s" "$next_slot"
		printf '"failures":%s,"started":"%s","finished":"%s"},"slots":[' "$failures" "$started" \
			"$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		first=1
		for f in "$dir"/slot-*.json; do
			[ -f "$f" ] || continue
			[ $first = 1 ] || printf ','
			first=0
			tr -d '\n' <"$f"
		done
		printf '],"failures":['
		first=1
		if [ -f "$dir/failures.tsv" ]; then
			while IFS=$'\t' read -r slot scenario seed status repro message; do
				[ $first = 1 ] || printf ','
				first=0
				message=${message//\\/\\\\}
				printf '{"slot":%s,"scenario":"%s","seed":%s,"status":"%s",' \
					"$slot" "$scenario" "$seed" "$status"
				printf '"reproduce":"%s","first":"%s"}' "$repro" "${message//\"/\\\"}"
			done <"$dir/failures.tsv"
		fi
		printf ']}\n'
	} >"$dir/summary.json"
	# the run per scenario, appended to the report's history (report/README.md)
	python3 report/collect.py stress "$dir"
	echo
	cat "$dir/summary.txt"
	extra=""
	[ -f "$dir/failures.tsv" ] && extra=", fail-*.log"
	echo "stress: logs in $dir (summary.txt, summary.json, state$extra)"
	[ "$failures" -eq 0 ]
}

main "$@"
exit $?

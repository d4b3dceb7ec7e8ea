#!/usr/bin/env bash
# Runs what fuzz/fuzz.mk builds: libFuzzer and AFL++ campaigns with progress and a summary table,
# repro (20 identical runs), minimize, merge and coverage. Usage: run.sh MODE TARGET... [FILE]
set -uo pipefail

FZ=${FZ:?} FUZZ_TIME=${FUZZ_TIME:-60} JOBS=${JOBS:-1} FZ_DET=${FZ_DET:-}
# DRIVER=upstream: its findings apart (findings/upstream/), its repro lines saying so
DRIVER=${DRIVER:-ours}
FZ_FINDINGS=findings
FZ_AS=""
if [ "$DRIVER" = upstream ]; then
	FZ_FINDINGS=findings/upstream FZ_AS=" DRIVER=upstream"
fi
export FINDINGS_INDEX=$FZ_FINDINGS/INDEX
CI_RUNS=${CI_RUNS:-30000} CI_TIME=${CI_TIME:-12}
mode=$1
shift
# shellcheck source=fuzz/settings.sh
source fuzz/settings.sh
# shellcheck source=tools/knobs.sh
source tools/knobs.sh
# durations as make takes them (90, 90s, 10m, 8h), in seconds for the engines
knob_to_seconds FUZZ_TIME 60
knob_to_seconds CI_TIME 12
knob_to_seconds MINIMIZE_TIME 30
REPRO_RUNS=${REPRO_RUNS:-20}
problem=$(knob_problem REPRO_RUNS "$REPRO_RUNS")
[ -z "$problem" ] || { echo "REPRO_RUNS=$REPRO_RUNS: $problem" >&2; exit 2; }
REPRO_RUNS=$((10#$REPRO_RUNS))
fz_sanitizer_env
# SCHED=: every input the fuzzers run without a sched line runs with that strategy (common.h)
export FUZZ_SCHED=${SCHED:-}
PROGRESS_EVERY=10
summary=()
findings=()

# shellcheck source=fuzz/findings.sh
source fuzz/findings.sh
# shellcheck source=fuzz/known.sh
source fuzz/known.sh
new_signatures=() # "target<TAB>signature<TAB>file" of each signature this run saw first

# findings/<target>/* newer than the marker file, one `make repro` line each, grouped by
# signature in findings/INDEX
report_findings() {
	local target=$1 marker=$2 f verdict
	for f in $(find "$FZ_FINDINGS/$target" -maxdepth 1 -type f -newer "$marker" ! -name '*.log' \
		! -name '*.min' 2>/dev/null | sort); do
		fz_sched_mark "$FZ" "$target" "$f" "${SCHED:-}"
		findings+=("$target: $f")
		echo "  finding: $f"
		echo "    make repro FILE=$f$FZ_AS"
		verdict=$(index_add "$target" "$f")
		echo "    $verdict"
		[[ $verdict == "new signature: "* ]] &&
			new_signatures+=("$target"$'\t'"${verdict#new signature: }"$'\t'"$f")
	done
}

count_files() { find "$1" -maxdepth 1 -type f 2>/dev/null | wc -l; }
count_ids() { find "$1" -maxdepth 1 -type f -name 'id:*' 2>/dev/null | wc -l; }

# ---- libFuzzer -----------------------------------------------------------------------------------
# JOBS processes share the working corpus (each reloads what the others add)
libfuzzer_one() {
	local t=$1 bin=$FZ/lf/$1 corpus=$FZ/corpus/$1 log=$FZ/logs/$1.log
	mkdir -p "$corpus" "$FZ_FINDINGS/$t" "$FZ/logs"
	local marker=$FZ/logs/$t.start
	touch "$marker"
	local before
	before=$(count_files "$corpus")
	local dict=()
	[ -f "fuzz/targets/$t.dict" ] && dict=(-dict="fuzz/targets/$t.dict")
	local maxlen
	maxlen=$(fz_max_len "$t")
	echo "== libFuzzer $t: ${FUZZ_TIME}s, $JOBS job(s), corpus $corpus + corpora/$t + seeds"
	local pids=() i
	rm -f "$FZ/logs/$t.known".*
	known_on && echo "   setting aside the known findings in $KNOWN_LIST (fuzz/known.c)"
	for ((i = 0; i < JOBS; i++)); do
		known_job "$t" "$i" "$log.$i" "$bin" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
			-max_len="$maxlen" -artifact_prefix="$FZ_FINDINGS/$t/" "${dict[@]}" \
			"$corpus" "corpora/$t" "$FZ/seeds/$t" &
		pids+=($!)
	done
	local start=$SECONDS
	while kill -0 "${pids[0]}" 2>/dev/null; do
		sleep 1
		if (((SECONDS - start) % PROGRESS_EVERY == 0)); then
			local line
			line=$(grep -aE '^#[0-9]+' "$log.0" | tail -n 1)
			known_on && line="${line:-starting}; set aside $(known_hits "$t" 0)"
			printf '  [%s %3ds] %s\n' "$t" $((SECONDS - start)) "${line:-starting}"
		fi
	done
	local rc=0 execs=0 rate=0 cov=0 ft=0 last n
	for ((i = 0; i < JOBS; i++)); do
		wait "${pids[$i]}" || rc=$?
		execs=$((execs + $(job_execs "$log.$i")))
		n=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log.$i" | tail -n 1)
		rate=$((rate + ${n:-0}))
		last=$(grep -aE '^#[0-9]+.*cov: ' "$log.$i" | tail -n 1)
		cov=$(max "$cov" "$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")")
		ft=$(max "$ft" "$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")")
	done
	# a job of restarted runs: its rate over the time it ran
	known_on && rate=$((execs / (SECONDS > start ? SECONDS - start : 1)))
	cat "$log".* >"$log"
	# the campaign's samples over time, appended to the report's history (report/README.md)
	python3 report/collect.py libfuzzer "$t" "$FZ" "$FUZZ_TIME" "$JOBS" "$marker"
	local nfind
	nfind=$(find "$FZ_FINDINGS/$t" -maxdepth 1 -type f -newer "$marker" 2>/dev/null | wc -l)
	[ $rc -ne 0 ] && [ "$nfind" -eq 0 ] && { tail -n 40 "$log"; nfind="rc=$rc"; }
	[ $rc -ne 0 ] && grep -aE 'CHECK FAILED|^SUMMARY|ERROR: (AddressSanitizer|libFuzzer)' "$log" |
		head -n 3 | sed 's/^/  /'
	summary+=("$(printf '%-8s %12s %9s %6s %7s %6s %9s' "$t" "$execs" "$rate" "$cov" "$ft" \
		$(($(count_files "$corpus") - before)) "$nfind")")
	report_findings "$t" "$marker"
}

max() { echo $(($1 > ${2:-0} ? $1 : ${2:-0})); }

print_summary() {
	local engine=$1
	echo
	echo "== $engine summary (${FUZZ_TIME}s per target, $JOBS job(s), $([ -n "$FZ_DET" ] &&
		echo deterministic || echo free-running) shim)"
	printf '%-8s %12s %9s %6s %7s %6s %9s\n' target execs exec/s "$3" "$4" new findings
	local row
	for row in "${summary[@]}"; do echo "$row"; done
	if [ ${#findings[@]} -gt 0 ]; then
		echo "findings (each reproduces with its line):"
		local f
		for f in "${findings[@]}"; do echo "  make repro FILE=${f#*: }$FZ_AS"; done
		return 1
	fi
	echo "no findings"
}

# ---- AFL++ ---------------------------------------------------------------------------------------
afl_stat() { sed -n "s/^$2 *: *//p" "$1/fuzzer_stats" 2>/dev/null | head -n 1; }

# One afl-fuzz; it binds itself to a free core: its persistent-mode round trips (a signal and a
# pipe message per input) cost 4x when afl-fuzz and the target run on different CPUs (66k against
# 14k exec/s on ioctl here). With no core free (afl-fuzz aborts) it runs unbound.
afl_instance() {
	local log=$1
	shift
	afl-fuzz "$@" >"$log" 2>&1 && return 0
	grep -q "No more free CPU cores" "$log" || return 1
	echo "  (no free CPU core: $log runs unbound, several times slower)"
	mv "$log" "$log.bound"
	sleep 2 # the aborted instance's target lets go of the output directory's lock
	AFL_NO_AFFINITY=1 afl-fuzz "$@" >"$log" 2>&1
}

# afl-fuzz 4.04c can leave a CMPLOG target behind, stopped, holding the output directory's lock
# ("is in use" at the next run): kill this target's orphans (parent 1) before and after a run
afl_reap() {
	local t=$1 pid ppid args
	while read -r pid ppid args; do
		[ "$ppid" = 1 ] && [[ $args == "$FZ"/afl*/"$t" ]] && kill -KILL "$pid" 2>/dev/null
	done < <(ps -eo pid=,ppid=,args=)
	return 0
}

afl_one() {
	local t=$1 out=$FZ/afl-out/$1 in=$FZ/afl-in/$1
	rm -rf "$in" # today's corpus and seeds (a resumed run keeps its own queue)
	mkdir -p "$out" "$in" "$FZ_FINDINGS/$t" "$FZ/logs"
	local marker=$FZ/logs/$t.start
	touch "$marker"
	cp "corpora/$t"/* "$FZ/seeds/$t"/* "$in"/ 2>/dev/null
	[ "$(count_files "$in")" -gt 0 ] || printf '\0' >"$in/empty"
	local dict=()
	[ -f "fuzz/targets/$t.dict" ] && dict=(-x "fuzz/targets/$t.dict")
	export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_AUTORESUME=1 AFL_FAST_CAL=1 \
		AFL_CMPLOG_ONLY_NEW=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
		AFL_NO_WARN_INSTABILITY=1
	# afl-fuzz insists on these; leaks are the harness's own check (every input, at exit)
	local ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0:allocator_may_return_null=1
	local UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:symbolize=0
	local LSAN_OPTIONS=use_poisoned=1:symbolize=0
	local found=0 executed=0 dir # a resumed instance's counts include its earlier runs
	for dir in "$out"/*/; do
		found=$((found + $(afl_stat "$dir" corpus_found || echo 0)))
		executed=$((executed + $(afl_stat "$dir" execs_done || echo 0)))
	done
	afl_reap "$t"
	python3 report/collect.py afl-mark "$t" "$FZ" # where each instance's plot_data stands now
	echo "== AFL++ $t: ${FUZZ_TIME}s, 1 -M (+CMPLOG) and $((JOBS - 1)) -S instance(s)"
	local pids=() i
	for ((i = 0; i < JOBS; i++)); do
		local role=(-S "s$i") bin=$FZ/afl/$t extra=()
		if [ "$i" -eq 0 ]; then
			role=(-M main)
			extra=(-c "$FZ/aflcmp/$t")
		elif [ $((i % 2)) -eq 1 ]; then
			bin=$FZ/aflasan/$t # every other secondary runs under ASan+UBSan
		fi
		AFL_USE_ASAN=$([ "$bin" = "$FZ/aflasan/$t" ] && echo 1 || echo 0) \
			afl_instance "$FZ/logs/$t-afl-$i.log" -i "$in" -o "$out" "${role[@]}" "${extra[@]}" \
			"${dict[@]}" -G "$(fz_max_len "$t")" -V "$FUZZ_TIME" -t 10000 -m none -- "$bin" &
		pids+=($!)
	done
	local start=$SECONDS
	while kill -0 "${pids[0]}" 2>/dev/null; do
		sleep 1
		if (((SECONDS - start) % PROGRESS_EVERY == 0)); then
			# afl-fuzz 4.04c without its UI writes its stats files only every minute: count files
			local queue=0 crashes=0 hangs=0 dir
			for dir in "$out"/*/; do
				queue=$((queue + $(count_ids "$dir/queue")))
				crashes=$((crashes + $(count_ids "$dir/crashes")))
				hangs=$((hangs + $(count_ids "$dir/hangs")))
			done
			printf '  [%s %3ds] %d instance(s): queue %d, crashes %d, hangs %d\n' "$t" \
				$((SECONDS - start)) "$JOBS" "$queue" "$crashes" "$hangs"
		fi
	done
	wait "${pids[@]}"
	afl_reap "$t"
	# the rows plot_data gained, every instance summed, appended to the report's history
	python3 report/collect.py afl "$t" "$FZ" "$FUZZ_TIME" "$JOBS" "$marker"
	local execs=$((-executed)) rate=0 new=$((-found))
	for dir in "$out"/*/; do
		execs=$((execs + $(afl_stat "$dir" execs_done || echo 0)))
		rate=$(awk -v a="$rate" -v b="$(afl_stat "$dir" execs_per_sec)" 'BEGIN {print a + b}')
		new=$((new + $(afl_stat "$dir" corpus_found || echo 0))) # found by the instance itself
	done
	local crash n=0
	for crash in "$out"/*/crashes/id:* "$out"/*/hangs/id:*; do
		[ -f "$crash" ] || continue
		local inst kind id
		inst=$(basename "$(dirname "$(dirname "$crash")")")
		kind=$(basename "$(dirname "$crash")")
		id=$(basename "$crash" | sed 's/^id:\([0-9]*\).*/\1/')
		local dest="$FZ_FINDINGS/$t/afl-$inst-${kind%es}-$id"
		[ "$kind" = crashes ] && dest="$FZ_FINDINGS/$t/afl-$inst-crash-$id"
		[ -f "$dest" ] || cp "$crash" "$dest"
		n=$((n + 1))
	done
	[ "$(afl_stat "$out/main" execs_done)" ] || tail -n 30 "$FZ/logs/$t-afl-0.log"
	summary+=("$(printf '%-8s %12s %9.0f %6s %7s %6s %9s' "$t" "$execs" "$rate" \
		"$(afl_stat "$out/main" bitmap_cvg)" "$(afl_stat "$out/main" stability)" "$new" "$n")")
	report_findings "$t" "$marker"
}

# ---- CI smoke ------------------------------------------------------------------------------------
# Each harness from the committed corpus and seeds: a fixed seed, CI_RUNS executions at most and
# CI_TIME seconds at most (whichever ends first), new inputs into a scratch directory. Fails on any
# finding, naming its `make repro` line.
ci_one() {
	local t=$1 bin=$FZ/lf/$1 scratch=$FZ/ci/$1 log=$FZ/logs/ci-$1.log
	rm -rf "$scratch"
	mkdir -p "$scratch" "$FZ_FINDINGS/$t" "$FZ/logs"
	local dict=()
	[ -f "fuzz/targets/$t.dict" ] && dict=(-dict="fuzz/targets/$t.dict")
	local maxlen start=$SECONDS rc
	maxlen=$(fz_max_len "$t")
	"$bin" -seed=1 -runs="$CI_RUNS" -max_total_time="$CI_TIME" -timeout=10 -rss_limit_mb=4096 \
		-max_len="$maxlen" -print_final_stats=1 -artifact_prefix="$FZ_FINDINGS/$t/ci-" "${dict[@]}" \
		"$scratch" "corpora/$t" "$FZ/seeds/$t" >"$log" 2>&1
	rc=$?
	local execs rate
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	printf '  %-8s %8s execs %7s exec/s %3ds  %s\n' "$t" "${execs:-?}" "${rate:-?}" \
		$((SECONDS - start)) "$([ $rc -eq 0 ] && echo ok || echo "FAILED (rc=$rc)")"
	if [ $rc -ne 0 ]; then
		grep -aE 'CHECK FAILED|^SUMMARY|ERROR: (AddressSanitizer|libFuzzer)|DEADLOCK' "$log" |
			head -n 3 | sed 's/^/    /'
		local f
		grep -ao "$FZ_FINDINGS/$t/ci-[^ ]*" "$log" | sort -u | while read -r f; do
			[ -f "$f" ] && echo "    make repro FILE=$f$FZ_AS"
		done
		echo "    log: $log"
	fi
	return $rc
}

ci() {
	local t failed=0 start=$SECONDS
	echo "== fuzz-ci: each harness -seed=1, at most $CI_RUNS runs and ${CI_TIME}s"
	for t in "$@"; do ci_one "$t" || failed=$((failed + 1)); done
	echo "fuzz-ci: $# harness(es), $failed failed, $((SECONDS - start))s"
	[ $failed -eq 0 ]
}

# ---- reproduction --------------------------------------------------------------------------------
repro_one() {
	local t=$1 file=$2 bin=$FZ/rp/$1
	echo "== repro $t $file"
	[ -f "$file.desc" ] && echo "   $(cat "$file.desc")"
	local out rc
	out=$("$bin" -v "$file" 2>&1)
	rc=$?
	if [ $rc -eq 2 ]; then
		# the replayer could not read or parse the input: an input error, not a result
		grep -a '^replay: \|^usage: ' <<<"$out" >&2
		echo "== $file: input error (status 2): nothing was replayed" >&2
		return 2
	fi
	# the trace: ops, results and (deterministic build) scheduling decisions that had a choice;
	# the whole of it is saved, the console shows its end
	local trace shown=400 lines
	trace=$FZ/repro/$t/$(basename "$file").trace
	mkdir -p "$(dirname "$trace")"
	grep -av '(only)$' <<<"$out" >"$trace"
	lines=$(wc -l <"$trace")
	if [ "$lines" -gt $shown ]; then
		echo "   ... $((lines - shown)) earlier trace lines not shown; the whole trace: $trace"
	fi
	tail -n $shown "$trace"
	echo "== the whole trace ($lines lines): $trace"
	local first
	first=$(result_of "$out" $rc)
	local same=1 i different=()
	for ((i = 2; i <= REPRO_RUNS; i++)); do
		local this rc2
		# unsymbolized: the lines compared name no source location (a sanitizer's report line,
		# a failed check, a digest), and starting llvm-symbolizer was most of a crashing run
		out=$(ASAN_OPTIONS=$ASAN_OPTIONS:symbolize=0 "$bin" "$file" 2>&1)
		rc2=$?
		this=$(result_of "$out" $rc2)
		[ "$this" = "$first" ] || {
			same=0
			different+=("run $i: $this")
		}
	done
	if [ $same -eq 1 ]; then
		echo "== $file: $REPRO_RUNS/$REPRO_RUNS runs identical: $first"
	elif [ -z "$FZ_DET" ] && [[ "$first" == "rc=0 ok"* ]] &&
		! printf '%s\n' "${different[@]}" | grep -qv 'rc=0 ok'; then
		echo "== $file: $REPRO_RUNS runs passed; traces differ (free-running shim: not deterministic)"
	else
		echo "== $file: NOT REPRODUCIBLE: run 1: $first"
		printf '   %s\n' "${different[@]}"
		return 1
	fi
	[ $rc -eq 0 ]
}

repro_all() {
	local t failed=0 n=0 f
	for t in "$@"; do
		for f in "corpora/regressions/$t"/*; do
			[ -f "$f" ] || continue
			case $f in *.desc | *.md) continue ;; esac
			n=$((n + 1))
			if ! out=$(repro_one "$t" "$f" 2>&1); then
				failed=$((failed + 1))
				echo "$out" | tail -n 60
			fi
			echo "$out" | tail -n 1
		done
	done
	echo "repro: $n regression input(s), $failed failed"
	[ $failed -eq 0 ]
}

# ---- minimize, merge, coverage -------------------------------------------------------------------
minimize() {
	local t=$1 file=$2 out=$2.min
	if [[ $file == *.txt ]]; then # a text program: minimize its compiled form
		out=${file%.txt}.min
		"$FZ/rp/$t-compile-seed" "$file" "$FZ/logs/minimize.in" || return 1
		file=$FZ/logs/minimize.in
	fi
	rm -f "$out" # an earlier run's result must not pass for this one's
	"$FZ/lf/$t" -minimize_crash=1 -runs=20000 -max_total_time="$FUZZ_TIME" \
		-exact_artifact_path="$out" "$file" >"$FZ/logs/minimize.log" 2>&1
	if [ ! -f "$out" ]; then
		tail -n 20 "$FZ/logs/minimize.log"
		# a finding of an injected bug crashes only that bug's build
		if [[ $2 =~ findings/bug-([a-z0-9-]+)/ ]]; then
			echo "minimize: $2 is a finding of the injected bug ${BASH_REMATCH[1]}; it crashes" \
				"only that bug's build: make minimize-bug BUG=${BASH_REMATCH[1]} FILE=$2"
		else
			echo "minimize: $2 does not crash this build (make repro FILE=$2 shows what it does)"
		fi
		return 1
	fi
	echo "minimized: $file ($(wc -c <"$file") bytes) -> $out ($(wc -c <"$out") bytes)"
	"$FZ/rp/$t" -d "$out"
	echo "make repro FILE=$out$FZ_AS"
}

# corpora/<target>/ becomes a subset of its inputs, the working corpus and the seeds that keeps
# every feature, taking inputs shortest first (libFuzzer's -merge=1): exec/s falls with the length
# of the programs the fuzzer mutates, so short ones are worth more files. Inputs are cut to the
# harness's max_len, as the fuzzer would cut them. src/ stays as it is.
merge() {
	local t
	for t in "$@"; do
		local out=$FZ/merge/$t before
		rm -rf "$out"
		mkdir -p "$out" "corpora/$t" "$FZ/corpus/$t"
		before=$(count_files "corpora/$t")
		"$FZ/lf/$t" -merge=1 -max_len="$(fz_max_len "$t")" -timeout=10 "$out" "corpora/$t" \
			"$FZ/corpus/$t" "$FZ/seeds/$t" >"$FZ/logs/merge-$t.log" 2>&1 || {
			tail -n 20 "$FZ/logs/merge-$t.log"
			return 1
		}
		find "corpora/$t" -maxdepth 1 -type f -delete
		cp "$out"/* "corpora/$t"/
		echo "merge $t: corpora/$t has $(count_files "corpora/$t") files ($before before)"
	done
}

coverage() {
	local dir=$FZ/coverage t
	rm -rf "$dir"
	mkdir -p "$dir/profiles"
	for t in "$@"; do
		local inputs=()
		for d in "corpora/$t" "$FZ/seeds/$t" "corpora/regressions/$t" "$FZ/corpus/$t"; do
			[ -d "$d" ] && [ "$(count_files "$d")" -gt 0 ] && inputs+=("$d")
		done
		[ ${#inputs[@]} -gt 0 ] || continue
		# one process per input directory (a failing input ends its process: the rest still count)
		local d
		for d in "${inputs[@]}"; do
			LLVM_PROFILE_FILE="$dir/profiles/$t-%p.profraw" "$FZ/cov/$t" "$d" >/dev/null 2>&1 ||
				echo "coverage: some $t input in $d fails (make repro shows which)"
		done
	done
	# the harnesses alone: which driver functions no harness reaches (functions-fuzz.txt)
	local objects=() t2 harness_profiles=() p
	for t2 in "$@"; do
		objects+=(-object "$FZ/cov/$t2")
		for p in "$dir/profiles/$t2"-*.profraw; do [ -f "$p" ] && harness_profiles+=("$p"); done
	done
	local srcs=(driver/*.c)
	llvm-profdata-14 merge -sparse "${harness_profiles[@]}" -o "$dir/fuzz.profdata" || return 1
	llvm-cov-14 report "${objects[@]:1}" -instr-profile="$dir/fuzz.profdata" -show-functions \
		"${srcs[@]}" >"$dir/functions-fuzz.txt" || return 1
	# the driver's tests (COV_TESTS, built with coverage) count with the inputs
	local bin
	for bin in ${COV_TESTS:-}; do
		LLVM_PROFILE_FILE="$dir/profiles/test-%p.profraw" timeout 300 "$bin" >/dev/null 2>&1 ||
			echo "coverage: $bin fails (make test-asan shows why); what it ran still counts"
		objects+=(-object "$bin")
	done
	llvm-profdata-14 merge -sparse "$dir"/profiles/*.profraw -o "$dir/driver.profdata" || return 1
	# the tests' main and the replayer's are two functions of one name: llvm-cov warns that their
	# data do not match, once per replayer; neither is the driver's
	llvm-cov-14 show "${objects[@]:1}" -instr-profile="$dir/driver.profdata" -format=html \
		-use-color=false -show-branches=count -output-dir="$dir/html" "${srcs[@]}" 2>&1 \
		>/dev/null | grep -v 'functions have mismatched data' >&2
	[ "${PIPESTATUS[0]}" = 0 ] || return 1
	llvm-cov-14 report "${objects[@]:1}" -instr-profile="$dir/driver.profdata" -show-branch-summary \
		-use-color=false "${srcs[@]}" 2>&1 >"$dir/report.txt" |
		grep -v 'functions have mismatched data' >&2
	[ "${PIPESTATUS[0]}" = 0 ] || return 1
	cat "$dir/report.txt"
	awk '$1 == "TOTAL" {
		printf "coverage of driver/: lines %s, branches %s, regions %s, functions %s\n", $10, $13, $4, $7
	}' "$dir/report.txt"
	echo "report: $dir/html/index.html"
}

# each signature first seen in this run gets its reproducer minimized right after the campaign
# (MINIMIZE_TIME seconds each, 30 by default); the index then names the smaller one
minimize_new() {
	local entry t sig file min out
	for entry in "${new_signatures[@]}"; do
		IFS=$'\t' read -r t sig file <<<"$entry"
		[ -x "$FZ/lf/$t" ] || continue
		echo "== minimizing the first reproducer of: $sig"
		FUZZ_TIME=$MINIMIZE_TIME minimize "$t" "$file" >/dev/null 2>&1 || {
			echo "   did not shrink: $file stays the reproducer"
			continue
		}
		min=$file.min
		out=$("$FZ/rp/$t" "$min" 2>&1)
		if [ "$t $(finding_signature "$out")" = "$sig" ]; then
			index_smallest "$sig" "$min"
			echo "   $file ($(wc -c <"$file") bytes) -> $min ($(wc -c <"$min") bytes)"
		else
			echo "   the minimized input fails otherwise; $file stays the reproducer"
		fi
	done
	[ ${#new_signatures[@]} -eq 0 ] || index_print
}

case $mode in
libfuzzer)
	for t in "$@"; do libfuzzer_one "$t"; done
	status=0
	print_summary libFuzzer libfuzzer cov ft || status=$?
	known_table "$@"
	minimize_new
	exit $status
	;;
afl)
	for t in "$@"; do afl_one "$t"; done
	status=0
	print_summary AFL++ afl edges stabil || status=$?
	minimize_new
	exit $status
	;;
ci) ci "$@" ;;
repro) repro_one "$1" "$2" ;;
repro-all) repro_all "$@" ;;
minimize) minimize "$1" "$2" ;;
merge) merge "$@" ;;
coverage) coverage "$@" ;;
*)
	echo "run.sh: unknown mode $mode" >&2
	exit 2
	;;
esac

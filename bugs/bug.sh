#!/usr/bin/env bash
# Injected-bug builds (bugs/README.md): copy the tree to build/bugs/<bug>/tree, apply one
# bugs/<bug>.patch there, then fuzz, stress or replay that copy. driver/ is never touched.
#
# usage: bug.sh list | fuzz BUG | stress BUG | repro BUG FILE | minimize BUG FILE | prepare BUG
#        bug.sh check
# env:   TARGET FUZZ_TIME JOBS ENGINE MAX_LEN SCHED BUG_CORPUS=seeds (fuzz; TARGET for repro too)
#        SCENARIO DURATION SAN SEED (stress)  REPRO_RUNS (repro: runs that must agree, 20)
#        BUGS_RUNS (check: runs per input, 20)  BUGS_MAKE_JOBS (parallel compiles, nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
WORK=build/bugs
RUNS=${BUGS_RUNS:-20}
MAKE_JOBS=${BUGS_MAKE_JOBS:-$(nproc)}
# the copy's own make must not see the outer make's command-line variables (BUG=, TARGET=, ...)
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

die() {
	echo "bugs: $*" >&2
	exit 2
}

names() {
	local p
	for p in bugs/*.patch; do
		[ -f "$p" ] && basename "$p" .patch
	done
}

need_bug() {
	[ -n "${1:-}" ] || die "which bug? BUG=<name>, one of: $(names | tr '\n' ' ')"
	[ -f "bugs/$1.patch" ] || die "unknown bug '$1'; known: $(names | tr '\n' ' ')"
}

describe() { sed -n '1s/^# Injected bug [^:]*: //p' "bugs/$1.patch"; }
# hint KEY BUG: harness=, stress=, san= from the patch's third header line
hint() { sed -n "3s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "bugs/$2.patch"; }

# the fuzz build directory of a tree's fuzz.mk (the deterministic shim, its default)
FZ_BUILD=build/fuzz/det

inner_make() { make --no-print-directory -j"$MAKE_JOBS" "$@"; }

# sync_tree NAME: build/bugs/NAME/tree := the tree's sources (mtimes kept, so its build/ stays
# incremental), patched with bugs/NAME.patch unless NAME is "base" (the real driver)
sync_tree() {
	local name=$1 dest=$WORK/$1/tree
	mkdir -p "$dest"
	find "$dest" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
	tar -C "$TOP" --anchored --exclude='./build*' --exclude=./findings --exclude=./stress-logs \
		--exclude=./.git -cf - . | tar -C "$dest" -xf -
	# A new copy starts from objects already built (mtimes kept, so make redoes whatever is older
	# than its sources): a bug's copy from the real driver's copy if there is one, else (and the
	# real driver's copy) from the tree's own replayer objects (make test builds them), so only
	# the patched file recompiles.
	if [ ! -d "$dest/build" ]; then
		local fz
		fz=$FZ_BUILD
		if [ "$name" != base ] && [ -d "$WORK/base/tree/build" ]; then
			cp -a "$WORK/base/tree/build" "$dest/build"
		elif [ -d "$TOP/$fz/rp" ] && [ -d "$TOP/$fz/shim-san" ]; then
			mkdir -p "$dest/$fz"
			cp -a "$TOP/$fz/rp" "$TOP/$fz/shim-san" "$dest/$fz/"
		fi
	fi
	[ "$name" = base ] && return 0
	local patch=$TOP/bugs/$name.patch
	if grep -E '^\+\+\+ ' "$patch" | grep -qvE '^\+\+\+ b/driver/[^/]*\.c([[:space:]]|$)'; then
		die "$patch may change only driver/*.c files"
	fi
	patch -d "$dest" -p1 --fuzz=0 --forward --batch --dry-run -s <"$patch" >/dev/null 2>&1 || {
		patch -d "$dest" -p1 --fuzz=0 --forward --batch --dry-run <"$patch" >&2 || true
		die "bugs/$name.patch no longer applies to driver/ (see above): regenerate it"
	}
	patch -d "$dest" -p1 --fuzz=0 --forward --batch --no-backup-if-mismatch -s <"$patch"
}

# fuzz BUG: the copy's `make fuzz` (libFuzzer by default) on the bug's harness; status 0 only if it
# found something (the point), findings copied to findings/bug-BUG/<target>/
fuzz_bug() {
	local bug=$1 dest=$WORK/$1/tree
	local targets=${TARGET:-$(hint harness "$bug")}
	targets=${targets//,/ } # commas or spaces, as make takes them
	echo "== fuzz-bug $bug: $(describe "$bug")"
	echo "   harness: $targets, FUZZ_TIME=${FUZZ_TIME:-600}s, copy: $dest"
	sync_tree "$bug"
	# every hunt starts afresh: no findings, no working corpus of an earlier hunt
	local fz
	fz=$FZ_BUILD
	rm -rf "$dest/findings" "$dest/$fz/corpus"
	if [ "${BUG_CORPUS:-corpora}" = seeds ]; then
		# only the hand-written seeds (corpora/<target>/src/*.txt), not the merged corpus
		for t in $targets; do find "$dest/corpora/$t" -maxdepth 1 -type f -delete; done
	fi
	local start=$SECONDS rc=0
	# the copy's own repro lines name its findings/: they are copied to findings/bug-BUG/ below,
	# where the bug's build replays them
	inner_make -C "$dest" fuzz TARGET="$targets" FUZZ_TIME="${FUZZ_TIME:-600}" \
		JOBS="${JOBS:-1}" ENGINE="${ENGINE:-libfuzzer}" MAX_LEN="${MAX_LEN:-}" SCHED="${SCHED:-}" \
		REPORT_AFTER=0 2>&1 |
		sed -u -e "s#\(^\|[ (=]\)findings/#\1findings/bug-$bug/#g" \
			-e "s#make repro FILE=#make repro-bug BUG=$bug FILE=#" \
			-e "s#make repro TARGET=#make repro-bug BUG=$bug TARGET=#" ||
		rc=${PIPESTATUS[0]}
	local found=() f t
	for t in $targets; do
		for f in "$dest/findings/$t"/*; do
			[ -f "$f" ] || continue
			case $f in *.log) continue ;; esac
			if [[ $f == *.min ]]; then # a minimized reproducer: copied with its finding
				mkdir -p "findings/bug-$bug/$t"
				cp "$f" "findings/bug-$bug/$t/"
				continue
			fi
			# time to find: the campaign's start marker to the finding; execs: libFuzzer's count
			local secs execs
			secs=$(awk -v a="$(stat -c %.3Y "$f")" -v b="$(stat -c %.3Y "$dest/$fz/logs/$t.start")" \
				'BEGIN { printf "%.1f", a - b }')
			execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dest/$fz/logs/$t.log" |
				paste -sd+ | bc 2>/dev/null || echo '?')
			echo "time-to-find: $bug $t ${secs}s ${execs} execs (corpus: ${BUG_CORPUS:-corpora})"
			python3 report/collect.py bug-fuzz "$bug" "$t" found "$secs" "$execs" \
				"${BUG_CORPUS:-corpora}" || true
			mkdir -p "findings/bug-$bug/$t"
			cp "$f" "findings/bug-$bug/$t/"
			found+=("findings/bug-$bug/$t/$(basename "$f")")
		done
	done
	# the copy's index of its findings, with the paths they have here
	[ -f "$dest/findings/INDEX" ] && sed "s#findings/#findings/bug-$bug/#g" "$dest/findings/INDEX" \
		>"findings/bug-$bug/INDEX"
	echo "== fuzz-bug $bug: $((SECONDS - start)) s in all (build included), ${#found[@]} finding(s)"
	if [ $rc -ne 0 ] && [ ${#found[@]} -eq 0 ]; then
		echo "fuzz-bug: the campaign failed (make status $rc) without a finding: see above" >&2
		return 2
	fi
	if [ ${#found[@]} -eq 0 ]; then
		# the hunt's budget and executions (libFuzzer's counts; empty when there are none)
		local logs=() t2
		for t2 in $targets; do logs+=("$dest/$fz/logs/$t2.log"); done
		python3 report/collect.py bug-fuzz "$bug" "${targets// /,}" missed \
			"$(bash tools/knobs.sh seconds "${FUZZ_TIME:-600}")" \
			"$(sed -n 's/^stat::number_of_executed_units: *//p' "${logs[@]}" 2>/dev/null |
				paste -sd+ | bc 2>/dev/null)" "${BUG_CORPUS:-corpora}" || true
		echo "fuzz-bug: BUG=$bug NOT FOUND by $targets in ${FUZZ_TIME:-600}s" >&2
		return 1
	fi
	for f in "${found[@]}"; do
		echo "found: $f"
		echo "  replay against the bug:  make repro-bug BUG=$bug FILE=$f"
		echo "  and the real driver:     make repro FILE=$f    (it passes there)"
		echo "  shrink it:               make minimize-bug BUG=$bug FILE=$f"
	done
}

# stress BUG: the copy's `make stress`; status 0 only if the run failed (the bug was caught)
stress_bug() {
	local bug=$1 dest=$WORK/$1/tree
	local scenario=${SCENARIO:-$(hint stress "$bug")} san=${SAN:-$(hint san "$bug")}
	local duration=${DURATION:-60} logs=$TOP/stress-logs/bug-$bug
	echo "== stress-bug $bug: $(describe "$bug")"
	echo "   SCENARIO=$scenario DURATION=$duration SAN=$san, logs: $logs"
	sync_tree "$bug"
	local start=$SECONDS rc=0
	# the runner's follow-up lines name the real driver's make stress and make repro: here they
	# are the bug's (stress-bug, repro-bug)
	inner_make -C "$dest" stress SCENARIO="$scenario" DURATION="$duration" SAN="$san" \
		SEED="${SEED:-}" STOP_ON_FAIL=1 STRESS_LOGS="$logs" REPORT_AFTER=0 2>&1 |
		sed -u -e "s#make stress SCENARIO=#make stress-bug BUG=$bug SCENARIO=#" \
			-e "s#make repro TARGET=#make repro-bug BUG=$bug TARGET=#" | tee "$WORK/$bug/stress.out" ||
		rc=${PIPESTATUS[0]}
	echo "== stress-bug $bug: $((SECONDS - start)) s in all (build included)"
	python3 report/collect.py bug-stress "$bug" "$scenario" "$san" "$logs" \
		"$([ "$rc" -eq 0 ] && echo missed || echo caught)" || true
	if [ "$rc" -eq 0 ]; then
		echo "stress-bug: BUG=$bug NOT CAUGHT by $scenario in $duration (SAN=$san)" >&2
		return 1
	fi
	echo "stress-bug: BUG=$bug caught by $scenario (SAN=$san): see the FAIL lines above"
}

# the harness a file is for: TARGET=, else a path component naming one, else the bug's harness
target_of() {
	local file=$1 bug=$2 t
	[ -n "${TARGET:-}" ] && { echo "$TARGET"; return; }
	for t in ioctl frames ops; do
		case /$file/ in */$t/*) echo "$t"; return ;; esac
	done
	hint harness "$bug"
}

# in_tree MAKE-TARGET BUG FILE [VAR=value...]: `make TARGET` on FILE in the bug's copy (repro:
# 20 replays; minimize: libFuzzer -minimize_crash, writes FILE.min)
in_tree() {
	local target=$1 bug=$2 file=$3 dest=$WORK/$2/tree
	shift 3
	[ -f "$file" ] || die "$target-bug: no file '$file'"
	local t
	t=$(target_of "$file" "$bug")
	sync_tree "$bug"
	# the copy's follow-up lines name make repro and make minimize: from here they are the bug's
	local rc=0
	inner_make -C "$dest" "$target" TARGET="$t" FILE="$(realpath "$file")" "$@" 2>&1 |
		sed -u -e "s#make repro FILE=#make repro-bug BUG=$bug FILE=#" \
			-e "s#make minimize FILE=#make minimize-bug BUG=$bug FILE=#" \
			-e "s#\(whole trace[^:]*: \)build/#\1${dest#"$TOP"/}/build/#" || rc=${PIPESTATUS[0]}
	return $rc
}

# replay_n BIN FILE: $passed := how many of RUNS runs exit 0; $first_fail := the first failure's
# report line
replay_n() {
	local bin=$1 file=$2 ok=0 i out rc
	first_fail=
	input_error=
	for ((i = 0; i < RUNS; i++)); do
		rc=0
		out=$(timeout 120 "$bin" "$file" 2>&1) || rc=$? # set -e: a failing replay is a result
		if [ $rc -eq 0 ]; then
			ok=$((ok + 1))
		elif [ $rc -eq 2 ]; then
			# the replayer could not read or parse the input: not a result of the bug
			input_error=$(grep -a -m1 '^replay: ' <<<"$out")
			input_error=${input_error:-"exit 2: $(tail -n 1 <<<"$out")"}
			break
		elif [ -z "$first_fail" ]; then
			local what='CHECK FAILED|^SUMMARY: |DEADLOCK: |PANIC|ERROR: [A-Za-z]*Sanitizer|runtime error|FAIL'
			first_fail=$(grep -aiE "$what" \
				<<<"$out" | head -n 1 | sed 's/==[0-9]*==//; s/ on address.*//' | cut -c1-150)
			[ -n "$first_fail" ] || first_fail=$(tail -n 1 <<<"$out" | cut -c1-150)
		fi
	done
	passed=$ok
}

# check: every bug's saved inputs (corpora/injected/BUG/<target>/*) fail RUNS/RUNS times against
# the bug's build and pass RUNS/RUNS times against the real driver
check() {
	export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 LSAN_OPTIONS=use_poisoned=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	local start=$SECONDS bug t f fz bad=0 n=0
	local bugs
	bugs=$(names)
	for bug in $bugs; do
		compgen -G "corpora/injected/$bug/*/*" >/dev/null ||
			die "bugs-check: no saved input for $bug in corpora/injected/$bug/<target>/"
	done
	echo "== bugs-check: building the real driver's and each bug's replayers in $WORK/"
	sync_tree base
	fz=$FZ_BUILD
	local bins=()
	mapfile -t bins < <(find corpora/injected -mindepth 2 -maxdepth 2 -type d -printf "$fz/rp/%f\n" |
		sort -u)
	inner_make -C "$WORK/base/tree" "${bins[@]}" >"$WORK/base/build.log" 2>&1 ||
		{ tail -n 30 "$WORK/base/build.log"; die "bugs-check: building the real driver failed"; }
	for bug in $bugs; do
		sync_tree "$bug"
		mapfile -t bins < <(find "corpora/injected/$bug" -mindepth 1 -maxdepth 1 -type d \
			-printf "$fz/rp/%f\n")
		inner_make -C "$WORK/$bug/tree" "${bins[@]}" >"$WORK/$bug/build.log" 2>&1 ||
			{ tail -n 30 "$WORK/$bug/build.log"; die "bugs-check: building $bug failed"; }
	done
	echo "== bugs-check: built in $((SECONDS - start)) s; $RUNS runs of each input on each build"
	for bug in $bugs; do
		for f in "corpora/injected/$bug"/*/*; do
			case $f in *.desc | *.md) continue ;; esac
			t=$(basename "$(dirname "$f")")
			n=$((n + 1))
			local mut real why
			replay_n "$WORK/$bug/tree/$fz/rp/$t" "$f"
			mut=$passed why=$first_fail
			local bad_input=$input_error
			replay_n "$WORK/base/tree/$fz/rp/$t" "$f"
			real=$passed
			bad_input=${bad_input:-$input_error}
			local verdict=ok
			if [ -n "$bad_input" ]; then
				echo "FAILED $bug ${f#corpora/injected/}: input error, not a result: $bad_input"
				bad=$((bad + 1))
				continue
			fi
			if [ "$mut" -ne 0 ] || [ "$real" -ne "$RUNS" ]; then
				verdict=FAILED
				bad=$((bad + 1))
			fi
			printf '%-6s %-20s %-40s bug build failed %2d/%d, real driver passed %2d/%d\n' \
				"$verdict" "$bug" "${f#corpora/injected/}" $((RUNS - mut)) "$RUNS" "$real" "$RUNS"
			python3 report/collect.py bug-check "$bug" "${f#corpora/injected/}" $((RUNS - mut)) \
				"$real" "$RUNS" || true
			[ -n "$why" ] && echo "       the bug build's report: $why"
			[ "$real" -eq "$RUNS" ] || echo "       real driver: $first_fail"
		done
	done
	echo "bugs-check: $n input(s) for $(wc -w <<<"$bugs") bug(s), $bad failed, $((SECONDS - start)) s"
	[ $bad -eq 0 ]
}

mode=${1:-}
case $mode in
list)
	for b in $(names); do printf '%-22s %s\n  (%s)\n' "$b" "$(describe "$b")" \
		"$(sed -n '3s/^# //p' "bugs/$b.patch")"; done
	;;
fuzz) need_bug "${2:-}" && fuzz_bug "$2" ;;
stress) need_bug "${2:-}" && stress_bug "$2" ;;
repro | minimize)
	need_bug "${2:-}"
	[ -n "${3:-}" ] || die "$1-bug: FILE=<input> is missing"
	if [ "$1" = repro ]; then
		in_tree repro "$2" "$3"
	else
		in_tree minimize "$2" "$3" FUZZ_TIME="${FUZZ_TIME:-60}"
	fi
	;;
prepare) need_bug "${2:-}" && sync_tree "$2" && echo "$WORK/$2/tree" ;;
check) check ;;
*) die "usage: bug.sh list|check | fuzz|stress|prepare BUG | repro|minimize BUG FILE" ;;
esac

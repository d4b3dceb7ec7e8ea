#!/usr/bin/env bash
# make test-tools (a step of make test): the suite's own entry points given bad knobs must stop
# before anything runs, with the exact one-line error and status 2; good spellings still work; a
# hung test binary is stopped with a stall dump; reports, verdicts, follow-up lines, ctrl+c and
# the daemons' usage errors say what they must (tools/test-tools-runs.sh). Usage:
# test-tools.sh [ASan libshim.a]
set -uo pipefail
cd "$(dirname "$0")/.."
# each make here is a new user's make: not a part of the make that runs this (its jobserver and
# its command-line variables would reach the inner makes)
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
passed=0
failed=0

fail() {
	echo "test-tools: FAIL: $*"
	failed=$((failed + 1))
}

# make_rejects "ARGS" "MESSAGE": `make ARGS` prints exactly "Makefile:N: *** MESSAGE.  Stop." on
# stderr, nothing on stdout, status 2, and runs nothing (make -n would show a recipe line)
make_rejects() {
	local args=$1 message=$2 out err status
	# shellcheck disable=SC2086
	out=$(make --no-print-directory $args 2>/tmp/test-tools.$$.err)
	status=$?
	err=$(cat /tmp/test-tools.$$.err)
	rm -f /tmp/test-tools.$$.err
	if [ $status -ne 2 ]; then
		fail "make $args: status $status, not 2 (stderr: $err)"
	elif ! [[ $err =~ ^Makefile:[0-9]+:\ \*\*\*\ (.*)\.\ \ Stop\.$ ]]; then
		fail "make $args: stderr is not one make error line: $err"
	elif [ "${BASH_REMATCH[1]}" != "$message" ]; then
		fail "make $args: said '${BASH_REMATCH[1]}', expected '$message'"
	elif [ -n "$out" ]; then
		fail "make $args: printed on stdout: $out"
	else
		passed=$((passed + 1))
	fi
}

# make_takes "ARGS" "TEXT": `make -n ARGS` succeeds and its plan contains TEXT
make_takes() {
	local args=$1 text=$2 out
	# shellcheck disable=SC2086
	if ! out=$(make --no-print-directory -n $args 2>&1); then
		fail "make -n $args failed: $(tail -n 1 <<<"$out")"
	elif [[ $out != *"$text"* ]]; then
		fail "make -n $args: the plan does not contain '$text'"
	else
		passed=$((passed + 1))
	fi
}

# script_rejects "ENV" "COMMAND" "MESSAGE": the script, run directly, prints MESSAGE on stderr and
# exits 2 before anything runs (no log folder is made)
script_rejects() {
	local env=$1 command=$2 message=$3 err status logs
	logs=$(mktemp -d)
	# shellcheck disable=SC2086
	err=$(env STRESS_LOGS="$logs" $env $command 2>&1 >/dev/null)
	status=$?
	if [ $status -ne 2 ]; then
		fail "$env $command: status $status, not 2 ($err)"
	elif [ "$err" != "$message" ]; then
		fail "$env $command: said '$err', expected '$message'"
	elif [ -n "$(ls -A "$logs")" ]; then
		fail "$env $command: made $(ls "$logs") before stopping"
	else
		passed=$((passed + 1))
	fi
	rm -rf "$logs"
}

duration="not a duration: use whole seconds above 0 (90), or 90s, 10m, 8h"
seed="not a seed: use a decimal or 0x-hex number of at most 64 bits (0 to 18446744073709551615)"

# plain make prints the help and builds nothing; the help names every part of the suite
out=$(make --no-print-directory 2>&1)
status=$?
plan=$(make --no-print-directory -n 2>&1)
missing=""
for t in test fuzz repro minimize stress stress-bug e2e coverage lint bench clean distclean; do
	grep -qE "^  make $t +[a-zA-Z]" <<<"$out" || missing="$missing $t"
done
if [ $status -ne 0 ] || [[ $out != "Targets (make <target>"* ]] || [[ $out == *"not yet"* ]] ||
	[ -n "$missing" ] || grep -qE '^(clang|gcc|cc|ar) ' <<<"$plan"; then
	fail "plain make: status $status, missing:$missing: $(head -n 3 <<<"$out")"
else
	passed=$((passed + 1))
fi

# durations
for v in abc -5 0 8x 1.5h 8hs; do
	make_rejects "fuzz FUZZ_TIME=$v" "FUZZ_TIME=$v: $duration"
	make_rejects "stress DURATION=$v" "DURATION=$v: $duration"
done
make_rejects "fuzz-smoke SMOKE_TIME=0" "SMOKE_TIME=0: $duration"
make_rejects "fuzz-ci CI_TIME=-1" "CI_TIME=-1: $duration"
make_rejects "stress PROGRESS=0" "PROGRESS=0: $duration"
make_rejects "stress STALL_TIMEOUT=abc" "STALL_TIMEOUT=abc: $duration"
make_rejects "stress OP_BOUND=5q" "OP_BOUND=5q: $duration"
make_rejects "bench BENCH_FUZZ_SECONDS=0" "BENCH_FUZZ_SECONDS=0: $duration"
make_rejects "test-asan TEST_TIMEOUT=soon" "TEST_TIMEOUT=soon: $duration"
make_takes "fuzz FUZZ_TIME=8h" 'FUZZ_TIME="8h"'
[ "$(bash tools/knobs.sh seconds 8h)" = 28800 ] && [ "$(bash tools/knobs.sh seconds 1m)" = 60 ] &&
	[ "$(bash tools/knobs.sh seconds 90s)" = 90 ] && [ "$(bash tools/knobs.sh seconds 90)" = 90 ] &&
	passed=$((passed + 1)) || fail "knobs.sh seconds: 8h, 1m, 90s, 90 are not 28800, 60, 90, 90"

# seeds
for v in xyz -1 12345678901234567890123 18446744073709551616 0x1ffffffffffffffff 0x; do
	make_rejects "stress SEED=$v" "SEED=$v: $seed"
done
make_takes "stress SEED=18446744073709551615" 'SEED="18446744073709551615"'
make_takes "stress SEED=0xffffffffffffffff" 'SEED="0xffffffffffffffff"'

# counts and choices
make_rejects "fuzz JOBS=0" "JOBS=0: not a count: use a whole number above 0"
make_rejects "fuzz-ci CI_RUNS=many" "CI_RUNS=many: not a count: use a whole number above 0"
make_rejects "repro REPRO_RUNS=0" "REPRO_RUNS=0: not a count: use a whole number above 0"
make_takes "repro REPRO_RUNS=3" 'REPRO_RUNS="3"'
make_rejects "fuzz MAX_LEN=-1" \
	"MAX_LEN=-1: not a count: use a whole number above 0, or nothing for the default"
make_rejects "fuzz ENGINE=afx" "ENGINE=afx: use one of: libfuzzer afl"
make_rejects "fuzz DRIVER=haiku" "DRIVER=haiku: use one of: ours upstream"
make_takes "fuzz DRIVER=upstream" 'libfuzzer'
upstream_goals="fuzz fuzz-build fuzz-seeds repro minimize merge findings fuzz-smoke fuzz-ci \
upstream-check stress stress-smoke bench e2e e2e-build fuse-build help"
make_rejects "stress-build DRIVER=upstream" "DRIVER=upstream: 'stress-build' does not take it: it \
builds our driver's stress binaries (make stress builds upstream's); use it with: $upstream_goals"
if [ -n "${HAIKU_SRC:-}" ] || [ -d ../shared/haiku/src ]; then
	make_takes "stress DRIVER=upstream" 'DRIVER="upstream" bash stress/run.sh'
	make_takes "stress DRIVER=upstream" 'build/stress/asan-upstream/stress'
	make_takes "bench DRIVER=upstream" 'bench/side_by_side.py'
	# e2e's daemon for Haiku's driver: a second tuntapfs linked with tunnel.o
	make_takes "-B fuse-build DRIVER=upstream" '-o build/fuse/upstream/tuntapfs'
	# the watchdog demonstration needs our driver's locks: refused before anything is built
	out=$(make --no-print-directory stress DRIVER=upstream INJECT_STALL=unit 2>&1)
	status=$?
	if [ $status -ne 2 ] || [[ $out != "stress: INJECT_STALL=unit: needs our driver (it holds our \
driver's unit locks by name), not DRIVER=upstream"* ]]; then
		fail "make stress DRIVER=upstream INJECT_STALL=unit: status $status: $out"
	else
		passed=$((passed + 1))
	fi
fi
# e2e takes DRIVER=upstream; without Haiku's source it is the one "skipped" line, before any build
out=$(make --no-print-directory e2e DRIVER=upstream HAIKU_SRC= HAIKU_DEFAULT=/nonexistent 2>&1)
status=$?
if [ $status -ne 0 ] || [ "$out" != "make e2e DRIVER=upstream: skipped: no Haiku source (HAIKU_SRC \
unset, no /nonexistent)" ]; then
	fail "make e2e DRIVER=upstream without Haiku's source: status $status: $out"
else
	passed=$((passed + 1))
fi
script_rejects "DRIVER=haiku E2E_LOGS=/nonexistent/e2e" "bash e2e/run.sh" \
	"e2e: DRIVER=haiku: use one of: ours upstream"
make_rejects "fuzz TARGET=foo" \
	"TARGET=foo: 'foo' is not known: use a list of: $(bash -c 'source tools/knobs.sh; knob_harnesses')"
make_rejects "test SAN=adress" "SAN=adress: use one of: asan tsan det none address thread"
make_rejects "stress INJECT_STALL=all" "INJECT_STALL=all: use one of: unit global (or empty)"
make_rejects "fuzz REPORT_AFTER=2" "REPORT_AFTER=2: use one of: 0 1"
make_rejects "bench REPORT_AFTER=yes" "REPORT_AFTER=yes: use one of: 0 1"
make_takes "fuzz REPORT_AFTER=0" '|| st=$?; true; exit $st'
make_takes "stress" '|| st=$?; bash report/after.sh; exit $st'
scenarios=$(bash -c 'source tools/knobs.sh; knob_scenarios')
make_rejects "stress SCENARIO=nope" \
	"SCENARIO=nope: 'nope' is not known: use a list of: $scenarios (or empty: all)"
make_rejects "fuzz-bug BUG=nope" \
	"BUG=nope: use one of: $(bash -c 'source tools/knobs.sh; knob_bugs') (or empty)"
make_takes "fuzz TARGET=ioctl,ops" 'libfuzzer'
make_takes "stress SCENARIO=" 'stress/run.sh'
# every SAN stress/README.md shows is one make stress takes; SAN=det is told apart, before a run
for v in $(grep -oE 'SAN=[a-z]+' stress/README.md | cut -d= -f2 | sort -u); do
	make_takes "stress SAN=$v" 'stress/run.sh'
done
out=$(make --no-print-directory stress SAN=det 2>&1)
status=$?
if [ $status -ne 2 ] || [[ $out != "stress: SAN=det: use SAN=address, thread or none"* ]]; then
	fail "make stress SAN=det: status $status: $out"
else
	passed=$((passed + 1))
fi
# the last scenario of the list too (select-storm was "not known")
make_takes "stress SCENARIO=alloc-churn,$(awk '{print $NF}' <<<"$scenarios")" 'stress/run.sh'
make_takes "stress-smoke" 'stress/run.sh'
# every target with its defaults (as CI calls them) passes the knob check and plans its work
for t in test fuzz fuzz-ci fuzz-smoke merge coverage repro bench stress bugs-check report \
	report-test; do
	make_takes "$t" ''
done
harnesses=$(bash -c 'source tools/knobs.sh; knob_harnesses')
make_rejects "fuzz TARGET=" "TARGET=: empty: use a list of: $harnesses"

# make bisect: revisions are commits of this repository; the script's own usage errors are one
# line and status 2 before any clone or build (make bisect-test runs a whole bisection)
revision="not a commit of this repository: use a hash, branch, tag or HEAD~N"
make_rejects "bisect GOOD=nonsense BAD=HEAD FILE=README.md" "GOOD=nonsense: $revision"
make_rejects "bisect GOOD=HEAD BAD=--all FILE=README.md" "BAD=--all: $revision"
make_takes "bisect GOOD=HEAD BAD=HEAD FILE=README.md" 'tools/bisect.sh'
script_rejects "" "bash tools/bisect.sh" \
	"bisect: usage: make bisect FILE=<reproducer> GOOD=<rev> BAD=<rev> [TARGET=<harness>]"
script_rejects "" "bash tools/bisect.sh /nonexistent HEAD HEAD" \
	"bisect: FILE=/nonexistent: no such readable file"
script_rejects "" "bash tools/bisect.sh README.md HEAD HEAD" \
	"bisect: FILE=README.md: which harness is it for? add TARGET=<one of: $harnesses>"
script_rejects "" "bash tools/bisect.sh README.md HEAD HEAD ops" \
	"bisect: GOOD=HEAD and BAD=HEAD are the same commit"

# make fault-sweep: FILE and DIR are checked knobs; the script's own usage errors are one line
make_rejects "fault-sweep FILE=/nonexistent" "FILE=/nonexistent: no such file or directory"
make_rejects "fault-sweep DIR=/nonexistent" "DIR=/nonexistent: no such directory"
make_takes "fault-sweep TARGET=ops DIR=corpora/ops/src" 'tools/fault-sweep.sh'
script_rejects "" "bash tools/fault-sweep.sh build/fuzz/det ops README.md corpora" \
	"fault-sweep: FILE= and DIR= together: give one"
script_rejects "" "bash tools/fault-sweep.sh build/fuzz/det ops,ioctl README.md" \
	"fault-sweep: FILE=README.md: which harness? add TARGET=<one of: ops ioctl>"
script_rejects "" "bash tools/fault-sweep.sh build/fuzz/det ops corpora" \
	"fault-sweep: FILE=corpora: not a file (DIR= takes a directory)"

# make mutate: its five knobs are checked before anything runs (tools/mutate/README.md)
make_rejects "mutate MUTATE_MAX=0" "MUTATE_MAX=0: not a count: use a whole number above 0"
make_rejects "mutate MUTATE_FUZZ=soon" \
	"MUTATE_FUZZ=soon: not a duration: use whole seconds above 0 (90), or 90s, 10m, 8h, or nothing"
make_rejects "mutate MUTATE_ONLY=HEAD" \
	"MUTATE_ONLY=HEAD: not a range of this repository: use A..B (commits, branches, HEAD~N)"
make_rejects "mutate MUTATE_ONLY=nonsense..HEAD" \
	"MUTATE_ONLY=nonsense..HEAD: not a range of this repository: use A..B (commits, branches, HEAD~N)"
make_rejects "mutate MUTATE_FILES=driver/none.c" \
	"MUTATE_FILES=driver/none.c: 'driver/none.c' is not a driver file:\
 use driver/<name>.c (comma or space separated)"
make_takes "mutate MUTATE_FILES=driver/mtu.c MUTATE_MAX=3 MUTATE_ONLY=HEAD~1..HEAD MUTATE_FUZZ=5s" \
	'MUTATE_FILES="driver/mtu.c"'
make_rejects "mutate MUTATE_RERUN=survivors" \
	"MUTATE_RERUN=survivors: use one of: survived all (or empty)"
make_rejects "mutate-cost MUTATE_RERUN=Killed" "MUTATE_RERUN=Killed: use one of: survived all (or empty)"
make_takes "mutate MUTATE_RERUN=survived" 'MUTATE_RERUN="survived"'
make_takes "mutate-cost MUTATE_MAX=4" 'MUTATE_MAX=4 MUTATE_COST=1'

# SCHED= (every fuzzed input's strategy) and make time-to-find's knobs are checked too
make_rejects "fuzz SCHED=fast" "SCHED=fast: use one of: tape pct chaos mix (or empty)"
make_rejects "time-to-find TTF_SCHEDS=pct,slow" \
	"TTF_SCHEDS=pct,slow: 'slow' is not known: use a list of: tape pct chaos mix (or empty: all)"
make_rejects "time-to-find TTF_TRIALS=0" "TTF_TRIALS=0: not a count: use a whole number above 0"
make_rejects "time-to-find TTF_BUGS=nobug" "TTF_BUGS=nobug: 'nobug' is not known: use a list of:\
 $(bash tools/knobs.sh check TTF_BUGS=nobug | sed 's/.*use a list of: //')"
make_takes "fuzz-bug BUG=flush-uncounted SCHED=pct" 'SCHED="pct"'
make_takes "time-to-find TTF_BUGS=flush-uncounted TTF_SCHEDS=pct,mix TTF_TRIALS=2" 'TTF_TRIALS="2"'

# the stress runner called directly (not through make) checks its knobs the same way
for v in abc -5 0; do
	script_rejects "DURATION=$v" "bash stress/run.sh build/stress/none/stress none" \
		"stress: DURATION=$v: $duration"
done
script_rejects "SEED=xyz" "bash stress/run.sh build/stress/none/stress none" \
	"stress: SEED=xyz: $seed"
script_rejects "PROGRESS=0" "bash stress/run.sh build/stress/none/stress none" \
	"stress: PROGRESS=0: $duration"
script_rejects "DRIVER=haiku" "bash stress/run.sh build/stress/none/stress none" \
	"stress: DRIVER=haiku: use one of: ours upstream"
script_rejects "DRIVER=upstream INJECT_STALL=unit" "bash stress/run.sh build/stress/none/stress none" \
	"stress: INJECT_STALL=unit: needs our driver (DRIVER=ours)"
script_rejects "DRIVER=upstream KNOWN_STRESS=/nonexistent" \
	"bash stress/run.sh build/stress/none/stress none" \
	"stress: KNOWN_STRESS=/nonexistent: no such list"
# the stress list of known upstream findings: its names are the fuzz list's, or it is refused
known_dir=$(mktemp -d)
printf 'queued-packets-keep-deleted-unit\tx\n' >"$known_dir/known"
printf 'no-such-bug\tFAIL [\n' >"$known_dir/known.stress"
err=$(python3 stress/known.py "$known_dir/known.stress" /dev/null 2>&1)
status=$?
if [ $status -ne 2 ] || [ "$err" != "stress/known.py: $known_dir/known.stress:1: 'no-such-bug' is \
not an entry of $known_dir/known" ]; then
	fail "stress/known.py with an unknown name: status $status: $err"
else
	passed=$((passed + 1))
fi
# a slot's failures: a known leak is set aside, anything else besides it is new
printf 'queued-packets-keep-deleted-unit\tleak check (shim_shutdown): net_buffers\tB_ERROR\n' \
	>"$known_dir/known.stress"
printf '%s\n' 'leak check (shim_shutdown): net_buffers: baseline 0, now 3' \
	'FAIL [x seed=1] main: shim_shutdown: B_ERROR (leak check or module unload)' \
	'==1==ERROR: LeakSanitizer: detected memory leaks' >"$known_dir/slot.log"
out=$(python3 stress/known.py "$known_dir/known.stress" "$known_dir/slot.log")
status=$?
[ $status -eq 0 ] && [ "$out" = "$(printf 'known\tqueued-packets-keep-deleted-unit')" ] &&
	passed=$((passed + 1)) || fail "stress/known.py, a known leak: status $status: $out"
echo 'FAIL [x seed=1] reader-0.0: tun/60000: read 20 bytes: bad checksum' >>"$known_dir/slot.log"
out=$(python3 stress/known.py "$known_dir/known.stress" "$known_dir/slot.log")
status=$?
[ $status -eq 1 ] && [[ $out == *"new	FAIL [x seed=1] reader-0.0"* ]] &&
	passed=$((passed + 1)) || fail "stress/known.py, a new failure beside a known one: $status: $out"
rm -rf "$known_dir"
script_rejects "FZ=build/fuzz/det FUZZ_TIME=abc" "bash fuzz/run.sh libfuzzer ioctl" \
	"FUZZ_TIME=abc: $duration"
# the report's generator and the runs' history appender (report/selftest.py checks bad input files)
script_rejects "" "python3 report/build.py --root" "report: --root needs a folder"
script_rejects "" "python3 report/build.py --frobnicate" \
	"report: unknown argument '--frobnicate': use --root DIR, --out DIR, --quiet"
script_rejects "" "python3 report/collect.py libfuzzer ops build/fuzz/det 0 1 marker" \
	"collect: SECONDS 0 is below 1"

# make repro on an input it cannot replay: an input error (status 2, the reason), never a verdict
repro_rejects() {
	local file=$1 reason=$2 out status
	out=$(make --no-print-directory repro TARGET=ops FILE="$file" 2>&1)
	status=$?
	if [ $status -ne 2 ]; then
		fail "make repro FILE=$file: status $status, not 2"
	elif [[ $out != *"replay: $file: $reason"* && $out != *"replay: $file:$reason"* ]]; then
		fail "make repro FILE=$file: does not say '$reason': $out"
	elif [[ $out != *"input error (status 2): nothing was replayed"* ]] ||
		[[ $out == *"runs identical"* ]]; then
		fail "make repro FILE=$file: not told apart from a result: $out"
	else
		passed=$((passed + 1))
	fi
}
if [ -x build/fuzz/det/rp/ops ]; then
	inputs=$(mktemp -d)
	printf 't0 create tap/0\nt0 frobnicate\n' >"$inputs/bad.txt"
	mkdir "$inputs/empty"
	make_rejects "repro TARGET=ops FILE=$inputs/missing.txt" \
		"FILE=$inputs/missing.txt: no such file or directory"
	repro_rejects "$inputs/bad.txt" "2:4: unknown op 'frobnicate'"
	repro_rejects "$inputs/empty" "no inputs in this directory"
	# hand-written programs are strict: every mistake is file:line:column, the token, the choices
	program_rejects() {
		local text=$1 message=$2 err status
		printf '%b' "$text" >"$inputs/p.txt"
		err=$(build/fuzz/det/rp/ops "$inputs/p.txt" 2>&1 >/dev/null)
		status=$?
		if [ $status -ne 2 ] || [ "$err" != "replay: $inputs/p.txt:$message" ]; then
			fail "program '$text': status $status, said '$err', expected ':$message'"
		else
			passed=$((passed + 1))
		fi
	}
	program_rejects 't0 read slot=999 size=1\n' "1:9: slot 999 is out of range 0..255"
	program_rejects 't0 sleep ms=-5\n' "1:10: ms -5 is out of range 0..255"
	program_rejects 't0 create\n' "1:4: missing name: create takes name"
	program_rejects 't0 read slot=0\n' "1:4: missing size: read takes slot size"
	program_rejects 't0 close slot=0 extra\n' "1:17: too many arguments: close takes slot"
	program_rejects 't7 read slot=0 size=1\n' "1:1: no thread 't7': use t0..t3"
	program_rejects 't0 open 0 tap/0 sideways\n' \
		"1:17: unknown mode 'sideways': use one of block, nonblock"
	program_rejects 't0 create tap/0\nt0 up ta\0p/0\n' "2:9: a NUL byte: a text program is text"
	program_rejects 't0 create tap/65536\n' \
		"1:15: unit number 65536 in 'tap/65536' is out of range 0..65535"
	program_rejects 't0 up tun/007\n' \
		"1:11: unit number '007' in 'tun/007' is not a decimal 0..65535 without leading zeros"
	program_rejects 't0 open 0 eth/0 block\n' \
		"1:11: unknown path 'eth/0': use tun/N or tap/N (N 0..65535), or one of tun/clone, tap/clone"
	# any unit the driver accepts works (tap/2 was "unknown symbol"), and -d prints it back
	printf 't0 create tap/2\nt0 open 0 tap/2 block\nt1 create tun/65535\n' >"$inputs/units.txt"
	out=$(build/fuzz/det/rp/ops -v "$inputs/units.txt" 2>&1)
	status=$?
	decoded=$(build/fuzz/det/rp/ops -d "$inputs/units.txt" 2>&1 | tail -n +2)
	if [ $status -ne 0 ] || [[ $out != *"t0 open -> 3"* ]] || [[ $out != *"t1 create -> B_OK"* ]] ||
		[ "$decoded" != "$(printf '%s\n' 't0 create name=tap/2' \
			't0 open slot=0 path=tap/2 mode=block' 't1 create name=tun/65535')" ]; then
		fail "tap/2 and tun/65535 in a program: status $status: $out; decoded: $decoded"
	else
		passed=$((passed + 1))
	fi
	# the failnth header: one line, its argument checked; -d and -v print it back
	program_rejects 'failnth n=1\nt0 create tap/0\nfailnth n=2\n' "3:1: a second failnth line"
	program_rejects 'failnth\n' "1:1: missing n: failnth takes n"
	printf 't0 create tap/2\nfailnth n=3\n' >"$inputs/nth.txt"
	decoded=$(build/fuzz/det/rp/ops -d "$inputs/nth.txt" 2>&1 | tail -n +2)
	out=$(build/fuzz/det/rp/ops -v "$inputs/nth.txt" 2>&1)
	if [ "$decoded" != "$(printf '%s\n' 'failnth n=0x3' 't0 create name=tap/2')" ] ||
		[[ $out != *$'\nfailnth n=0x3\n'* ]]; then
		fail "failnth: decoded '$decoded', traced: $out"
	else
		passed=$((passed + 1))
	fi
	# the sched header: one line, its strategy checked; -d and -v print it, -v notes each choice
	program_rejects 'sched pct depth=3\nsched mix depth=1\n' "2:1: a second sched line"
	program_rejects 'sched fast depth=3\n' \
		"1:7: unknown strategy 'fast': use one of tape, pct, chaos, mix"
	printf 'sched pct depth=1\nt0 create tap/2\nt1 create tun/3\nt2 delete tap/2\n' \
		>"$inputs/sched.txt"
	decoded=$(build/fuzz/det/rp/ops -d "$inputs/sched.txt" 2>&1 | sed -n 2p)
	out=$(build/fuzz/det/rp/ops -v "$inputs/sched.txt" 2>&1)
	if [ "$decoded" != 'sched strategy=pct depth=1' ] ||
		[[ $out != *$'\nsched strategy=pct depth=1\n'* ]] || [[ $out != *"(pct: priority "* ]]; then
		fail "sched: decoded '$decoded', traced: $out"
	else
		passed=$((passed + 1))
	fi
	# a sweep of the real driver: every fault point of the program failed once, nothing found
	out=$(bash tools/fault-sweep.sh build/fuzz/det ops "$inputs/nth.txt" 2>&1)
	if [ $? -ne 0 ] || [[ $out != *"1 input(s), 6 run(s) (fault points: ops 5), 0 failure(s)"* ]]; then
		fail "fault-sweep of a create: $out"
	else
		passed=$((passed + 1))
	fi
	# known findings are set aside only for the upstream driver: ours refuses the list at once
	err=$(FZ_KNOWN=corpora/upstream/known build/fuzz/det/rp/ops "$inputs/units.txt" 2>&1)
	status=$?
	if [ $status -ne 2 ] || [ "$err" != "fuzz ops: FZ_KNOWN=corpora/upstream/known: known findings \
are set aside only in DRIVER=upstream deterministic builds" ]; then
		fail "FZ_KNOWN with our driver: status $status, said '$err'"
	else
		passed=$((passed + 1))
	fi
	ops="create, delete, up, down, open, close, read, write, poll, ioctl, interrupt, send, receive"
	program_rejects 't0 frobnicate\n' "1:4: unknown op 'frobnicate': use one of $ops, failnext, sleep"
	rm -rf "$inputs"
else
	fail "build/fuzz/det/rp/ops is not built: the repro checks need it"
fi

# a finding's report names the op, its thread and the driver line (the last one the op ran), for a
# failed check as for a sanitizer report: an injected lost wake-up replayed on its bug's build
out=$(make --no-print-directory repro-bug BUG=lost-wakeup-delete REPRO_RUNS=3 \
	FILE=corpora/injected/lost-wakeup-delete/ops/delete-under-read.txt 2>&1)
line='^  driver line: driver/wait_queue\.c:[0-9]+ \(tuntap_wait_queue_wait\), the last one the op'
before='^  before it, in the op: driver/devfs_hooks\.c:[0-9]+ \(tuntap_read\)'
check="CHECK FAILED: t1 is still blocked in op [2] read on descriptor 3, whose unit was deleted"
if [[ $out != *"$check (it polls POLLHUP): blocked after delete"$'\n'* ]] ||
	[[ $out != *$'\n  in op [2]: t1 read slot=0 size=2000\n'* ]] ||
	! grep -qE "$line ran\$" <<<"$out" || ! grep -qE "$before" <<<"$out"; then
	fail "make repro-bug BUG=lost-wakeup-delete: no op, thread, driver line: $(tail -n 12 <<<"$out")"
else
	passed=$((passed + 1))
fi

# the rest of what runs things: repro's reports and verdicts, stress and ctrl+c, tuntapfs
# shellcheck source=tools/test-tools-runs.sh
source tools/test-tools-runs.sh

# tuntapctl (fuse/): bad usage and a control path that is not a socket are status 2, told apart
# from a daemon's error (status 1; a daemon's usage error is status 2: tools/test-tools-runs.sh)
ctl=$(mktemp -d)
if ${CC:-clang} -std=gnu11 -D_GNU_SOURCE fuse/tuntapctl.c -o "$ctl/tuntapctl" 2>"$ctl/cc.log"; then
	touch "$ctl/regular"
	err=$("$ctl/tuntapctl" --control "$ctl/regular" list 2>&1)
	status=$?
	if [ $status -ne 2 ] ||
		[ "$err" != "tuntapctl: $ctl/regular is not a socket (tuntapfs --control makes one)" ]; then
		fail "tuntapctl on a regular file: status $status, said '$err'"
	else
		passed=$((passed + 1))
	fi
	"$ctl/tuntapctl" >/dev/null 2>&1
	status=$?
	[ $status -eq 2 ] && passed=$((passed + 1)) || fail "tuntapctl without arguments: status $status"
else
	fail "cannot build fuse/tuntapctl.c: $(cat "$ctl/cc.log")"
fi
rm -rf "$ctl"

# tuntapfs's status -> errno table (fuse/errno_map.c): fixed cases (Haiku's ENOBUFS is ENOBUFS, not
# EIO), and with Haiku's source every POSIX name its Errors.h defines, as Linux's errno or EIO
work=$(mktemp -d)
errors_h=${HAIKU_SRC:-../shared/haiku}/headers/os/support/Errors.h
list=()
if [ -f "$errors_h" ]; then
	awk '
	$1 != "#define" || $2 !~ /^E[A-Z0-9]+$/ { next }
	$3 ~ /^B_TO_POSIX_ERROR\(B_POSIX_ERROR_BASE$/ && $4 == "+" && $5 ~ /^[0-9]+\)$/ {
		n = $5; sub(/\)/, "", n)
		printf "#ifdef %s\n{B_POSIX_ERROR_BASE + %d, %s, \"%s\"},\n", $2, n, $2, $2
		printf "#else\n{B_POSIX_ERROR_BASE + %d, 0, \"%s\"},\n#endif\n", n, $2
		next
	}
	$3 ~ /^B_TO_POSIX_ERROR\(B_[A-Z_]+\)$/ {
		code = $3; sub(/^B_TO_POSIX_ERROR\(/, "", code); sub(/\)$/, "", code)
		printf "#if defined(%s) && defined(%s)\n{%s, %s, \"%s\"},\n#endif\n", code, $2, code,
			$2, $2
	}' "$errors_h" >"$work/haiku_errno.h"
	list=("-DHAIKU_ERRNO_LIST=\"$work/haiku_errno.h\"")
fi
if ${CC:-clang} -std=gnu11 -D_GNU_SOURCE -Wall -Werror -idirafter userland-shim/include \
	-Iuserland-shim -Ifuse "${list[@]}" fuse/tests/errno_map_test.c fuse/errno_map.c \
	-o "$work/errno_map" 2>"$work/cc.log"; then
	out=$("$work/errno_map")
	status=$?
	if [ $status -ne 0 ]; then
		fail "fuse/errno_map.c: $out"
	elif [ -f "$errors_h" ] && ! [[ $out =~ \(([0-9]+)\ from\ Haiku ]] ||
		{ [ -f "$errors_h" ] && [ "${BASH_REMATCH[1]}" -lt 60 ]; }; then
		fail "fuse/errno_map.c: fewer than 60 codes read from $errors_h: $out"
	else
		passed=$((passed + 1))
	fi
else
	fail "cannot build fuse/tests/errno_map_test.c: $(cat "$work/cc.log")"
fi
rm -rf "$work"

# make bench's verdict (bench/goals.py): a figure below its goal is MISSED and fails the run, a
# missing figure is NO DATA; every run is appended to the history
judge=$(mktemp -d)
cat >"$judge/results.json" <<'JSON'
{"handoff": {"throughput_pps": {"64": {"ratio_to_app_vs_fifo": 0.9, "ratio_to_stack_vs_fifo": 0.5},
"1500": {"ratio_to_app_vs_fifo": 1.0, "ratio_to_stack_vs_fifo": 0.8}},
"idle": {"poll_returns": 0, "select_notifications": 0, "process_cpu_percent": 0.01}},
"wakeup": {"data": {"p99": 40}, "interrupt": {"p99": 30}, "delete": {"p99": 10200},
"delete_from_uninit": {"p99": 60}},
"fuzz": {"ioctl": {"exec_per_sec": 60000}, "frames": {"exec_per_sec": 55000}}}
JSON
python3 bench/goals.py "$judge/results.json" "$judge/history.jsonl" >/dev/null
out=$(python3 bench/goals.py "$judge/results.json" "$judge/history.jsonl")
status=$?
if [ $status -ne 1 ] || [[ $out != *"app->stack / fifo"*"0.5"*"MISSED"* ]] ||
	[[ $out != *"fuzz ops exec/s"*"NO DATA"* ]] || [[ $out != *"goals: 12 met, 2 missed"* ]] ||
	[ "$(wc -l <"$judge/history.jsonl")" -ne 2 ]; then
	fail "bench/goals.py: status $status: $out"
else
	passed=$((passed + 1))
fi
rm -rf "$judge"

# make clean keeps what took hours and says so; distclean removes it
tree=$(mktemp -d)
mkdir -p "$tree/tools" "$tree/build/fuzz/det/corpus/ioctl" "$tree/build/fuzz/det/lf" \
	"$tree/build/asan/driver" "$tree/build/bench" "$tree/findings" "$tree/build/history" \
	"$tree/build/report"
cp tools/clean.sh "$tree/tools/"
touch "$tree/build/fuzz/det/corpus/ioctl/input" "$tree/build/fuzz/det/lf/ioctl" \
	"$tree/build/asan/driver/unit_table.o" "$tree/build/bench/history.jsonl" "$tree/build/bench/x" \
	"$tree/build/history/fuzz.jsonl" "$tree/build/report/index.html"
out=$(bash "$tree/tools/clean.sh" clean)
if [ ! -f "$tree/build/fuzz/det/corpus/ioctl/input" ] ||
	[ ! -f "$tree/build/bench/history.jsonl" ] || [ -e "$tree/build/fuzz/det/lf/ioctl" ] ||
	[ ! -f "$tree/build/history/fuzz.jsonl" ] || [ -e "$tree/build/report" ] ||
	[ -e "$tree/build/asan" ] || [[ $out != *"kept build/history"* ]] ||
	[[ $out != *"kept build/fuzz/det/corpus"* ]] || [[ $out != *"kept findings/"* ]]; then
	fail "make clean: removed what it keeps, or kept a build product: $out"
else
	bash "$tree/tools/clean.sh" distclean >/dev/null
	if [ -e "$tree/build" ] || [ -e "$tree/findings" ]; then
		fail "make distclean left $(ls "$tree")"
	else
		passed=$((passed + 1))
	fi
fi
rm -rf "$tree"

# a hung test binary: stopped after TEST_TIMEOUT with the shim's stall dump, and the run goes on
# (tools/run-tests.sh; the binary is tools/tests/hang.c on the ASan shim library, if built)
libshim=${1:-build/asan/libshim.a}
if [ -f "$libshim" ]; then
	work=$(mktemp -d)
	${CC:-clang} -std=gnu11 -D_GNU_SOURCE -Iuserland-shim/include -Iuserland-shim -Idriver \
		-fsanitize=address,undefined tools/tests/hang.c -Wl,--whole-archive "$libshim" \
		-Wl,--no-whole-archive -lpthread -o "$work/hang"
	printf '#!/bin/sh\necho "[  PASSED  ] 1 test(s)."\n' >"$work/after"
	chmod +x "$work/after"
	out=$(TEST_TIMEOUT=2 bash tools/run-tests.sh asan "$work/hang" "$work/after" 2>&1)
	status=$?
	if [ $status -eq 0 ]; then
		fail "run-tests.sh passed a hung binary"
	elif [[ $out != *"hang: HUNG: stopped after 2 s (TEST_TIMEOUT); the stall dump is above"* ]]; then
		fail "run-tests.sh did not say the binary hung: $out"
	elif [[ $out != *'"stuck-reader": waits on semaphore 1 "never released"'* ]]; then
		fail "run-tests.sh: no stall dump naming what the hung thread waits on: $out"
	elif [[ $out != *"[asan] after"*"1 passed, 0 failed"* ]]; then
		fail "run-tests.sh did not go on with the next binary: $out"
	else
		passed=$((passed + 1))
	fi
	rm -rf "$work"
else
	fail "$libshim is not built: the hung-binary check needs it"
fi

echo "test-tools: $passed passed, $failed failed"
[ $failed -eq 0 ]

# shellcheck shell=bash
# The part of make test-tools that runs things: make repro's reports and verdicts, a stress run
# pressed with ctrl+c and resumed, the stress watchdog's rule for shared readers, the FUSE daemon's
# usage errors. Sourced by tools/test-tools.sh (its fail and passed); each case replays a misuse a
# user met and checks the output.

# check WHAT STATUS TEXT...: the last command's $status is STATUS (!0: any but 0) and its $out
# holds every TEXT
check() {
	local what=$1 want=$2 text
	shift 2
	local good=$((status == 0 ? 0 : 1))
	[ "$want" = '!0' ] || good=$((status == want))
	if [ $good -eq 0 ]; then
		fail "$what: status $status, not $want: $(tail -n 5 <<<"$out")"
		return
	fi
	for text in "$@"; do
		[[ $out == *"$text"* ]] || {
			fail "$what: no '$text' in: $(tail -n 5 <<<"$out")"
			return
		}
	done
	passed=$((passed + 1))
}

# a long trace: make repro shows its end, says what it left out and saves the whole of it
runs=$(mktemp -d)
for ((i = 0; i < 150; i++)); do printf 't0 create tun/0\nt0 delete tun/0\n'; done >"$runs/long.txt"
out=$(make --no-print-directory repro TARGET=ops REPRO_RUNS=3 FILE="$runs/long.txt" 2>&1)
status=$?
trace=build/fuzz/det/repro/ops/long.txt.trace
lines=$(wc -l <"$trace" 2>/dev/null || echo 0)
shown=$(awk '/earlier trace lines not shown/ {on = 1; next} /^== the whole trace/ {on = 0}
	on {n++} END {print n + 0}' <<<"$out")
if [ $status -ne 0 ] || [ "$lines" -le 400 ] || [ "$shown" -ne 400 ] ||
	[[ $out != *"   ... $((lines - 400)) earlier trace lines not shown; the whole trace: $trace"* ]] ||
	[[ $out != *"== the whole trace ($lines lines): $trace"* ]]; then
	fail "make repro of a long trace: status $status, $lines lines saved, $shown shown: $(
		grep -E 'trace|runs' <<<"$out")"
else
	passed=$((passed + 1))
fi
rm -f "$trace"

# make repro's verdict on what the deterministic shim reports, through fuzz/run.sh as make repro
# calls it, with a stand-in replayer printing the shim's lines: a deadlock (host_det.c's report,
# in capitals) is a result named by its line, not "no result line"; the 20 runs compare each
# run's digest, not only the exit status
mkdir -p "$runs/rp"
cat >"$runs/rp/ops" <<'EOF'
#!/usr/bin/env bash
[ "$1" = -v ] && printf '[  2] t1 read slot=0 size=2000\n'
printf '%s %s\n%s\n' 'DEADLOCK: every shim thread is blocked and no timer is pending' \
	'(t=+2000017 us, decision 96)' 'scheduler threads:' >&2
exit 134
EOF
cat >"$runs/rp/frames" <<'EOF'
#!/usr/bin/env bash
n=$(cat "${0%/*}/count" 2>/dev/null || echo 0)
echo $((n + 1)) >"${0%/*}/count"
echo "${*: -1}: ok, digest $(printf %016x "$n")"
EOF
chmod +x "$runs/rp/ops" "$runs/rp/frames"
touch "$runs/input"
out=$(FZ=$runs FZ_DET=1 REPRO_RUNS=3 bash fuzz/run.sh repro ops "$runs/input" 2>&1)
status=$?
check "make repro of a deadlock" '!0' \
	"3/3 runs identical: rc=134 DEADLOCK: every shim thread is blocked"
out=$(FZ=$runs FZ_DET=1 REPRO_RUNS=3 bash fuzz/run.sh repro frames "$runs/input" 2>&1)
status=$?
check "make repro of runs whose digests differ" 1 \
	"NOT REPRODUCIBLE: run 1: rc=0 ok, digest 0000000000000000"
# a passing input whose name says "deadlock" is a pass, not a deadlock (the verdict reads the
# shim's "DEADLOCK: " report, not any mention of the word)
out=$(bash -c 'source fuzz/findings.sh; result_of "x/loses-wakeup-deadlock.txt: ok, digest 12ab" 0')
status=$?
check "a reproducer named *deadlock* that passes" 0 "rc=0 ok, digest 12ab"
rm -rf "$runs"

# a sanitizer's report names the op, its thread (the scheduler's trace says which of its ids is
# which of t0..t3) and the driver line, and no trace line runs into it: an injected use after free
out=$(make --no-print-directory repro-bug BUG=unlocked-dequeue REPRO_RUNS=3 \
	FILE=corpora/injected/unlocked-dequeue/ops/read-unlocked-copy.txt 2>&1)
line='^  driver line: driver/devfs_hooks\.c:[0-9]+ \(copy_head_out\), the last one the op ran$'
if ! grep -qE '^fuzz ops: the report above came from op \[[0-9]+\]: t[0-3] read slot=[0-9]+ size=[0-9]+$' \
	<<<"$out" ||
	! grep -qE "$line" <<<"$out" || ! grep -qE '^# thread [0-9]+ is t0$' <<<"$out" ||
	grep -aE '==[0-9]+==ERROR: AddressSanitizer' <<<"$out" | grep -qvE '^==[0-9]+==ERROR' ||
	[[ $out != *"3/3 runs identical: rc=134 ERROR: AddressSanitizer: use-after-poison"* ]]; then
	fail "make repro-bug BUG=unlocked-dequeue: no op, thread, driver line: $(tail -n 12 <<<"$out")"
else
	passed=$((passed + 1))
fi

# stress: ctrl+c (SIGINT to the whole foreground group, as a terminal sends it) ends with the one
# line that resumes the run; that line works, and with slots shorter than PROGRESS each slot still
# ends with the run's progress line
runs=$(mktemp -d)
# (a background job of a script starts with SIGINT ignored, and no group of its own: env gives
# it SIGINT's default back and setsid makes make the leader of a new group)
setsid env --default-signal=INT make --no-print-directory stress SAN=address DURATION=4 \
	SCENARIO=alloc-churn,select-storm SEED=1 STRESS_LOGS="$runs/logs" >"$runs/out" 2>&1 &
group=$!
for ((i = 0; i < 600; i++)); do
	grep -q '^== slot 0' "$runs/out" && break
	kill -0 "$group" 2>/dev/null || break
	sleep 0.2
done
kill -INT -- -"$group" 2>/dev/null
wait "$group"
status=$?
out=$(cat "$runs/out")
resume=$(grep -E '^  make stress RESUME=[^ ]+ SAN=address$' <<<"$out")
# (make's own status is 130, killed by the SIGINT, or 2 when the runner's exit reached it first)
if [ $status -eq 0 ] || [ -z "$resume" ] ||
	[[ $out != *"stress: interrupted in slot 0 of $runs/logs/"*"; it runs again when"* ]]; then
	fail "stress and ctrl+c: status $status, no RESUME line: $out"
else
	passed=$((passed + 1))
	# shellcheck disable=SC2086
	out=$(make --no-print-directory ${resume#  make } 2>&1)
	status=$?
	# every slot's line is followed by the run's progress line before the next slot begins
	unreported=$(awk '/^== slot / {if (open) n++; open = 1} /^\[run / {open = 0}
		END {print n + open}' <<<"$out")
	if [ $status -ne 0 ] || [[ $out != *"stress: resuming $runs/logs/"*" at slot 0"* ]] ||
		! grep -q '^\[run ' <<<"$out" || [ "$unreported" -ne 0 ]; then
		fail "stress RESUME=: status $status, $unreported slot(s) without a progress line: $out"
	else
		passed=$((passed + 1))
	fi
fi
rm -rf "$runs"

# stress's watchdog and readers sharing a descriptor (stress/README.md, "The watchdog"): the rule
# itself (a starved reader fired under the old rule, not under the new one; stalls still fire),
# then a real stall of every reader of a unit (INJECT_STALL=unit, seed 1: unit 0 has three
# blocking readers) still fires, with the unit's traffic during the stuck read
runs=$(mktemp -d)
if ! out=$(${CC:-clang} -std=gnu11 -Wall -Wextra -Werror -Istress tools/tests/wait_rule_test.c \
	-o "$runs/wait_rule_test" 2>&1); then
	fail "cannot build tools/tests/wait_rule_test.c: $out"
else
	out=$("$runs/wait_rule_test" 2>&1)
	status=$?
	check "the watchdog's rule for shared readers (wait_rule_test)" 0 \
		"starved reader, old rule: fires (expected fires)" \
		"starved reader, new rule: quiet (expected quiet)" \
		"all readers stuck, no read ever: fires (expected fires)" "wait_rule_test: 0 failed"
fi
if ! out=$(make --no-print-directory build/stress/asan/stress 2>&1); then
	fail "cannot build the stress binary: $(tail -n 5 <<<"$out")"
else
	out=$(timeout 120 build/stress/asan/stress --scenario ctrlc-storm --seed 1 --duration 20 \
		--inject-stall unit 2>&1)
	status=$?
	check "stress INJECT_STALL=unit on three readers of one descriptor" 3 \
		"u0=tun,r3,p0," "WATCHDOG [ctrlc-storm seed=1]: reader-0." " blocked in read on unit 0 for " \
		"traffic of tun/60000 during reader-0." "3 blocking reader(s) share its descriptor" \
		"the stack sent "
fi
rm -rf "$runs"

# tuntapfs: a bad option is named (status 2); through a daemon, tuntapctl create tun/65536 gives
# the unit range (status 2: bad usage). Needs libfuse3 (and a FUSE mount for the second)
if ! pkg-config --exists fuse3 || [ ! -e /usr/include/fuse3/fuse_lowlevel.h ]; then
	echo "test-tools: skipped tuntapfs --bogus and tuntapctl create tun/65536: libfuse3 is missing" \
		"(apt-get install -y fuse3 libfuse3-dev)"
elif ! out=$(make --no-print-directory build/fuse/asan/tuntapfs build/fuse/tuntapctl 2>&1); then
	fail "cannot build tuntapfs: $(tail -n 5 <<<"$out")"
else
	err=$(build/fuse/asan/tuntapfs --bogus 2>&1 >/dev/null)
	status=$?
	if [ $status -ne 2 ] || [ "$(head -n 1 <<<"$err")" != "tuntapfs: unknown option --bogus" ]; then
		fail "tuntapfs --bogus: status $status, said '$err'"
	else
		passed=$((passed + 1))
	fi
	runs=$(mktemp -d)
	mkdir "$runs/mnt"
	build/fuse/asan/tuntapfs "$runs/mnt" --control "$runs/ctl" --foreground >"$runs/log" 2>&1 &
	daemon=$!
	for ((i = 0; i < 100; i++)); do
		[ -S "$runs/ctl" ] && grep -q 'mounted on' "$runs/log" && break
		kill -0 "$daemon" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q 'mounted on' "$runs/log"; then
		echo "test-tools: skipped tuntapctl create tun/65536: no FUSE mount here:" \
			"$(head -n 1 "$runs/log")"
	else
		err=$(build/fuse/tuntapctl --control "$runs/ctl" create tun/65536 2>&1)
		status=$?
		range="tuntapctl: create: tun/65536 is not tun/N or tap/N (N: 0..65535, no leading zero)"
		if [ $status -ne 2 ] || [ "$err" != "$range" ]; then
			fail "tuntapctl create tun/65536: status $status, said '$err'"
		else
			passed=$((passed + 1))
		fi
	fi
	kill -TERM "$daemon" 2>/dev/null
	wait "$daemon"
	mountpoint -q "$runs/mnt" && fusermount3 -u -z "$runs/mnt"
	rm -rf "$runs"
fi

# follow-up lines: every command printed works from the repository root and does what it says.
# The injected-bug targets (bugs/bug.sh, as make fuzz-bug, minimize-bug and stress-bug run it)
# run make in a copy of the tree; here that make is a stand-in on PATH
# printing what make fuzz, make minimize and make stress print there (their repro lines name the
# copy's files), so what is checked is bug.sh's part: the lines rewritten for the bug, the finding
# copied where the line says, the exit status as printed. Plain make minimize on a bug's finding
# runs fuzz/run.sh with a stand-in libFuzzer that does not crash, as the real driver does not.
runs=$(mktemp -d)
mkdir -p "$runs/bin" "$runs/lf" "$runs/logs"
cat >"$runs/bin/make" <<'EOF'
#!/usr/bin/env bash
dir=. target=
while [ $# -gt 0 ]; do
	case $1 in
	-C) dir=$2 && shift ;;
	-*) ;;
	*=*) export "${1?}" ;;
	*) target=$1 ;;
	esac
	shift
done
case $target in
fuzz) # run.sh's lines for one finding; make fuzz fails with it (make's status 2)
	mkdir -p "$dir/findings/ops" "$dir/build/fuzz/det/logs"
	touch "$dir/build/fuzz/det/logs/ops.start" "$dir/build/fuzz/det/logs/ops.log"
	echo crash >"$dir/findings/ops/crash-test-tools"
	printf '%s\n' '  finding: findings/ops/crash-test-tools' \
		'    make repro FILE=findings/ops/crash-test-tools' \
		'findings (each reproduces with its line):' '  make repro FILE=findings/ops/crash-test-tools'
	exit 2 ;;
minimize) # run.sh minimize's last lines, for the absolute FILE bug.sh passes
	printf '%s\n' "minimized: $FILE (8 bytes) -> $FILE.min (4 bytes)" "make repro FILE=$FILE.min"
	exit 0 ;;
stress) # stress/run.sh's lines for a failing slot and its ops program
	printf '%s\n' 'FAIL: reproduce: make stress SCENARIO=delete-storm SEED=7 DURATION=30 SAN=address' \
		"FAIL: ops replay: make repro TARGET=ops FILE=$STRESS_LOGS/run/fail-0000.ops.txt"
	exit 2 ;;
esac
exit 99
EOF
printf '#!/bin/sh\nexit 0\n' >"$runs/lf/ops"
chmod +x "$runs/bin/make" "$runs/lf/ops"
bug=lost-wakeup-delete
found=findings/bug-$bug/ops/crash-test-tools
[ -e "$found" ] && fail "$found exists: the follow-up test would overwrite it" # never someone's
out=$(PATH=$runs/bin:$PATH TARGET=ops bash bugs/bug.sh fuzz $bug 2>&1)
status=$?
if [ $status -ne 0 ] || [ ! -f "$found" ] || [[ $out == *"make status"* ]] ||
	[[ $out != *"    make repro-bug BUG=$bug FILE=$found"* ]] ||
	[[ $out != *"  make repro-bug BUG=$bug FILE=$found"$'\n'* ]] ||
	[[ $out != *"  shrink it:               make minimize-bug BUG=$bug FILE=$found"* ]]; then
	fail "make fuzz-bug: status $status, $found $([ -f "$found" ] || echo not) copied: $out"
else
	passed=$((passed + 1))
fi
rm -f "$found"
rmdir -p "${found%/*}" 2>/dev/null
echo crash >"$runs/crash-1"
out=$(PATH=$runs/bin:$PATH bash bugs/bug.sh minimize $bug "$runs/crash-1" 2>&1)
status=$?
check "make minimize-bug" 0 $'\n'"make repro-bug BUG=$bug FILE=$runs/crash-1.min"
out=$(PATH=$runs/bin:$PATH bash bugs/bug.sh stress $bug 2>&1)
status=$?
check "make stress-bug" 0 "FAIL: reproduce: make stress-bug BUG=$bug SCENARIO=" \
	"FAIL: ops replay: make repro-bug BUG=$bug TARGET=ops FILE="
mkdir -p "$runs/findings/bug-$bug/ops"
echo crash >"$runs/findings/bug-$bug/ops/crash-2"
out=$(FZ=$runs bash fuzz/run.sh minimize ops "$runs/findings/bug-$bug/ops/crash-2" 2>&1)
status=$?
check "make minimize on a bug's finding" 1 "it crashes only that bug's build: make minimize-bug" \
	"BUG=$bug FILE=$runs/findings/bug-$bug/ops/crash-2"

rm -rf "$runs"

#!/usr/bin/env bash
# Helpers for the end-to-end test, sourced by run.sh: results, background processes tracked by PID,
# bounded waits, CPU times from /proc.
# shellcheck disable=SC2034 # REAP_STATUS, BG_PID and the counters are read by run.sh

E2E_SHELL=$$   # the script's shell: the parent of every process it may signal
E2E_PIDS=()    # background processes started by bg_start, not reaped yet
E2E_PASSED=0
E2E_FAILED=0
E2E_RESULTS=() # one line per check, repeated in the summary
REAP_STATUS=0  # set by reap

# tick: NOW_NS := the wall clock in ns (microsecond resolution; a builtin, no fork)
tick() {
	NOW_NS=$((${EPOCHREALTIME/[.,]/} * 1000))
}

now_ns() {
	tick
	echo "$NOW_NS"
}

# milliseconds since a now_ns value
ms_since() {
	tick
	echo $(((NOW_NS - $1) / 1000000))
}

# nap SECONDS: sleep without forking (a read with a timeout on a pipe nobody writes to), so that
# polling loops see an exit within milliseconds even when fork is slow on a loaded machine
E2E_NAP_FD=
nap() {
	[ -n "$E2E_NAP_FD" ] || exec {E2E_NAP_FD}<> <(:)
	read -r -t "$1" -u "$E2E_NAP_FD" _ || true
}

note() {
	echo "e2e: $*"
}

pass() {
	E2E_PASSED=$((E2E_PASSED + 1))
	E2E_RESULTS+=("PASS $*")
	echo "e2e: PASS $*"
}

fail() {
	E2E_FAILED=$((E2E_FAILED + 1))
	E2E_RESULTS+=("FAIL $*")
	echo "e2e: FAIL $*"
}

# bg_start NAME CMD...: start CMD in the background, output to $LOGDIR/NAME.log; sets BG_PID
bg_start() {
	local name=$1
	shift
	"$@" >>"$LOGDIR/$name.log" 2>&1 </dev/null &
	BG_PID=$!
	E2E_PIDS+=("$BG_PID")
}

# is_gone PID: PID is no longer a live child of this script: exited (a zombie, or already reaped by
# bash, when the number may since have gone to another process: pid_max can be 32768)
is_gone() {
	local stat fields
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
	read -r -a fields <<<"${stat##*) }"
	[ "${fields[0]}" = Z ] || [ "${fields[1]}" != "$E2E_SHELL" ]
}

# signal SIG PID: send SIG to PID if it is still a live child of this script
signal() {
	is_gone "$2" || kill "-$1" "$2" 2>/dev/null || true
}

# wait_gone PID MS: wait up to MS milliseconds for PID to exit
wait_gone() {
	tick
	local pid=$1 deadline=$((NOW_NS + $2 * 1000000))
	while ! is_gone "$pid"; do
		tick
		[ "$NOW_NS" -lt "$deadline" ] || return 1
		nap 0.005
	done
}

# reap PID: collect the exit status of an exited child into REAP_STATUS, stop tracking it
reap() {
	local pid=$1 p kept=()
	REAP_STATUS=0
	wait "$pid" 2>/dev/null || REAP_STATUS=$?
	for p in "${E2E_PIDS[@]}"; do
		[ "$p" = "$pid" ] || kept+=("$p")
	done
	E2E_PIDS=("${kept[@]}")
}

# stop_pid PID [SIGNAL]: signal a child we started (TERM by default), KILL it after 2 s, reap it
stop_pid() {
	local pid=$1 sig=${2:-TERM}
	signal "$sig" "$pid"
	if ! wait_gone "$pid" 2000; then
		signal KILL "$pid"
		wait_gone "$pid" 2000 || {
			note "process $pid does not die (blocked in the kernel?)"
			return 0
		}
	fi
	reap "$pid"
}

# wait_until MS CMD...: run CMD every 20 ms until it succeeds; fail after MS milliseconds
wait_until() {
	tick
	local deadline=$((NOW_NS + $1 * 1000000))
	shift
	until "$@" >/dev/null 2>&1; do
		tick
		[ "$NOW_NS" -lt "$deadline" ] || return 1
		nap 0.02
	done
}

# cpu_ticks PID: utime + stime of PID in clock ticks, from /proc/PID/stat (0 if it is gone)
cpu_ticks() {
	local stat fields
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || {
		echo 0
		return 0
	}
	read -r -a fields <<<"${stat##*) }"
	# after "pid (comm) ", field 3 (state) is index 0: utime (14) is 11, stime (15) is 12
	echo $((fields[11] + fields[12]))
}

# in_syscall PID NR: PID is blocked in system call NR (0 read, 7 poll, 271 ppoll on x86_64)
in_syscall() {
	local sc
	{ read -r sc <"/proc/$1/syscall"; } 2>/dev/null || return 1
	[ "${sc%% *}" = "$2" ]
}

# shellcheck shell=bash
# Known findings set aside in DRIVER=upstream libFuzzer campaigns (fuzz/known.c does it in the
# harness): each job's environment and restarts, its executions, the table of hits. Sourced by run.sh.

KNOWN_LIST=${KNOWN_LIST:-corpora/upstream/known}
KNOWN_MARK="== known findings set aside: run"

# true when this run sets known findings aside: DRIVER=upstream and the list is there (our driver
# never: every failure of ours is a finding)
known_on() { [ "$DRIVER" = upstream ] && [ -f "$KNOWN_LIST" ]; }

# known_job TARGET JOB LOG COMMAND...: one libFuzzer job, COMMAND without -max_total_time. Setting
# known findings aside, a new finding ends a run but not the job: it starts again (the working
# corpus kept) until FUZZ_TIME is spent, each run's log appended after a KNOWN_MARK line and its
# hits in $FZ/logs/TARGET.known.JOB.RUN. Status: the first failing run's, else 0.
known_job() {
	local t=$1 i=$2 log=$3
	shift 3
	if ! known_on; then
		"$@" -max_total_time="$FUZZ_TIME" >"$log" 2>&1
		return
	fi
	rm -f "$FZ/logs/$t.known.$i".*
	: >"$log"
	local start=$SECONDS left run=0 rc=0 status=0 began
	while left=$((FUZZ_TIME - (SECONDS - start))) && [ $left -gt 0 ]; do
		began=$SECONDS
		echo "$KNOWN_MARK $run, ${left}s left" >>"$log"
		# a fresh boot for every input: with one boot kept, an input that passes can leave a
		# known bug armed (a failed tunnel_init's dangling device) and every later input then hits it
		FUZZ_REBOOT=1 FZ_KNOWN=$KNOWN_LIST FZ_KNOWN_COUNTS=$FZ/logs/$t.known.$i.$run "$@" \
			-max_total_time=$left >>"$log" 2>&1
		rc=$?
		[ $status -ne 0 ] || status=$rc
		# 0: the time is up; 2: a refused list or argument, which would only repeat; any other:
		# a new finding (saved; libFuzzer's 77, or a sanitizer's abort), unless the run did not
		# even last 2 s
		if [ $rc -eq 0 ] || [ $rc -eq 2 ] || [ $((SECONDS - began)) -lt 2 ]; then
			break
		fi
		run=$((run + 1))
	done
	return $status
}

# job_execs LOG: the executions of one job's log: its final stats; a run that crashed printed none
# and counts 0, except in a known-findings job, where it counts its last progress line
job_execs() {
	awk -v mark="$KNOWN_MARK" '
		function flush() { total += stat != "" ? stat : (known ? last : 0); stat = ""; last = 0 }
		index($0, mark) == 1 { if (known) flush(); known = 1; next }
		/^stat::number_of_executed_units:/ { stat = $2 }
		/^#[0-9]+/ { last = substr($1, 2) + 0 }
		END { flush(); print total + 0 }' "$1"
}

# known_hits TARGET [JOB]: total hits so far (all jobs if JOB is not given)
known_hits() {
	cat "$FZ/logs/$1.known.${2:-*}".* 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'
}

# known_table TARGET...: the hits of every entry of the list, per harness (never silent: each entry
# is a row, 0 included)
known_table() {
	known_on || return 0
	echo "known findings set aside ($KNOWN_LIST; fuzz/known.c): hits per harness"
	printf '  %-36s' entry
	local t
	for t in "$@"; do printf ' %8s' "$t"; done
	echo
	local name
	while read -r name; do
		printf '  %-36s' "$name"
		for t in "$@"; do
			cat "$FZ/logs/$t.known."* 2>/dev/null |
				awk -F'\t' -v n="$name" '$2 == n { c += $1 } END { printf " %8d", c }'
		done
		echo
	done < <(grep -v '^#' "$KNOWN_LIST" | cut -f1 | grep .)
}

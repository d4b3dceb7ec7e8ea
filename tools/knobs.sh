#!/usr/bin/env bash
# The one parser of the suite's make knobs: each knob's kind (duration, count, seed, choice, list)
# and its check, run before anything else. Sourced for its functions, or run as a command.
#
#   knobs.sh check NAME=VALUE...   nothing and status 0, or one line naming the first bad knob,
#                                  its value and what is accepted, and status 2
#   knobs.sh seconds VALUE         a checked duration in seconds (90, 90s, 10m, 8h)
#
# Durations are whole numbers above 0 with an optional unit s, m or h; counts whole numbers above
# 0; seeds decimal or 0x-hex numbers that fit 64 bits; choices one of a fixed set (harnesses,
# scenarios and injected bugs are read from the tree); revisions a commit of the tree's repository.

knobs_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

knob_harnesses() {
	local f
	for f in "$knobs_root"/fuzz/targets/*.c; do basename "$f" .c; done | xargs
}

knob_bugs() {
	local f
	for f in "$knobs_root"/bugs/*.patch; do basename "$f" .patch; done | xargs
}

# the scenarios' names, from their definitions in stress/*.c (`const struct scenario kX = {"name"`)
knob_scenarios() {
	grep -h -A1 '^const struct scenario ' "$knobs_root"/stress/*.c | tr '\n' ' ' |
		grep -o 'const struct scenario k[A-Za-z]* = {[[:space:]]*"[a-z-]*"' | grep -o '"[a-z-]*"' |
		tr -d '"' | sort | xargs
}

# the kind of a knob, and for choices the choices
knob_kind() {
	case $1 in
	FUZZ_TIME | SMOKE_TIME | CI_TIME | OSS_FUZZ_TIME | MINIMIZE_TIME | DURATION | SLOT_MAX | \
		STALL_TIMEOUT | OP_BOUND | CALL_BOUND | PROMPT_BOUND | PROGRESS | BENCH_FUZZ_SECONDS | \
		TEST_TIMEOUT)
		echo duration ;;
	CI_RUNS | JOBS | REPRO_RUNS | MUTATE_MAX | TTF_TRIALS) echo count ;;
	MUTATE_FUZZ) echo "duration or empty" ;;
	MUTATE_ONLY) echo "revision range" ;;
	MUTATE_FILES) echo "driver files" ;;
	MUTATE_RERUN) echo "one of: survived all (or empty)" ;;
	MAX_LEN) echo "count or empty" ;;
	SEED) echo "seed or empty" ;;
	ENGINE) echo "one of: libfuzzer afl" ;;
	DRIVER) echo "one of: ours upstream" ;;
	SAN) echo "one of: asan tsan det none address thread" ;;
	INJECT_STALL) echo "one of: unit global (or empty)" ;;
	STOP_ON_FAIL | REPORT_AFTER) echo "one of: 0 1" ;;
	FZ_DET) echo "one of: 1 (or empty)" ;;
	SCHED) echo "one of: tape pct chaos mix (or empty)" ;;
	TTF_SCHEDS) echo "list of: tape pct chaos mix (or empty: all)" ;;
	TTF_BUGS) echo "list of: $(knob_bugs) (or empty: all)" ;;
	TARGET) echo "list of: $(knob_harnesses)" ;;
	SCENARIO) echo "list of: $(knob_scenarios) (or empty: all)" ;;
	BUG) echo "one of: $(knob_bugs) (or empty)" ;;
	GOOD | BAD) echo revision ;;
	FILE) echo "file, directory or empty" ;;
	DIR) echo "directory or empty" ;;
	*) echo unknown ;;
	esac
}

# knob_seconds VALUE: prints the seconds of a valid duration; status 1 (nothing printed) if invalid
knob_seconds() {
	[[ $1 =~ ^0*([1-9][0-9]{0,8})([smh]?)$ ]] || return 1
	local unit=1
	case ${BASH_REMATCH[2]} in m) unit=60 ;; h) unit=3600 ;; esac
	echo $((BASH_REMATCH[1] * unit))
}

# knob_to_seconds NAME DEFAULT: the duration knob NAME (DEFAULT when unset or empty) becomes its
# seconds, in place; a bad value is the knob's one-line error on stderr and exit 2 (call it in the
# script's own shell, not in $(...))
knob_to_seconds() {
	local name=$1 value=${!1:-$2} seconds
	seconds=$(knob_seconds "$value") || {
		echo "$name=$value: $(knob_problem "$name" "$value")" >&2
		exit 2
	}
	printf -v "$name" '%s' "$seconds"
}

# a decimal or 0x-hex number that fits 64 bits
knob_is_seed() {
	local v=$1
	if [[ $v =~ ^0[xX]0*([0-9a-fA-F]{1,16})$ ]]; then
		return 0
	fi
	[[ $v =~ ^0*([0-9]{1,20})$ ]] || return 1
	local digits=${BASH_REMATCH[1]}
	[ ${#digits} -lt 20 ] || [[ ! $digits > 18446744073709551615 ]]
}

# a checked seed in decimal (0x-hex converted; leading zeros are not octal)
knob_seed_decimal() {
	if [[ $1 =~ ^0[xX] ]]; then
		printf '%u' "$1"
	else
		printf '%u' "$((10#$1))"
	fi
}

# knob_problem NAME VALUE: nothing if the value is fine, else what is accepted
knob_problem() {
	local name=$1 value=$2 kind
	kind=$(knob_kind "$name")
	case $kind in
	unknown) ;;
	duration)
		knob_seconds "$value" >/dev/null ||
			echo "not a duration: use whole seconds above 0 (90), or 90s, 10m, 8h" ;;
	count)
		[[ $value =~ ^0*[1-9][0-9]{0,8}$ ]] || echo "not a count: use a whole number above 0" ;;
	"count or empty")
		[ -z "$value" ] || [[ $value =~ ^0*[1-9][0-9]{0,8}$ ]] ||
			echo "not a count: use a whole number above 0, or nothing for the default" ;;
	"seed or empty")
		[ -z "$value" ] || knob_is_seed "$value" ||
			echo "not a seed: use a decimal or 0x-hex number of at most 64 bits" \
				"(0 to 18446744073709551615)" ;;
	revision)
		# not an option to git; a commit (hash, branch, tag, HEAD~3) of this repository
		[[ $value != -* ]] &&
			git -C "$knobs_root" rev-parse --verify --quiet "$value^{commit}" >/dev/null 2>&1 ||
			echo "not a commit of this repository: use a hash, branch, tag or HEAD~N" ;;
	"duration or empty")
		[ -z "$value" ] || knob_seconds "$value" >/dev/null ||
			echo "not a duration: use whole seconds above 0 (90), or 90s, 10m, 8h, or nothing" ;;
	"revision range")
		# A..B (git diff A..B: the changed lines of B), each side a commit
		local side ok=1
		for side in ${value/../ }; do
			[[ $side != -* ]] &&
				git -C "$knobs_root" rev-parse --verify --quiet "$side^{commit}" >/dev/null 2>&1 ||
				ok=0
		done
		[[ $value == *..* ]] && [ $ok -eq 1 ] ||
			echo "not a range of this repository: use A..B (commits, branches, HEAD~N)" ;;
	"driver files")
		local item
		for item in $(tr ',' ' ' <<<"$value"); do
			if ! [[ $item =~ ^driver/[a-z_]+\.c$ ]] || ! [ -f "$knobs_root/$item" ]; then
				echo "'$item' is not a driver file: use driver/<name>.c (comma or space separated)"
				return
			fi
		done
		[ -n "$(xargs <<<"${value//,/ }")" ] || echo "empty: use driver/<name>.c files" ;;
	"file, directory or empty")
		[ -z "$value" ] || [ -r "$value" ] || echo "no such file or directory" ;;
	"directory or empty")
		[ -z "$value" ] || [ -d "$value" ] || echo "no such directory" ;;
	"one of: "*)
		local choices=${kind#one of: } allowed
		allowed=" ${choices% (or empty)} "
		if [ -z "$value" ]; then
			[[ $choices == *"(or empty)" ]] || echo "empty: use $kind"
		elif [[ $allowed != *" $value "* ]]; then
			echo "use $kind"
		fi ;;
	"list of: "*)
		local choices=" ${kind#list of: } " item items
		choices="${choices% (or empty: all) } " # the last choice keeps its space after it
		items=$(tr ',' ' ' <<<"$value" | xargs)
		if [ -z "$items" ]; then
			[[ $kind == *"(or empty: all)" ]] || echo "empty: use a $kind"
			return
		fi
		for item in $items; do
			[[ $choices == *" $item "* ]] || { echo "'$item' is not known: use a $kind"; return; }
		done ;;
	esac
}

knobs_main() {
	local command=${1:-}
	shift || true
	case $command in
	check)
		local pair name value problem
		for pair in "$@"; do
			name=${pair%%=*}
			value=${pair#*=}
			problem=$(knob_problem "$name" "$value")
			if [ -n "$problem" ]; then
				echo "$name=$value: $problem"
				exit 2
			fi
		done ;;
	seconds)
		knob_seconds "${1:-}" || {
			echo "knobs: '${1:-}' is not a duration (90, 90s, 10m, 8h)" >&2
			exit 2
		} ;;
	*)
		echo "usage: knobs.sh check NAME=VALUE... | knobs.sh seconds VALUE" >&2
		exit 2 ;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	knobs_main "$@"
fi

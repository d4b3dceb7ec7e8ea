#!/usr/bin/env bash
# make bisect: the first commit where a reproducer fails, by `git bisect run` in a temporary clone
# with the file's deterministic replayer, so every step's verdict is exact (README "Bisecting").
#
# usage: bisect.sh FILE GOOD BAD [TARGET]   (GOOD and BAD already checked by tools/knobs.sh)
#        bisect.sh step CLONE TARGET INPUT LOG   (what git bisect runs at each commit)
# env:   BISECT_JOBS (parallel compiles, nproc)
#
# A step builds build/fuzz/det/rp/<target> in the clone (incrementally: the clone and its build/
# live through the whole bisection) and replays the input twice: both pass is good (exit 0), both
# fail with the same first report line is bad (1), a commit that cannot build it or whose harness
# cannot read the input is skipped (125), two runs that disagree stop the bisection (255: not
# deterministic, no verdict can be trusted).
set -uo pipefail
# the clone's makes are a new user's makes: not parts of the make that runs this one
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

die() {
	echo "bisect: $*" >&2
	exit 2
}

# the sanitizer settings of every replay (as make bugs-check replays)
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 LSAN_OPTIONS=use_poisoned=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# replay RP INPUT: "pass <digest line>" or "fail <first report line>" or "input <error>"
replay() {
	local out rc line
	out=$(timeout 300 "$1" "$2" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "pass $(grep -a -m1 -o 'digest [0-9a-f]*' <<<"$out")"
	elif [ $rc -eq 2 ]; then
		echo "input $(grep -a -m1 '^replay: \|: [0-9]*:[0-9]*: ' <<<"$out" | cut -c1-160)"
	else
		local what='CHECK FAILED|PANIC|ERROR: [A-Za-z]*Sanitizer|runtime error|DEADLOCK'
		line=$(grep -a -m1 -E "$what" <<<"$out" | sed 's/==[0-9]*==//; s/ on address.*//')
		echo "fail ${line:-exit status $rc}" | cut -c1-200
	fi
}

# step CLONE TARGET INPUT LOG: one commit's verdict, for git bisect run
step() {
	local clone=$1 target=$2 input=$3 log=$4 sha first second
	sha=$(git -C "$clone" rev-parse --short=12 HEAD)
	if ! make -C "$clone" --no-print-directory -j"${BISECT_JOBS:-$(nproc)}" \
		"build/fuzz/det/rp/$target" >"$clone.build.log" 2>&1; then
		echo "$sha skip: the replayer does not build here" | tee -a "$log"
		exit 125
	fi
	first=$(replay "$clone/build/fuzz/det/rp/$target" "$input")
	second=$(replay "$clone/build/fuzz/det/rp/$target" "$input")
	if [ "$first" != "$second" ]; then
		echo "$sha: the two replays disagree ($first / $second): not deterministic" | tee -a "$log"
		exit 255
	fi
	case $first in
	pass*) echo "$sha good (2 replays, the same ${first#pass })" | tee -a "$log" && exit 0 ;;
	fail*) echo "$sha bad (2 replays, the same report: ${first#fail })" | tee -a "$log" && exit 1 ;;
	*) echo "$sha skip: the harness cannot read the input here (${first#input })" | tee -a "$log"
		exit 125 ;;
	esac
}

# the harness of FILE: TARGET if it names one harness, else a path component naming one
harness_of() {
	local file=$1 target=$2 t harnesses
	harnesses=$(for t in fuzz/targets/*.c; do basename "$t" .c; done)
	if [ -n "$target" ] && [ "$(wc -w <<<"${target//,/ }")" -eq 1 ]; then
		echo "$target"
		return
	fi
	for t in ${file//\// }; do
		grep -qx -- "$t" <<<"$harnesses" && { echo "$t"; return; }
	done
}

main() {
	local file=$1 good=$2 bad=$3 target=${4:-}
	if [ -z "$file" ] || [ -z "$good" ] || [ -z "$bad" ]; then
		die "usage: make bisect FILE=<reproducer> GOOD=<rev> BAD=<rev> [TARGET=<harness>]"
	fi
	if [ ! -f "$file" ] || [ ! -r "$file" ]; then
		die "FILE=$file: no such readable file"
	fi
	local harness
	harness=$(harness_of "$file" "$target")
	[ -n "$harness" ] ||
		die "FILE=$file: which harness is it for? add TARGET=<one of:" \
			"$(basename -s .c fuzz/targets/*.c | xargs)>"
	local goodSha badSha
	goodSha=$(git rev-parse --verify --quiet "$good^{commit}") || die "GOOD=$good: not a commit"
	badSha=$(git rev-parse --verify --quiet "$bad^{commit}") || die "BAD=$bad: not a commit"
	[ "$goodSha" != "$badSha" ] || die "GOOD=$good and BAD=$bad are the same commit"
	git merge-base --is-ancestor "$goodSha" "$badSha" ||
		die "GOOD=$good is not an ancestor of BAD=$bad"

	local work
	work=$(mktemp -d "${TMPDIR:-/tmp}/tuntap-bisect.XXXXXX")
	# shellcheck disable=SC2064 # the path is fixed now
	trap "rm -rf '$work'" EXIT
	# a copy with the same name: the replayer reads a .txt file as a text program
	local input
	input=$work/input/$(basename "$file")
	if ! mkdir "$work/input" || ! cp "$file" "$input"; then
		die "cannot copy $file to $work"
	fi
	cp "$0" "$work/bisect.sh" # the step must not change as the clone's commits change
	local clone=$work/clone log=$work/steps start=$SECONDS
	echo "== bisect: $file (harness $harness) between GOOD=$good" \
		"($(git rev-parse --short=12 "$goodSha")) and BAD=$bad ($(git rev-parse --short=12 "$badSha"))"
	git clone -q --shared --no-checkout "$(git rev-parse --show-toplevel)" "$clone" ||
		die "could not clone the repository to $clone"
	# both ends first: a bisection is only as good as its two ends
	local end
	for end in "$badSha" "$goodSha"; do
		git -C "$clone" checkout -q --detach "$end" || die "checkout of $end failed"
		bash "$work/bisect.sh" step "$clone" "$harness" "$input" "$log"
		local rc=$?
		if [ "$end" = "$badSha" ] && [ $rc -ne 1 ]; then
			echo "bisect: BAD=$bad does not fail (see the line above): nothing to bisect" >&2
			return 1
		fi
		if [ "$end" = "$goodSha" ] && [ $rc -ne 0 ]; then
			echo "bisect: GOOD=$good does not pass (see the line above): nothing to bisect" >&2
			return 1
		fi
	done
	: >"$log"
	git -C "$clone" bisect start "$badSha" "$goodSha" >"$work/bisect.out" 2>&1 ||
		die "git bisect start failed: $(tail -n 1 "$work/bisect.out")"
	# nothing between the ends: git knows the answer already; else git's own output to a file and
	# each step's verdict line as it comes
	grep -q ' is the first bad commit$' "$work/bisect.out" ||
		git -C "$clone" bisect run bash "$work/bisect.sh" step "$clone" "$harness" "$input" \
			"$log" 2>&1 | tee "$work/bisect.out" | grep --line-buffered -E '^[0-9a-f]{12}[: ]'
	local first
	first=$(sed -n 's/^\([0-9a-f]\{40\}\) is the first bad commit$/\1/p' "$work/bisect.out")
	if [ -z "$first" ]; then
		tail -n 20 "$work/bisect.out"
		echo "bisect: git bisect run found no first bad commit (above)" >&2
		return 1
	fi
	local steps skips
	steps=$(wc -l <"$log")
	skips=$(grep -c ' skip: ' "$log")
	echo "first bad commit: $first $(git log -1 --format=%s "$first")"
	echo "bisect: $steps step(s) between the two ends ($skips skipped), $((SECONDS - start)) s;" \
		"every verdict is exact: deterministic replay, and each step's two replays agreed"
}

if [ "${1:-}" = step ]; then
	shift
	step "$@"
fi
cd "$(dirname "$0")/.." || exit 2
main "${1:-}" "${2:-}" "${3:-}" "${4:-}"

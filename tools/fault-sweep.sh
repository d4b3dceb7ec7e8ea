#!/usr/bin/env bash
# make fault-sweep: each input run with its 1st, 2nd, ... fault point failed until a run reaches
# none (syzkaller's fail-nth, SQLite's loop), leak-checked each time; a failure is a finding.
#
# usage: fault-sweep.sh FZ_BUILD "TARGETS" [FILE] [DIR]
#   FILE: one input (its harness from its path, or the only one in TARGETS); DIR: every input in
#   it; neither: corpora/<target>/ and its seeds corpora/<target>/src/, for each target.
# The replayer's -F runs one input for every n in one process (fuzz/engine/replay.c); a failing
# run ends that process, so the sweep saves it as findings/<target>/failnth-<n>-<input>.txt (the
# input as a text program with its `failnth n=<n>` line), prints its make repro line, indexes it
# (findings/INDEX) and goes on at n + 1.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
# shellcheck source=fuzz/settings.sh
source fuzz/settings.sh
# shellcheck source=fuzz/findings.sh
source fuzz/findings.sh

die() {
	echo "fault-sweep: $*" >&2
	exit 2
}

[ $# -ge 2 ] || die "usage: fault-sweep.sh FZ_BUILD \"TARGETS\" [FILE] [DIR]"
FZ=$1
targets=${2//,/ } # commas or spaces, as make takes them
file=${3:-}
dir=${4:-}
[ -z "$file" ] || [ -z "$dir" ] || die "FILE= and DIR= together: give one"
if [ -n "$file" ] && [ -d "$file" ]; then
	die "FILE=$file: not a file (DIR= takes a directory)"
elif [ -n "$file" ] && { [ ! -f "$file" ] || [ ! -r "$file" ]; }; then
	die "FILE=$file: no such readable file"
fi
[ -z "$dir" ] || [ -d "$dir" ] || die "DIR=$dir: no such directory"

# the harness of a path: a component naming one, else the only target given
harness_of() {
	local t
	for t in $targets; do
		case /$1/ in */"$t"/*) echo "$t"; return ;; esac
	done
	[ "$(wc -w <<<"$targets")" = 1 ] && echo "$targets"
}

# the inputs, one "target path" a line
inputs() {
	local t f
	if [ -n "$file$dir" ]; then
		t=$(harness_of "${file:-$dir}")
		[ -n "$t" ] ||
			die "${file:+FILE=$file}${dir:+DIR=$dir}: which harness? add TARGET=<one of: $targets>"
		if [ -n "$file" ]; then
			echo "$t $file"
		else
			find "$dir" -maxdepth 1 -type f ! -name '*.desc' ! -name '*.md' ! -name '.*' | sort |
				sed "s|^|$t |"
		fi
		return
	fi
	for t in $targets; do
		for f in corpora/"$t"/* corpora/"$t"/src/*.txt; do
			[ -f "$f" ] && echo "$t $f"
		done
	done
}

fz_sanitizer_env
list=$(inputs) || exit 2
total=$(wc -l <<<"$list")
start=$SECONDS runs=0 found=0 done_inputs=0
declare -A points
echo "== fault-sweep: $total input(s), each with its 1st, 2nd, ... fault point failed"
while read -r target input; do
	[ -n "$input" ] || continue
	bin=$FZ/rp/$target
	[ -x "$bin" ] || die "no replayer $bin (make $bin)"
	from=1
	while :; do
		out=$("$bin" -F "$from" "$input" 2>&1)
		rc=$?
		ran=$(grep -ac "^$input: failnth n=[0-9]*: " <<<"$out")
		if [ $rc -eq 0 ]; then
			runs=$((runs + ran))
			n=$(sed -n "s/^.*: not reached: \([0-9]*\) fault point.*/\1/p" <<<"$out" | tail -n 1)
			points[$target]=$((${points[$target]:-0} + ${n:-0}))
			break
		fi
		[ $rc -ne 2 ] || die "$input: not an input of the $target harness: $(tail -n 1 <<<"$out")"
		runs=$((runs + ran))
		# the run that failed: the last "failnth n=N: " line has no result after it
		n=$(grep -a "^$input: failnth n=[0-9]*: " <<<"$out" | tail -n 1 |
			sed "s/^.*: failnth n=\([0-9]*\): .*/\1/")
		[ -n "$n" ] || die "$input: the replayer failed before its first run: $(tail -n 3 <<<"$out")"
		found=$((found + 1))
		mkdir -p "findings/$target"
		saved=findings/$target/failnth-$n-$(basename "${input%.txt}").txt
		{
			echo "# make fault-sweep: $input with its fault point $n failed"
			echo "failnth n=$n"
			"$bin" -d "$input" | grep -v '^# \|^failnth '
		} >"$saved"
		what=$(result_of "$out" "$rc")
		echo "FAIL: $input, fault point $n: $what"
		echo "  $(index_add "$target" "$saved")"
		echo "  make repro FILE=$saved"
		from=$((n + 1))
	done
	done_inputs=$((done_inputs + 1))
done <<<"$list"
summary=""
for t in "${!points[@]}"; do summary+=" $t ${points[$t]},"; done
echo "fault-sweep: $done_inputs input(s), $runs run(s) (fault points:${summary%,})," \
	"$found failure(s), $((SECONDS - start)) s"
[ $found -eq 0 ]

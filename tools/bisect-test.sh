#!/usr/bin/env bash
# make bisect-test: make bisect end to end on a throwaway history (the tree as it is, then a commit
# applying an injected bug, then unrelated commits); it must name the bug's commit, exactly.
# Usage: bisect-test.sh [BUG] (default write-length-off-by-one, with its saved reproducer)
set -euo pipefail
cd "$(dirname "$0")/.."
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
bug=${1:-write-length-off-by-one}
[ -f "bugs/$bug.patch" ] || {
	echo "bisect-test: no bugs/$bug.patch" >&2
	exit 2
}
input=$(find "corpora/injected/$bug" -mindepth 2 -maxdepth 2 -type f ! -name '*.desc' | sort |
	head -n 1)
[ -n "$input" ] || {
	echo "bisect-test: no saved reproducer in corpora/injected/$bug/" >&2
	exit 2
}

work=$(mktemp -d "${TMPDIR:-/tmp}/tuntap-bisect-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$SECONDS
repo=$work/repo
mkdir "$repo"
tar --anchored --exclude='./build*' --exclude=./findings --exclude=./stress-logs --exclude=./.git \
	-cf - . | tar -C "$repo" -xf -
commit() {
	git -C "$repo" add -A
	git -C "$repo" -c user.name=bisect-test -c user.email=bisect-test@localhost commit -q -m "$1"
	git -C "$repo" rev-parse HEAD
}
git -C "$repo" init -q
good=$(commit "the tree as it is")
patch -d "$repo" -p1 --fuzz=0 --batch -s <"bugs/$bug.patch"
culprit=$(commit "inject $bug")
for i in 1 2 3 4 5; do
	echo "unrelated change $i" >>"$repo/NOTES"
	commit "unrelated change $i" >/dev/null
done

echo "== bisect-test: 7 commits, the bug in the 2nd ($culprit); make bisect FILE=$input"
status=0
out=$(make -C "$repo" --no-print-directory bisect FILE="$input" GOOD="$good" BAD=HEAD 2>&1) ||
	status=$?
echo "$out"
problem=
if [ $status -ne 0 ]; then
	problem="make bisect exited $status"
elif [[ $out != *"first bad commit: $culprit inject $bug"* ]]; then
	problem="make bisect did not name $culprit"
elif ! [[ $out =~ bisect:\ ([0-9]+)\ step\(s\)\ between\ the\ two\ ends\ \(0\ skipped\) ]]; then
	problem="make bisect did not say how many steps it took, none skipped"
elif [ "${BASH_REMATCH[1]}" -lt 2 ] || [ "${BASH_REMATCH[1]}" -gt 3 ]; then
	# six candidates after GOOD: git bisect needs 2 or 3 steps
	problem="make bisect took ${BASH_REMATCH[1]} steps for six candidates"
elif [[ $out != *"every verdict is exact"* ]] || [ -n "$(git -C "$repo" status --porcelain)" ]; then
	problem="no word on exact verdicts, or the throwaway checkout was changed"
fi
if [ -n "$problem" ]; then
	echo "bisect-test: FAILED: $problem" >&2
	exit 1
fi
echo "bisect-test: passed in $((SECONDS - start)) s (make bisect named the injected bug's commit)"

#!/usr/bin/env bash
# make upstream-check: every reproducer in corpora/upstream/ still fails on the upstream driver
# (the bug is still there) and passes on ours, RUNS runs each, every run with the same result.
#
#   check.sh OURS_RP_DIR UPSTREAM_RP_DIR [FILE...]   (default: corpora/upstream/*.txt)
# Each is also set aside by the campaigns' list of known findings (corpora/upstream/known), and
# each entry there sets its own reproducer aside (with no FILE given).
# A reproducer's first line names its harness: "# harness: <name>". Status 0 all held, 1 not,
# 2 a reproducer that cannot be run (no harness line, unknown harness, no .desc).
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=fuzz/settings.sh
source fuzz/settings.sh
# shellcheck source=fuzz/findings.sh
source fuzz/findings.sh
fz_sanitizer_env
RUNS=20
ours=$1 upstream=$2
shift 2
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(corpora/upstream/*.txt)
[ -f "${files[0]}" ] || { echo "upstream-check: no reproducers in corpora/upstream/"; exit 0; }

# runs BIN FILE: RUNS runs; prints the result if all agree, else "differs: ..." (status 1)
runs() {
	local bin=$1 file=$2 first="" this i out rc
	for ((i = 1; i <= RUNS; i++)); do
		out=$("$bin" "$file" 2>&1)
		rc=$?
		this=$(result_of "$out" $rc)
		[ -n "$first" ] || first=$this
		if [ "$this" != "$first" ]; then
			echo "differs: run 1: $first; run $i: $this"
			return 1
		fi
	done
	echo "$first"
}

failed=0
set_aside=()
for file in "${files[@]}"; do
	harness=$(head -n 1 "$file" | sed -n 's/^# harness: \([a-z]*\)$/\1/p')
	if [ -z "$harness" ] || [ ! -x "$ours/$harness" ] || [ ! -x "$upstream/$harness" ]; then
		echo "upstream-check: $file: its first line must be '# harness: <name>' naming a built" \
			"harness (got '$(head -n 1 "$file")')" >&2
		exit 2
	fi
	[ -f "$file.desc" ] || { echo "upstream-check: $file has no $file.desc" >&2; exit 2; }
	up=$(runs "$upstream/$harness" "$file")
	mine=$(runs "$ours/$harness" "$file")
	# the campaigns' list of known findings (corpora/upstream/known) sets it aside
	known=$(FZ_KNOWN=corpora/upstream/known "$upstream/$harness" "$file" 2>&1 |
		sed -n 's/.*: known finding set aside: //p')
	[ -z "$known" ] || set_aside+=("$known")
	verdict=ok
	if [ -z "$known" ]; then
		verdict="FAILED: corpora/upstream/known does not set it aside"
	elif [[ $up == differs* ]] || [[ $up == "rc=0 "* ]]; then
		verdict="FAILED: upstream does not fail $RUNS/$RUNS the same way"
	elif [[ $mine != "rc=0 ok"* ]]; then
		verdict="FAILED: our driver does not pass $RUNS/$RUNS"
	fi
	[ "$verdict" = ok ] || failed=$((failed + 1))
	echo "== $file ($harness): $verdict"
	echo "   upstream, $RUNS/$RUNS: $up"
	echo "   ours,     $RUNS/$RUNS: $mine"
	echo "   set aside by corpora/upstream/known as: ${known:-nothing}"
done
# every entry of the list is named after a reproducer here, which it sets aside
if [ $# -eq 0 ]; then
	while read -r entry; do
		if [ ! -f "corpora/upstream/$entry.txt" ] ||
			! printf '%s\n' "${set_aside[@]}" | grep -qx -- "$entry"; then
			echo "== corpora/upstream/known: entry $entry: FAILED: no reproducer $entry.txt set aside by it"
			failed=$((failed + 1))
		fi
	done < <(grep -v '^#' corpora/upstream/known | cut -f1 | grep .)
fi
echo "upstream-check: ${#files[@]} reproducer(s), $failed failed"
[ $failed -eq 0 ]

#!/usr/bin/env bash
# make mutate-test: make mutate's own check on fixed mutants, named by file, kind and code (not
# by line): the killed one must be killed, the equivalent one must survive, the broken one too.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=build/mutate-test
CFLAGS="-std=gnu11 -D_KERNEL_MODE -Iuserland-shim/include -Idriver"
# file|kind|original|replacement|text of its line|expected status (and why)
SPECS=(
	# a flush's detached packets never freed: leaked net_buffers (the replayers' leak check)
	"driver/packet_queue.c|delete-priority|packet_queue_free_detached(&dropped);||free_detached|Killed"
	# equivalent: a uint32 has at most 10 decimal digits, an 11th byte of the array is never used
	"driver/unit_table.c|const|10|11|char digits[10];|Survived"
)
mkdir -p "$OUT"
files=$(printf '%s\n' "${SPECS[@]}" | cut -d'|' -f1 | sort -u | xargs)
# shellcheck disable=SC2086 # a list
python3 tools/mutate/gen.py list "$CFLAGS" $files >"$OUT/all.tsv"
: >"$OUT/list.tsv"
for spec in "${SPECS[@]}"; do
	IFS='|' read -r file kind orig repl text _ <<<"$spec"
	n=0
	while IFS= read -r row; do
		line=$(cut -f3 <<<"$row")
		sed -n "${line}p" "$file" | grep -qF -- "$text" || continue
		echo "$row" >>"$OUT/list.tsv"
		n=$((n + 1))
	done < <(awk -F'\t' -v f="$file" -v k="$kind" -v o="$orig" -v r="$repl" \
		'$2 == f && $7 == k && $8 == o && (r == "" || $9 == r)' "$OUT/all.tsv")
	[ "$n" -eq 1 ] || { echo "mutate-test: '$spec' names $n mutants, not 1" >&2; exit 1; }
done
MUTATE_OUT=$OUT MUTATE_LIST=$OUT/list.tsv MUTATE_RERUN=all bash tools/mutate/run.sh >"$OUT/run.log" 2>&1 ||
	{ tail -n 20 "$OUT/run.log"; echo "mutate-test: make mutate failed" >&2; exit 1; }
bad=0
i=0
while IFS=$'\t' read -r id _; do
	spec=${SPECS[$i]}
	want=${spec##*|}
	got=$(cut -f2 "$OUT/results/$id.result")
	if [ "${got%% *}" = "$want" ]; then
		echo "ok     $id ${spec%|*}: $got"
	else
		echo "FAILED $id ${spec%|*}: $got, expected $want"
		bad=$((bad + 1))
	fi
	i=$((i + 1))
done <"$OUT/list.tsv"
echo "mutate-test: ${#SPECS[@]} fixed mutant(s), $bad wrong"
[ $bad -eq 0 ]

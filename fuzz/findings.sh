#!/usr/bin/env bash
# Findings grouped by signature: what a finding's replay reports (the check that fired, or the
# sanitizer's kind and top driver frames), counted under the first finding that had it, in
# findings/INDEX. Sourced by fuzz/run.sh; `bash fuzz/findings.sh index` prints the table.
#
# findings/INDEX is tab-separated: signature, count, first seen, last seen, the smallest
# reproducer, its repro line. One line per signature, newest first.

FINDINGS_INDEX=${FINDINGS_INDEX:-findings/INDEX}

# result_of OUTPUT STATUS: one line summarizing a replay (run.sh's repro, upstream/check.sh): the
# exit status and the first line saying what went wrong, or the digest of every op's result
# (deterministic builds must repeat it exactly)
result_of() {
	local out=$1 rc=$2 what
	what=$(grep -aiE 'CHECK FAILED|^SUMMARY: |DEADLOCK: |PANIC|ERROR: [A-Za-z]*Sanitizer|runtime error' \
		<<<"$out" | head -n 1 | sed 's/==[0-9]*==//; s/ (pid [0-9]*)//; s/0x[0-9a-f]\{6,\}//g')
	[ -z "$what" ] && what=$(grep -aE ': ok, digest ' <<<"$out" | tail -n 1 | sed 's/.*: ok/ok/')
	echo "rc=$rc ${what:-no result line}"
}

# finding_signature OUTPUT: the signature of one replay's output (rp's stdout and stderr)
finding_signature() {
	local out=$1 line frames
	line=$(grep -a -m1 'CHECK FAILED' <<<"$out")
	if [ -n "$line" ]; then
		# the check's words, numbers and addresses made general: the same check, other values
		sed 's/.*CHECK FAILED: //; s/0x[0-9a-f]*/ADDR/g; s/[0-9][0-9]*/N/g' <<<"$line" |
			cut -c1-160 | sed 's/^/check: /'
		return
	fi
	line=$(grep -a -m1 -oE 'ERROR: [A-Za-z]+Sanitizer: [A-Za-z-]+' <<<"$out")
	[ -n "$line" ] || line=$(grep -a -m1 -oE 'WARNING: ThreadSanitizer: [a-z -]+' <<<"$out")
	if [ -n "$line" ]; then
		# the two innermost frames in the driver, ours or upstream's tunnel.cpp (function names:
		# line numbers move with edits; a C++ name without its parameter list)
		frames=$(grep -aE '^ *#[0-9]+ 0x[0-9a-f]+ in [A-Za-z_0-9]+[ (].*(driver/|/tunnel\.cpp)' \
			<<<"$out" | sed -E 's/^ *#[0-9]+ 0x[0-9a-f]+ in ([A-Za-z_0-9]+)[ (].*/\1/' |
			head -n 2 | paste -sd,)
		echo "${line#*: } in ${frames:-(no driver frame)}"
		return
	fi
	line=$(grep -a -m1 'runtime error:' <<<"$out")
	if [ -n "$line" ]; then
		sed -E 's/.*(driver\/[a-z_]+\.c):[0-9]+:[0-9]+: runtime error: /ubsan \1: /;
			s/0x[0-9a-f]*/ADDR/g; s/-?[0-9][0-9]*/N/g' <<<"$line" | cut -c1-160
		return
	fi
	line=$(grep -a -m1 -iE 'DEADLOCK|PANIC: ' <<<"$out")
	if [ -n "$line" ]; then
		sed -E 's/.*(DEADLOCK|PANIC): /\L\1: /; s/\(t=.*//; s/0x[0-9a-f]*/ADDR/g;
			s/[0-9][0-9]*/N/g' <<<"$line" | cut -c1-160
		return
	fi
	echo "does not fail when replayed"
}

# index_add TARGET FILE: replay FILE, add it to the index under its signature; prints the
# signature and whether it is new ("new" or "seen N times")
index_add() {
	local target=$1 file=$2 out sig now size
	out=$("$FZ/rp/$target" "$file" 2>&1)
	sig="$target $(finding_signature "$out")"
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	size=$(wc -c <"$file")
	mkdir -p "$(dirname "$FINDINGS_INDEX")"
	touch "$FINDINGS_INDEX"
	local tmp=$FINDINGS_INDEX.tmp seen=0 s count first last smallest repro
	: >"$tmp"
	while IFS=$'\t' read -r s count first last smallest repro; do
		if [ "$s" = "$sig" ]; then
			seen=$count
			count=$((count + 1))
			[ -f "$smallest" ] && [ "$(wc -c <"$smallest")" -le "$size" ] || smallest=$file
			printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$count" "$first" "$now" "$smallest" \
				"make repro TARGET=$target FILE=$smallest${FZ_AS:-}" >"$tmp.first"
		else
			printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$count" "$first" "$last" "$smallest" "$repro" \
				>>"$tmp"
		fi
	done <"$FINDINGS_INDEX"
	if [ "$seen" = 0 ]; then
		printf '%s\t1\t%s\t%s\t%s\t%s\n' "$sig" "$now" "$now" "$file" \
			"make repro TARGET=$target FILE=$file${FZ_AS:-}" >"$tmp.first"
	fi
	# newest first: the signature just seen on top
	cat "$tmp.first" "$tmp" >"$FINDINGS_INDEX"
	rm -f "$tmp" "$tmp.first"
	if [ "$seen" = 0 ]; then
		echo "new signature: $sig"
	else
		echo "seen $seen time(s) before: $sig"
	fi
}

# index_smallest SIGNATURE FILE: FILE (a minimized reproducer) becomes the signature's smallest
# one if it is smaller and still has that signature (checked by the caller)
index_smallest() {
	local sig=$1 file=$2 target=${1%% *}
	local tmp=$FINDINGS_INDEX.tmp
	awk -F'\t' -v OFS='\t' -v s="$sig" -v f="$file" -v t="$target" \
		-v as="${FZ_AS:-}" '$1 == s { $5 = f; $6 = "make repro TARGET=" t " FILE=" f as } { print }' \
		"$FINDINGS_INDEX" >"$tmp" && mv "$tmp" "$FINDINGS_INDEX"
}

index_print() {
	[ -s "$FINDINGS_INDEX" ] || { echo "findings: none indexed ($FINDINGS_INDEX)"; return 0; }
	echo "findings by signature ($FINDINGS_INDEX, newest first):"
	awk -F'\t' '{ printf "  %3dx  %s\n        first %s, last %s\n        %s\n", $2, $1, $3, $4, $6 }' \
		"$FINDINGS_INDEX"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	index) index_print ;;
	*) echo "usage: fuzz/findings.sh index" >&2; exit 2 ;;
	esac
fi

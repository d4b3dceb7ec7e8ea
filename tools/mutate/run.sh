#!/usr/bin/env bash
# make mutate: every mutant of tools/mutate/gen.py built in a copy of the tree (never driver/) and
# run against the cheap killers first: cmocka tests (ASan), corpus replays, then optional fuzzing.
#
# env: MUTATE_FILES (driver files, default all)  MUTATE_ONLY (git range: changed lines only)
#      MUTATE_MAX (at most N mutants, spread evenly)  MUTATE_FUZZ (fuzz-ci seconds per mutant, off)
#      MUTATE_LIST=<tsv> (run exactly these mutants: make mutate-test)
set -euo pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
OUT=${MUTATE_OUT:-build/mutate} # make mutate-test has its own
WORK=$OUT/work
# the copies' own make must not see the outer make's variables
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
# shellcheck source=tools/knobs.sh
source tools/knobs.sh
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TARGETS="ops ioctl frames"
KILL_LIMIT=60 # seconds of one killer (a test binary, a replay) before the mutant is a Timeout

die() {
	echo "mutate: $*" >&2
	exit 2
}

FUZZ_SECS=
[ -z "${MUTATE_FUZZ:-}" ] || { knob_to_seconds MUTATE_FUZZ 1 && FUZZ_SECS=$MUTATE_FUZZ; }

CFLAGS="-std=gnu11 -D_KERNEL_MODE -Iuserland-shim/include -Idriver"
FILES=${MUTATE_FILES:-$(echo driver/*.c)}
FILES=${FILES//,/ }

mkdir -p "$OUT"
# ---- the mutants -----------------------------------------------------------------------------
if [ -n "${MUTATE_LIST:-}" ]; then
	cp "$MUTATE_LIST" "$OUT/all.tsv"
else
	# shellcheck disable=SC2086 # FILES is a list
	python3 tools/mutate/gen.py list "$CFLAGS" $FILES >"$OUT/all.tsv"
fi
if [ -n "${MUTATE_ONLY:-}" ]; then
	# the mutants come from the files as they are: the range must end at the checked-out commit,
	# and its start is diffed against the work tree (uncommitted changes count as changed)
	from=${MUTATE_ONLY%%..*} to=${MUTATE_ONLY##*..}
	[ "$(git rev-parse "$to^{commit}")" = "$(git rev-parse HEAD)" ] ||
		die "MUTATE_ONLY=$MUTATE_ONLY: the range must end at the checked-out commit (HEAD)"
	# the new side's changed lines of each file (git diff -U0 hunks: +start,count)
	# shellcheck disable=SC2086
	git diff -U0 "$from" -- $FILES | awk '
		/^\+\+\+ b\// { file = substr($2, 3) }
		/^@@/ { split($3, a, ","); n = (a[2] == "" ? 1 : a[2]); s = substr(a[1], 2)
			for (i = 0; i < n; i++) print file "\t" s + i }' >"$OUT/changed.tsv"
	awk -F'\t' 'NR == FNR { c[$1 "\t" $2] = 1; next } c[$2 "\t" $3]' "$OUT/changed.tsv" \
		"$OUT/all.tsv" >"$OUT/selected.tsv"
else
	cp "$OUT/all.tsv" "$OUT/selected.tsv"
fi
total=$(wc -l <"$OUT/selected.tsv")
if [ -n "${MUTATE_MAX:-}" ] && [ "$total" -gt "$MUTATE_MAX" ]; then
	# an even spread over the list (every file, every kind), the same sample on every run
	awk -v n="$total" -v m="$MUTATE_MAX" '
		BEGIN { for (i = 0; i < m; i++) pick[int(i * n / m) + 1] = 1 }
		pick[NR]' "$OUT/selected.tsv" >"$OUT/sample.tsv"
	mv "$OUT/sample.tsv" "$OUT/selected.tsv"
fi
count=$(wc -l <"$OUT/selected.tsv")
echo "== mutate: $count mutant(s) of $(wc -l <"$OUT/all.tsv") in $FILES" \
	"${MUTATE_ONLY:+(lines changed in $MUTATE_ONLY)}"
if [ "$count" -eq 0 ]; then
	echo "mutate: nothing to mutate (no mutation point on the selected lines)"
	exit 0
fi

# ---- the base copy: the tree's sources, built once (bugs/bug.sh's copy, with its exclusions) -
copy_sources() {
	local dest=$1
	mkdir -p "$dest"
	find "$dest" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
	tar -C "$TOP" --anchored --exclude='./build*' --exclude=./findings --exclude=./stress-logs \
		--exclude=./.git -cf - . | tar -C "$dest" -xf -
}
REPLAYERS=(build/fuzz/det/rp/ops build/fuzz/det/rp/ioctl build/fuzz/det/rp/frames)
build_targets() { # TREE [JOBS]: the replayers and the ASan build's cmocka test binaries
	make --no-print-directory -C "$1" -j"${2:-1}" tests-built SAN=asan "${REPLAYERS[@]}"
}

base=$WORK/base/tree
start=$SECONDS
copy_sources "$base"
if [ ! -d "$base/build/asan" ] && [ -d build/asan ] && [ -d build/fuzz/det/rp ]; then
	mkdir -p "$base/build/fuzz/det" # the tree's own objects (mtimes kept): little to rebuild
	cp -a build/asan "$base/build/"
	cp -a build/fuzz/det/rp build/fuzz/det/shim-san "$base/build/fuzz/det/"
fi
build_targets "$base" 2 >"$WORK/base/build.log" 2>&1 ||
	{ tail -n 30 "$WORK/base/build.log"; die "building the unmutated copy failed"; }
[ -z "$FUZZ_SECS" ] || make --no-print-directory -C "$base" -j2 fuzz-deps >/dev/null

# killers TREE: "Killed <by>", "Timeout <by>", "CompileError" or "Survived", one line. The
# cheapest first: the replayers (one driver object compiled, three links, about 2 s of replays),
# then the cmocka tests (25 binaries to link, about 13 s to run), then fuzz-ci if asked.
killers() {
	local tree=$1 bin rc t
	make --no-print-directory -C "$tree" "${REPLAYERS[@]}" >"$tree/../build.log" 2>&1 ||
		{ echo CompileError; return; }
	for t in $TARGETS; do
		rc=0
		(cd "$tree" && timeout -k 5 "$KILL_LIMIT" "build/fuzz/det/rp/$t" "corpora/$t" \
			"corpora/regressions/$t" >/dev/null 2>&1) 2>/dev/null || rc=$?
		[ $rc -eq 124 ] || [ $rc -eq 137 ] && { echo "Timeout replay:$t"; return; }
		[ $rc -eq 0 ] || { echo "Killed replay:$t"; return; }
	done
	build_targets "$tree" >>"$tree/../build.log" 2>&1 || { echo CompileError; return; }
	for bin in "$tree"/build/asan/tests/*; do
		rc=0
		{ timeout -k 5 "$KILL_LIMIT" "$bin" >/dev/null 2>&1; } 2>/dev/null || rc=$?
		[ $rc -eq 124 ] || [ $rc -eq 137 ] && { echo "Timeout cmocka:$(basename "$bin")"; return; }
		[ $rc -eq 0 ] || { echo "Killed cmocka:$(basename "$bin")"; return; }
	done
	if [ -n "$FUZZ_SECS" ]; then
		rc=0
		timeout -k 5 $((FUZZ_SECS * 3 + 120)) make --no-print-directory -C "$tree" fuzz-ci \
			CI_TIME="$FUZZ_SECS" REPORT_AFTER=0 >"$tree/../fuzz.log" 2>&1 || rc=$?
		[ $rc -eq 124 ] || [ $rc -eq 137 ] && { echo "Timeout fuzz-ci"; return; }
		[ $rc -eq 0 ] || { echo "Killed fuzz-ci"; return; }
	fi
	echo Survived
}

baseline=$(killers "$base")
[ "$baseline" = Survived ] ||
	die "the unmutated driver fails its own killers ($baseline): fix that first"
echo "== mutate: base copy built and green in $((SECONDS - start)) s"

# worker SLOT: runs every mutant of $WORK/slotN/list.tsv in its own copy of the base
worker() {
	local slot=$WORK/slot$1 tree=$WORK/slot$1/tree
	rm -rf "$tree"
	cp -a "$base" "$tree"
	local id file line col eline ecol kind repl t0 verdict f
	while IFS=$'\t' read -r id file line col eline ecol kind _ repl; do
		t0=$(date +%s.%N)
		touch "$slot/marker"
		sleep 0.01 # the mutated file is strictly newer than everything built from the base
		python3 tools/mutate/gen.py apply "$base/$file" "$line" "$col" "$eline" "$ecol" "$repl" \
			>"$tree/$file"
		diff -u --label "a/$file" --label "b/$file" "$base/$file" "$tree/$file" \
			>"$OUT/results/$id.diff" || true
		verdict=$(killers "$tree")
		# back to the base: the source with its time, and every file the mutant's build rewrote
		cp -p "$base/$file" "$tree/$file"
		find "$tree/build" -newer "$slot/marker" -type f -printf '%P\n' | while read -r f; do
			if [ -e "$base/build/$f" ]; then cp -p "$base/build/$f" "$tree/build/$f"; else
				rm -f "$tree/build/$f"; fi
		done
		printf '%s\t%s\t%.1f\n' "$id" "$verdict" \
			"$(echo "$(date +%s.%N) - $t0" | bc)" >"$OUT/results/$id.result"
		printf '%-10s %-22s %5s %-18s %s\n' "$id" "$file" "$line" "$kind" "$verdict"
	done <"$slot/list.tsv"
}

rm -rf "$OUT/results"
mkdir -p "$OUT/results"
for s in 0 1; do
	mkdir -p "$WORK/slot$s"
	awk -v s=$s 'NR % 2 == s' "$OUT/selected.tsv" >"$WORK/slot$s/list.tsv"
done
run_start=$SECONDS
worker 0 &
w0=$!
worker 1 &
w1=$!
rc=0
wait $w0 || rc=1
wait $w1 || rc=1
[ $rc -eq 0 ] || die "a worker failed (see above)"
echo "== mutate: $count mutant(s) run in $((SECONDS - run_start)) s (2 at a time)"
python3 tools/mutate/report.py "$OUT" "$TOP"

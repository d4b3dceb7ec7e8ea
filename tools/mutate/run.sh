#!/usr/bin/env bash
# make mutate: every mutant of tools/mutate/gen.py built in a copy of the tree (never driver/) and
# run against the cheap killers first: cmocka tests (ASan), corpus replays, then optional fuzzing.
#
# env: MUTATE_FILES (driver files, default all)  MUTATE_ONLY (git range: changed lines only)
#      MUTATE_MAX (at most N mutants, spread evenly)  MUTATE_FUZZ (fuzz-ci seconds per mutant, off)
#      MUTATE_RERUN (survived|all: run again what is on file)
#      MUTATE_LIST=<tsv> (run exactly these mutants: make mutate-test)
#      MUTATE_COST=1 (make mutate-cost: both slots run every mutant, slot 0 relinking the 25 test
#      binaries statically as before, slot 1 through the shared library; time and verdicts compared)
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
# run in the order of the ids (hashes): a run stopped part way has run a sample spread over every
# file and kind, not the first files
sort -t$'\t' -k1,1 -o "$OUT/selected.tsv" "$OUT/selected.tsv"
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
COST=${MUTATE_COST:-}
build_targets() { # TREE [JOBS]: the replayers and the cmocka test binaries on libshim.so
	make --no-print-directory -C "$1" -j"${2:-1}" mutate-so-tests "${REPLAYERS[@]}" \
		${COST:+tests-built SAN=asan}
}

base=$WORK/base/tree
start=$SECONDS
copy_sources "$base"
if [ ! -d "$base/build/asan" ] && [ -d build/asan ] && [ -d build/fuzz/det/rp ]; then
	mkdir -p "$base/build/fuzz/det" # the tree's own objects (mtimes kept): little to rebuild
	cp -a build/asan "$base/build/"
	cp -a build/fuzz/det/rp build/fuzz/det/shim-san "$base/build/fuzz/det/"
	[ ! -d build/mutate-so ] || cp -a build/mutate-so "$base/build/"
fi
build_targets "$base" 2 >"$WORK/base/build.log" 2>&1 ||
	{ tail -n 30 "$WORK/base/build.log"; die "building the unmutated copy failed"; }
[ -z "$FUZZ_SECS" ] || make --no-print-directory -C "$base" -j2 fuzz-deps >/dev/null

# the cmocka binaries, those that killed most mutants on file first (the rest by name): a mutant
# one of them kills is usually killed by the first few
test_order() {
	local t
	for t in "$base"/build/mutate-so/tests/*; do
		printf '%s\t%s\n' "$(grep -l "	Killed cmocka:${t##*/}	" "$CACHE"/*.result 2>/dev/null |
			wc -l)" "${t##*/}"
	done | sort -k1,1nr -k2,2 | cut -f2 | xargs
}

# killers TREE [static]: "Killed <by>", "Timeout <by>", "CompileError" or "Survived", one line. The
# cheapest first: the replayers (one driver object compiled, three links, about 2 s of replays),
# then the cmocka tests (one object and libshim.so rebuilt, no test binary relinked; with static,
# the 25 binaries of the ASan build relinked, as before), then fuzz-ci if asked.
killers() {
	local tree=$1 how=${2:-} bin rc t dir=build/mutate-so/tests target=build/mutate-so/libshim.so
	[ -z "$how" ] || { dir=build/asan/tests target="tests-built SAN=asan"; }
	make --no-print-directory -C "$tree" "${REPLAYERS[@]}" >"$tree/../build.log" 2>&1 ||
		{ echo CompileError; return; }
	for t in $TARGETS; do
		rc=0
		(cd "$tree" && timeout -k 5 "$KILL_LIMIT" "build/fuzz/det/rp/$t" "corpora/$t" \
			"corpora/regressions/$t" >/dev/null 2>&1) 2>/dev/null || rc=$?
		[ $rc -eq 124 ] || [ $rc -eq 137 ] && { echo "Timeout replay:$t"; return; }
		[ $rc -eq 0 ] || { echo "Killed replay:$t"; return; }
	done
	# shellcheck disable=SC2086 # target is one goal, or one goal and its variable
	make --no-print-directory -C "$tree" $target >>"$tree/../build.log" 2>&1 ||
		{ echo CompileError; return; }
	for bin in $TESTS; do
		bin=$tree/$dir/$bin
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

CACHE=$OUT/cache # every verdict on file, by mutant id and its diff's hash: a run resumes
mkdir -p "$CACHE"
TESTS=$(test_order)
baseline=$(killers "$base")
[ "$baseline" = Survived ] ||
	die "the unmutated driver fails its own killers ($baseline): fix that first"
[ -z "$COST" ] || [ "$(killers "$base" static)" = Survived ] ||
	die "the unmutated driver fails its statically linked tests: fix that first"
echo "== mutate: base copy built and green in $((SECONDS - start)) s; cmocka order: $TESTS"

# on_file ID KEY: the verdict on file for this mutant and diff, unless MUTATE_RERUN asks again
on_file() {
	local f=$CACHE/$1.$2.result
	[ -f "$f" ] && [ "${MUTATE_RERUN:-}" != all ] || return 1
	[ "${MUTATE_RERUN:-}" != survived ] || [ "$(cut -f2 "$f")" != Survived ] || return 1
	cat "$f"
}

# worker SLOT [static]: runs every mutant of $WORK/slotN/list.tsv in its own copy of the base
worker() {
	local slot=$WORK/slot$1 tree=$WORK/slot$1/tree how=${2:-}
	rm -rf "$tree"
	cp -a "$base" "$tree"
	local id file line col eline ecol kind repl t0 verdict f key res
	while IFS=$'\t' read -r id file line col eline ecol kind _ repl; do
		t0=$(date +%s.%N)
		touch "$slot/marker"
		sleep 0.01 # the mutated file is strictly newer than everything built from the base
		python3 tools/mutate/gen.py apply "$base/$file" "$line" "$col" "$eline" "$ecol" "$repl" \
			>"$tree/$file"
		diff -u --label "a/$file" --label "b/$file" "$base/$file" "$tree/$file" \
			>"$slot/diff" || true
		key=$(sha1sum <"$slot/diff" | cut -c1-12)
		cp "$slot/diff" "$OUT/results/$id.diff"
		if [ -z "$COST" ] && res=$(on_file "$id" "$key"); then
			cp -p "$base/$file" "$tree/$file"
			echo "$res" >"$OUT/results/$id.result"
			printf '%-10s %-22s %5s %-18s %s (on file)\n' "$id" "$file" "$line" "$kind" \
				"$(cut -f2 <<<"$res")"
			continue
		fi
		verdict=$(killers "$tree" "$how")
		# back to the base: the source with its time, and every file the mutant's build rewrote
		cp -p "$base/$file" "$tree/$file"
		find "$tree/build" -newer "$slot/marker" -type f -printf '%P\n' | while read -r f; do
			if [ -e "$base/build/$f" ]; then cp -p "$base/build/$f" "$tree/build/$f"; else
				rm -f "$tree/build/$f"; fi
		done
		res=$(printf '%s\t%s\t%.1f' "$id" "$verdict" "$(echo "$(date +%s.%N) - $t0" | bc)")
		if [ -n "$COST" ]; then
			echo "$res" >"$OUT/cost$1/$id.result"
		else # whole files only: a run stopped here leaves nothing half written on file
			cp "$slot/diff" "$CACHE/$id.$key.diff"
			echo "$res" >"$CACHE/$id.$key.tmp"
			mv "$CACHE/$id.$key.tmp" "$CACHE/$id.$key.result"
			echo "$res" >"$OUT/results/$id.result"
		fi
		printf '%-10s %-22s %5s %-18s %s\n' "$id" "$file" "$line" "$kind" "$verdict"
	done <"$slot/list.tsv"
}

rm -rf "$OUT/results" "$OUT/cost0" "$OUT/cost1"
mkdir -p "$OUT/results"
for s in 0 1; do
	mkdir -p "$WORK/slot$s"
	if [ -n "$COST" ]; then
		cp "$OUT/selected.tsv" "$WORK/slot$s/list.tsv"
		mkdir -p "$OUT/cost$s"
	else
		awk -v s=$s 'NR % 2 == s' "$OUT/selected.tsv" >"$WORK/slot$s/list.tsv"
	fi
done
run_start=$SECONDS
worker 0 ${COST:+static} &
w0=$!
worker 1 &
w1=$!
rc=0
wait $w0 || rc=1
wait $w1 || rc=1
[ $rc -eq 0 ] || die "a worker failed (see above)"
echo "== mutate: $count mutant(s) run in $((SECONDS - run_start)) s (2 at a time)"
if [ -n "$COST" ]; then
	exec python3 tools/mutate/cost.py "$OUT/cost0" "$OUT/cost1"
fi
python3 tools/mutate/report.py "$OUT" "$TOP"

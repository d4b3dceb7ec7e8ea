# shellcheck shell=bash
# How make fuzz runs a harness, sourced by fuzz/run.sh, stress/bench_fuzz.sh (its exec/s must be
# make fuzz's) and fuzz/oss-fuzz/build.sh: the longest input and the sanitizer options.

# The longest input each harness is fuzzed with (libFuzzer -max_len, AFL++ -G, OSS-Fuzz .options);
# MAX_LEN overrides. Short programs run fast and find most bugs; ops needs room for four threads.
fz_max_len() { echo "${MAX_LEN:-$([ "$1" = ops ] && echo 512 || echo 256)}"; }

# fz_sched_mark FZ TARGET FILE STRATEGY: a fuzzer that ran FILE with FUZZ_SCHED=STRATEGY (and no
# sched line in it) saw that strategy, so FILE gets its sched header line in front (depth 3:
# FZ_SCHED_DEPTH in fuzz/common.h) and replays as found with no knob; a sched header FILE had comes
# after it and wins, as it did in the fuzzer. The header is the assembled line less the empty
# program's 2-byte length; a harness with no tape refuses the line and FILE stays as it is.
fz_sched_mark() {
	local fz=$1 t=$2 f=$3 strategy=$4 tmp
	[ -n "$strategy" ] || return 0
	[ -x "$fz/rp/$t-compile-seed" ] ||
		{ echo "  $f: no $fz/rp/$t-compile-seed: not marked with its sched line" >&2 && return 0; }
	tmp=$(mktemp -d)
	echo "sched strategy=$strategy depth=3" >"$tmp/sched.txt"
	if "$fz/rp/$t-compile-seed" "$tmp/sched.txt" "$tmp/sched.bin" 2>/dev/null; then
		{ head -c -2 "$tmp/sched.bin" && cat "$f"; } >"$tmp/input" && touch -r "$f" "$tmp/input" &&
			mv "$tmp/input" "$f"
	fi
	rm -rf "$tmp"
}

# Sanitizer options of every fuzz run and replay (FUZZ_ASAN_OPTIONS overrides ASan's). Not the
# Makefile's test options: no detect_stack_use_after_return (14% of a frames execution).
fz_sanitizer_env() {
	export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	# the shim's caches keep objects in ASan-poisoned memory: let LSan see those pointers
	export LSAN_OPTIONS=use_poisoned=1
}

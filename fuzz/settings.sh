# shellcheck shell=bash
# How make fuzz runs a harness, sourced by fuzz/run.sh, stress/bench_fuzz.sh (its exec/s must be
# make fuzz's) and fuzz/oss-fuzz/build.sh: the longest input and the sanitizer options.

# The longest input each harness is fuzzed with (libFuzzer -max_len, AFL++ -G, OSS-Fuzz .options);
# MAX_LEN overrides. Short programs run fast and find most bugs; ops needs room for four threads.
fz_max_len() { echo "${MAX_LEN:-$([ "$1" = ops ] && echo 512 || echo 256)}"; }

# Sanitizer options of every fuzz run and replay (FUZZ_ASAN_OPTIONS overrides ASan's). Not the
# Makefile's test options: no detect_stack_use_after_return (14% of a frames execution).
fz_sanitizer_env() {
	export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	# the shim's caches keep objects in ASan-poisoned memory: let LSan see those pointers
	export LSAN_OPTIONS=use_poisoned=1
}

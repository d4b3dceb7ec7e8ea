# shellcheck shell=bash
# The longest input each harness is fuzzed with (libFuzzer -max_len, AFL++ -G, OSS-Fuzz .options),
# sourced by fuzz/run.sh, stress/bench_fuzz.sh and fuzz/oss-fuzz/build.sh. MAX_LEN overrides.
# short programs run fast and find most bugs; ops needs room for four threads
fz_max_len() { echo "${MAX_LEN:-$([ "$1" = ops ] && echo 512 || echo 256)}"; }

#!/usr/bin/env bash
# make lint: the driver and the shim compile warning-free under clang and gcc, clang-tidy
# (.clang-tidy) and cppcheck (tools/cppcheck-suppressions.txt) find nothing in driver/, and the
# tree keeps its layout rules (tools/layout-check.sh).

# Usage: lint.sh "DRIVER_CFLAGS" "SHIM_CFLAGS" "DRIVER_SRCS" "SHIM_SRCS" (flags as the Makefile has them)
set -uo pipefail
cd "$(dirname "$0")/.."
read -r -a driver_flags <<<"$1"
read -r -a shim_flags <<<"$2"
read -r -a driver_srcs <<<"$3"
read -r -a shim_srcs <<<"$4"
jobs=$(nproc 2>/dev/null || echo 2)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# run NAME COMMAND...: one lint job in the background, its output and status kept under $logs
run()
{
	local name=$1
	shift
	("$@" >"$logs/$name.out" 2>&1; echo $? >"$logs/$name.rc") &
}

# compile_all COMPILER FLAGS... -- FILES...: every file, $jobs at a time
compile_all()
{
	local compiler=$1
	shift
	local -a extra=()
	while [ "$1" != -- ]; do extra+=("$1"); shift; done
	shift
	printf '%s\n' "$@" | xargs -P "$jobs" -I{} "$compiler" "${extra[@]}" {}
}

run clang-driver compile_all clang "${driver_flags[@]}" -fsyntax-only -- "${driver_srcs[@]}"
run clang-shim compile_all clang "${shim_flags[@]}" -fsyntax-only -- "${shim_srcs[@]}"
# gcc is Haiku's system compiler: the driver gets a real -O2 compile for its flow-based warnings
run gcc-driver compile_all gcc "${driver_flags[@]}" -O2 -c -o /dev/null -- "${driver_srcs[@]}"
run gcc-shim compile_all gcc "${shim_flags[@]}" -fsyntax-only -- "${shim_srcs[@]}"

# clang-tidy sees the driver as the tests build it (shim headers, _KERNEL_MODE); the shim's
# kernel-mode renames of the malloc family are undone so the analyzer models allocations.
tidy_flags=("${driver_flags[@]}" -Dshim_kmalloc=malloc -Dshim_kcalloc=calloc
	-Dshim_krealloc=realloc -Dshim_kfree=free)
tidy()
{
	printf '%s\n' "$@" | xargs -P "$jobs" -I{} clang-tidy --quiet --config-file=.clang-tidy {} -- "${tidy_flags[@]}" 2>&1 \
		| grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$'
	return "${PIPESTATUS[1]}"
}
run clang-tidy tidy "${driver_srcs[@]}"

includes=()
for f in "${driver_flags[@]}"; do case "$f" in -I* | -D*) includes+=("$f") ;; esac; done
run cppcheck cppcheck --enable=warning,style,performance,portability --std=c11 --platform=unix64 \
	--error-exitcode=1 -q --suppressions-list=tools/cppcheck-suppressions.txt "${includes[@]}" \
	"${driver_srcs[@]}"
wait
# after the compilers: it compiles the tree again, and the machine has few cores
run layout bash tools/layout-check.sh
wait

status=0
for name in clang-driver clang-shim gcc-driver gcc-shim clang-tidy cppcheck layout; do
	rc=$(cat "$logs/$name.rc")
	if [ "$rc" = 0 ]; then
		printf 'lint: %-13s ok\n' "$name"
	else
		printf 'lint: %-13s FAILED\n' "$name"
		sed 's/^/    /' "$logs/$name.out" | head -n 80
		status=1
	fi
done
[ $status -eq 0 ] && echo "lint: passed (clang, gcc, clang-tidy, cppcheck, layout)"
exit $status

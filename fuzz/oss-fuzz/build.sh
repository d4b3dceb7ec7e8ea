#!/usr/bin/env bash
# OSS-Fuzz / ClusterFuzzLite build script: every fuzz/<target>.c harness into $OUT/<target>, with
# its seed corpus zip, dictionary and .options beside it. Honours CC, CFLAGS, CXX, CXXFLAGS,
# LIB_FUZZING_ENGINE and OUT as OSS-Fuzz sets them; `make oss-fuzz-check` runs it locally.
set -euo pipefail

# the repository: two levels up from this script, or the working directory (OSS-Fuzz copies the
# script to $SRC/build.sh and runs it from the project's WORKDIR)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ -d "$root/driver" ] && [ -d "$root/fuzz" ] || root=$PWD
cd "$root"
# shellcheck source=fuzz/settings.sh
source fuzz/settings.sh
MAX_LEN= # make fuzz's defaults, whatever the environment says

: "${CC:=clang}"
: "${CFLAGS:=}"
: "${LIB_FUZZING_ENGINE:?LIB_FUZZING_ENGINE (e.g. -fsanitize=fuzzer) is not set}"
: "${OUT:?OUT is not set}"
# libFuzzer's and AFL++'s engine libraries are C++: link with the C++ driver when there is one
LINK=${CXX:-$CC}
LINK_FLAGS=${CXXFLAGS:-$CFLAGS}
WORK_DIR=${WORK:-$OUT}/tuntap-build
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# the project's own flags (as the Makefile's): no -Werror, a newer compiler may warn more
COMMON=(-std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
	-Iuserland-shim/include)
DRIVER_FLAGS=("${COMMON[@]}" -D_KERNEL_MODE -Idriver)
SHIM_FLAGS=("${COMMON[@]}" -D_GNU_SOURCE -Iuserland-shim -Idriver)
# the deterministic shim (one runner at a time, choice tape, virtual time), as `make fuzz` uses
FUZZ_FLAGS=("${SHIM_FLAGS[@]}" -Ifuzz -DFZ_DET)

# CFLAGS for the shim and the harnesses' shared code: the sanitizers, not coverage (as fuzz.mk:
# only the driver and each harness give the engine feedback)
# shellcheck disable=SC2206
all_cflags=($CFLAGS)
plain_cflags=()
for flag in "${all_cflags[@]}"; do
	case $flag in
	-fsanitize=fuzzer-no-link | -fsanitize-coverage=* | -fprofile-instr-generate | \
		-fcoverage-mapping) ;;
	*) plain_cflags+=("$flag") ;;
	esac
done

targets=()
for source in fuzz/targets/*.c; do
	targets+=("$(basename "$source" .c)")
done
drivers=(driver/*.c)
shims=()
for source in userland-shim/*.c userland-shim/{kern,dev,net,host}/*.c; do
	[ "$source" = userland-shim/host/host.c ] || shims+=("$source")
done

rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR/obj" "$OUT"

# compile in the background, at most JOBS at once: object path, then the compiler arguments
pids=()
compile() {
	local object=$1
	shift
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
	echo "  CC $object"
	"$CC" "$@" -c -o "$object" &
	pids+=($!)
}
objects=() # linked into every target
for source in "${drivers[@]}"; do
	objects+=("$WORK_DIR/obj/driver-$(basename "$source" .c).o")
	compile "${objects[-1]}" "${DRIVER_FLAGS[@]}" "${all_cflags[@]}" "$source"
done
for source in "${shims[@]}"; do
	objects+=("$WORK_DIR/obj/shim-$(basename "$source" .c).o") # basenames are unique in the shim
	compile "${objects[-1]}" "${SHIM_FLAGS[@]}" "${plain_cflags[@]}" "$source"
done
for name in common format units driver_line known frame_log growth; do
	objects+=("$WORK_DIR/obj/fuzz-$name.o")
	compile "${objects[-1]}" "${FUZZ_FLAGS[@]}" "${plain_cflags[@]}" "fuzz/$name.c"
done
for name in "${targets[@]}"; do
	compile "$WORK_DIR/obj/target-$name.o" "${FUZZ_FLAGS[@]}" "${all_cflags[@]}" \
		"fuzz/targets/$name.c"
done
for pid in "${pids[@]}"; do wait "$pid"; done

# flat zip of a directory's regular files (zip -j, else Python's zipfile)
zip_flat() {
	local zipfile=$1 directory=$2
	rm -f "$zipfile"
	if command -v zip >/dev/null; then
		find "$directory" -maxdepth 1 -type f -print0 | xargs -0 -r zip -q -j "$zipfile"
	else
		python3 - "$zipfile" "$directory" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as archive:
    for name in sorted(os.listdir(sys.argv[2])):
        path = os.path.join(sys.argv[2], name)
        if os.path.isfile(path):
            archive.write(path, name)
PY
	fi
}

for name in "${targets[@]}"; do
	echo "  LINK $OUT/$name"
	# shellcheck disable=SC2086
	"$LINK" $LINK_FLAGS "$WORK_DIR/obj/target-$name.o" "${objects[@]}" $LIB_FUZZING_ENGINE \
		-lpthread -o "$OUT/$name"
	# the merged corpus (binary inputs); the text seeds in src/ are compiled by `make fuzz-seeds`
	if [ -d "corpora/$name" ]; then
		zip_flat "$OUT/${name}_seed_corpus.zip" "corpora/$name"
	fi
	[ -f "fuzz/targets/$name.dict" ] && cp "fuzz/targets/$name.dict" "$OUT/$name.dict"
	maxlen=$(fz_max_len "$name") # as make fuzz runs them
	cat >"$OUT/$name.options" <<EOF
[libfuzzer]
max_len = $maxlen
timeout = 10
$([ -f "fuzz/targets/$name.dict" ] && echo "dict = $name.dict")
EOF
done
rm -rf "$WORK_DIR"
echo "oss-fuzz build: ${targets[*]} in $OUT"

#!/usr/bin/env bash
# make haiku-check: compiles driver/*.c for Haiku (clang cross, Haiku's headers), links the add-on
# with lld, then runs the symbol audit and the shim-vs-Haiku drift check. Exit 2: no HAIKU_SRC.

# Usage: haiku-check.sh HAIKU_SRC OUTDIR "WARNING FLAGS" DRIVER_SOURCES...
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/haiku-env.sh
. "$root/tools/haiku-env.sh"
haiku_env_check "${1:-}" || exit 2
src=$(cd "$1" && pwd)
out=$2
read -r -a warn <<<"$3"
shift 3
[ $# -gt 0 ] || { echo "haiku-check: no driver sources given" >&2; exit 1; }

bash "$root/tools/deps.sh" haiku-check
haiku_cross_cflags "$src"
mkdir -p "$out/obj"
out=$(cd "$out" && pwd)

echo "haiku-check: compiling $# driver sources for x86_64-unknown-haiku against $src"
objs=()
for c in "$@"; do
	o="$out/obj/$(basename "${c%.c}").o"
	clang "${HAIKU_CFLAGS[@]}" "${warn[@]}" -I"$root/driver" -c "$root/$c" -o "$o"
	objs+=("$o")
done

# Kernel add-on link (build/jam KernelRules + ArchitectureRules for clang/lld on x86_64), minus
# _KERNEL_ and the glue, which only a Haiku system has: undefined symbols are left for the audit.
addon="$out/tunnel"
clang --target=x86_64-unknown-haiku -fuse-ld=lld -shared -nostdlib \
	-Wl,-soname=tunnel -Wl,--version-script="$root/driver/haiku/exports.map" \
	-Wl,-z,max-page-size=0x1000 -Wl,-z,noseparate-code -Wl,-z,norelro -Wl,--no-rosegment \
	-Wl,--hash-style=both "${objs[@]}" -o "$addon"
echo "haiku-check: linked $addon ($(stat -c %s "$addon") bytes)"

bash "$root/tools/symbol-audit.sh" "$src" "$addon" "$out/audit"
bash "$root/tools/drift-check.sh" "$src" "$out/drift"
echo "haiku-check: passed"

#!/usr/bin/env bash
# Symbol audit of the linked add-on: every symbol it imports must be declared by the Haiku headers
# the driver includes (read from clang's AST at check time), and it exports exactly modules[].

# Usage: symbol-audit.sh HAIKU_SRC ADDON WORKDIR
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/haiku-env.sh
. "$root/tools/haiku-env.sh"
haiku_env_check "${1:-}" || exit 2
src=$(cd "$1" && pwd)
addon=$2
work=$3
mkdir -p "$work"
work=$(cd "$work" && pwd)
haiku_cross_cflags "$src"

# The Haiku headers the driver includes (<...> includes of driver/*.h and driver/*.c, first
# occurrence order), compiled together: their declarations are what the add-on may import.
grep -h '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' "$root"/driver/*.h "$root"/driver/*.c \
	| sed 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*/#include /' | awk '!seen[$0]++' \
	>"$work/driver-headers.c"
clang "${HAIKU_CFLAGS[@]}" -fsyntax-only -fno-color-diagnostics -Xclang -ast-dump \
	"$work/driver-headers.c" >"$work/driver-headers-ast.txt"
# name kind header (declarations with external linkage only)
awk -F'\t' -v src="$src/" 'BEGIN { OFS = "\t" }
	($1 == "func" || $1 == "var") && $5 !~ /static/ {
		file = $3; if (index(file, src) == 1) file = substr(file, length(src) + 1)
		print $2, ($1 == "func" ? "function" : "object"), file }' \
	<(awk -f "$root/tools/ast-decls.awk" "$work/driver-headers-ast.txt") \
	| sort -t$'\t' -k1,1 -u >"$work/declared.tsv"

llvm-readelf --dyn-syms "$addon" >"$work/dynsym.txt"
llvm-readelf -d "$addon" >"$work/dynamic.txt"
llvm-nm -D --undefined-only --format=just-symbols "$addon" | sort -u >"$work/imports.txt"
llvm-nm -D --defined-only --format=just-symbols "$addon" | sort -u >"$work/exports.txt"
# imports reached through the PLT are calls: they must be functions
llvm-readelf -r "$addon" | awk '$3 ~ /JUMP_SLOT/ { print $5 }' | sort -u >"$work/called.txt"

status=0
echo "symbol-audit: kernel symbols imported by $(basename "$addon") ($(wc -l <"$work/imports.txt")):"
while read -r sym; do
	decl=$(awk -F'\t' -v s="$sym" '$1 == s { print $2 "\t" $3 }' "$work/declared.tsv")
	if [ -z "$decl" ]; then
		echo "  FAIL  $sym: not declared by the Haiku headers the driver includes"
		status=1
	elif grep -qx "$sym" "$work/called.txt" && [ "${decl%%$'\t'*}" != function ]; then
		echo "  FAIL  $sym: called, but Haiku declares it as ${decl%%$'\t'*}"
		status=1
	else
		printf '  %-32s %-8s %s\n' "$sym" "${decl%%$'\t'*}" "${decl#*$'\t'}"
	fi
done <"$work/imports.txt"

# exports: modules (mandatory) and module_dependencies (optional), both data, nothing else
extra=$(grep -vxE 'modules|module_dependencies' "$work/exports.txt" || true)
if ! grep -qx modules "$work/exports.txt"; then
	echo "  FAIL  the add-on does not export modules"
	status=1
fi
if [ -n "$extra" ]; then
	echo "  FAIL  unexpected exports: $(echo $extra)"
	status=1
fi
while read -r sym; do
	type=$(awk -v s="$sym" '$8 == s && !found { print $4; found = 1 }' "$work/dynsym.txt")
	[ "$type" = OBJECT ] || { echo "  FAIL  $sym is exported as $type, not OBJECT"; status=1; }
done < <(grep -xE 'modules|module_dependencies' "$work/exports.txt" || true)
echo "symbol-audit: exports: $(echo $(cat "$work/exports.txt"))"

# Haiku's kernel ELF loader looks symbols up through DT_HASH and loads no DT_NEEDED libraries
if ! grep -q '(HASH)' "$work/dynamic.txt"; then
	echo "  FAIL  no DT_HASH table (Haiku's kernel loader needs it)"
	status=1
fi
if grep -q '(NEEDED)' "$work/dynamic.txt"; then
	echo "  FAIL  DT_NEEDED entries: $(grep '(NEEDED)' "$work/dynamic.txt" | awk '{ print $NF }' | tr '\n' ' ')"
	status=1
fi
[ $status -eq 0 ] && echo "symbol-audit: passed ($(wc -l <"$work/declared.tsv") declarations in the driver's Haiku headers)"
exit $status

#!/usr/bin/env bash
# Symbol audit of the linked add-on: every symbol it imports must be declared by the Haiku headers
# the driver includes (read from clang's AST at check time), and it exports exactly the module's
# symbols and its devfs driver part's.

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

# Kernel functions Haiku declares only in headers C cannot include (C++ ones), each as
# HEADER:FUNCTION; the driver repeats their C declaration in driver/*.h. That line is compiled
# after the header, as C++ in an extern "C" block: another type or a C++ linkage is an error,
# a match makes the function one the add-on may import. (The boot platform directory is the one
# Haiku's x86_64 kernel is built with; smp.h reaches the boot headers.)
cxx_only=("util/Random.h:secure_random_value")
cxx_flags=("${HAIKU_CFLAGS[@]/-std=gnu11/-std=gnu++17}"
	-isystem "$src/headers/private/kernel/boot/platform/bios_ia32")
for entry in "${cxx_only[@]}"; do
	header=${entry%%:*}
	sym=${entry#*:}
	line=$(grep -hE "^[A-Za-z_][^(]*[^A-Za-z0-9_]$sym\(" "$root"/driver/*.h | head -n 1 || true)
	if [ -z "$line" ]; then
		echo "  FAIL  $sym: listed as declared by the driver after $header, but driver/*.h does not"
		status=1
		continue
	fi
	printf '#include <%s>\nextern "C" {\n%s\n}\n' "$header" "$line" >"$work/cxx-$sym.cpp"
	if clang "${cxx_flags[@]}" -fsyntax-only -fno-color-diagnostics "$work/cxx-$sym.cpp" \
		2>"$work/cxx-$sym.log"; then
		printf '%s\tfunction\t%s\n' "$sym" "$header (C++ only; the driver's C declaration matches)" \
			>>"$work/declared.tsv"
	else
		echo "  FAIL  $sym: the driver's \"$line\" does not match $header:"
		grep ' error: ' "$work/cxx-$sym.log" | head -n 3 | sed 's/^/        /'
		status=1
	fi
done

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

# exports, nothing else: what module.cpp looks up (load_module_image: modules, data, mandatory;
# module_dependencies, data) and what legacy_drivers.cpp's load_driver looks up for the devfs
# driver part (publish_devices and find_device, text, mandatory for a driver; init_driver,
# uninit_driver, text; api_version, data)
data='modules|module_dependencies|api_version'
text='publish_devices|find_device|init_driver|uninit_driver'
extra=$(grep -vxE "$data|$text" "$work/exports.txt" || true)
for sym in modules publish_devices find_device; do
	if ! grep -qx "$sym" "$work/exports.txt"; then
		echo "  FAIL  the add-on does not export $sym"
		status=1
	fi
done
if [ -n "$extra" ]; then
	echo "  FAIL  unexpected exports: $(echo $extra)"
	status=1
fi
while read -r sym; do
	want=OBJECT
	grep -qxE "$text" <<<"$sym" && want=FUNC
	type=$(awk -v s="$sym" '$8 == s && !found { print $4; found = 1 }' "$work/dynsym.txt")
	[ "$type" = "$want" ] || { echo "  FAIL  $sym is exported as $type, not $want"; status=1; }
done < <(grep -xE "$data|$text" "$work/exports.txt" || true)
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

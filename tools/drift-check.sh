#!/usr/bin/env bash
# Drift check: everything the shim's headers (userland-shim/include) declare must exist in Haiku's
# headers with the same value, signature or layout, unless tools/drift-exceptions explains why not.

# Usage: drift-check.sh HAIKU_SRC WORKDIR
#
# How: the shim's declarations are read from clang's AST of all shim headers (host), their values
# (constants, offsets, sizes) are computed by a host program built against the shim headers, and
# every fact becomes one line of a C file compiled against Haiku's headers (_Static_assert,
# redeclarations). An error on a line is a difference for the item that line checks.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/haiku-env.sh
. "$root/tools/haiku-env.sh"
haiku_env_check "${1:-}" || exit 2
src=$(cd "$1" && pwd)
work=$2
mkdir -p "$work"
work=$(cd "$work" && pwd)
shim="$root/userland-shim/include"
exceptions="$root/tools/drift-exceptions"
haiku_cross_cflags "$src"
# The shim headers are read as the shim's own sources see them, without _KERNEL_MODE: in kernel
# mode the shim's stdlib.h only renames the malloc family to its accounted heap, and that rename
# would also rename the members called free (device_hooks, net_buffer_module_info).
HOST_CFLAGS=(-std=gnu11 -I"$shim")

# ---- exceptions: "kind name treatment reason...", treatment skip|names-only|prefix|differs ----
declare -A exc_treat=() exc_reason=() exc_used=() exc_hit=()
while read -r kind name treat reason; do
	case "$kind" in '' | '#'*) continue ;; esac
	case "$treat" in skip | names-only | prefix | differs) ;; *)
		echo "drift-check: $exceptions: bad treatment '$treat' for $kind $name" >&2; exit 1 ;;
	esac
	[ -n "$reason" ] || { echo "drift-check: $exceptions: $kind $name has no reason" >&2; exit 1; }
	exc_treat["$kind $name"]=$treat
	exc_reason["$kind $name"]=$reason
done <"$exceptions"

# treat KIND NAME: sets T to the exception's treatment (empty if none) and marks it used
treat()
{
	local key="$1 $2"
	T=${exc_treat[$key]:-}
	[ -z "$T" ] || exc_used[$key]=1
}

# ---- the shim's headers and their Haiku counterparts -------------------------------------------
mapfile -t headers < <(cd "$shim" && find . -name '*.h' | sed 's|^\./||' | LC_ALL=C sort)
haiku_dirs=()
for ((i = 1; i < ${#HAIKU_INCLUDES[@]}; i += 2)); do haiku_dirs+=("${HAIKU_INCLUDES[i]}"); done

: >"$work/shim-all.c"
haiku_headers=()
missing_headers=()
for h in SupportDefs.h OS.h Drivers.h Select.h KernelExport.h "${headers[@]}"; do
	grep -qx "#include <$h>" "$work/shim-all.c" && continue
	echo "#include <$h>" >>"$work/shim-all.c"
	treat header "$h"
	[ "$T" = skip ] && continue
	found=
	for d in "${haiku_dirs[@]}"; do [ -f "$d/$h" ] && { found=1; break; }; done
	if [ -n "$found" ]; then haiku_headers+=("$h"); else missing_headers+=("$h"); fi
done

# include guards of the shim headers are not API
declare -A guards=()
for h in "${headers[@]}"; do
	g=$(awk '/^#[ \t]*ifndef[ \t]/ { print $2; exit }' "$shim/$h")
	[ -n "$g" ] && guards[$g]=1
done

# ---- declarations of the shim (AST) and its macros (-dM) ---------------------------------------
clang "${HOST_CFLAGS[@]}" -fsyntax-only -fno-color-diagnostics -Xclang -ast-dump \
	"$work/shim-all.c" >"$work/shim-ast.txt"
awk -f "$root/tools/ast-decls.awk" "$work/shim-ast.txt" >"$work/shim-decls.tsv"
clang "${HOST_CFLAGS[@]}" -E -dM "$work/shim-all.c" >"$work/shim-macros.txt"
declare -A shim_defined=()
while read -r n; do shim_defined[$n]=1; done < <(cat "$shim"/*.h "$shim"/*/*.h \
	| sed -n 's/^[[:space:]]*#[[:space:]]*define[[:space:]]\{1,\}\([A-Za-z_][A-Za-z0-9_]*\).*/\1/p')

# items.tsv: kind name expr-or-type [extra]; kinds: const, exists, proto, typedef, record, field
: >"$work/items.tsv"
item() { local IFS=$'\t'; printf '%s\n' "$*" >>"$work/items.tsv"; }

while IFS= read -r line; do
	def=${line#\#define }
	name=${def%%[ (]*}
	[ -n "${shim_defined[$name]:-}" ] && [ -z "${guards[$name]:-}" ] || continue
	treat macro "$name"
	[ "$T" = skip ] && continue
	rest=${def#"$name"}
	if [ "${rest:0:1}" = "(" ]; then
		# function-like: evaluated at sample arguments 3, 5, 7...
		params=${rest%%)*}; params=${params#(}
		args=$(awk -v p="$params" 'BEGIN { n = split(p, a, ","); s = ""
			for (i = 1; i <= n; i++) s = s (i > 1 ? ", " : "") (2 * i + 1); print s }')
		item const "$name" "$name($args)" macro
	else
		body=${rest# }
		case "$body" in '' | '{'*) item exists "$name" - macro ;; *) item const "$name" "$name" macro ;; esac
	fi
done < <(grep '^#define ' "$work/shim-macros.txt" | LC_ALL=C sort)

declare -A record_ref=() record_mode=()
while IFS=$'\t' read -r kind a b c d; do
	if [ "$kind" = field ]; then
		[ -n "${record_ref[$a]:-}" ] || continue
		rec=${record_ref[$a]#struct }; rec=${rec#union }
		treat field "$rec.$b"
		[ "$T" = skip ] && continue
		item field "${record_ref[$a]}" "$b" "$c" "${record_mode[$a]}"
		continue
	fi
	[[ "$b" == "$shim"/* ]] || continue
	case "$kind" in
	enum) treat enum "$a"; [ "$T" = skip ] || item const "$a" "$a" enum ;;
	func) treat function "$a"; [ "$T" = skip ] || item proto "$a" "$c" "${d:--}" ;;
	var) treat variable "$a"; [ "$T" = skip ] || item var "$a" "$c" - ;;
	typedef) treat typedef "$a"; [ "$T" = skip ] || item typedef "$a" "$c" "$d" ;;
	record)
		rec=${c#struct }; rec=${rec#union }
		treat struct "$rec"
		[ "$T" = skip ] && continue
		record_ref[$a]=$c
		record_mode[$a]=${T:-full}
		[ "$T" = differs ] && record_mode[$a]=full
		item record "$c" - "${record_mode[$a]}" ;;
	esac
done < <(awk -F'\t' 'BEGIN { OFS = "\t" }
	$1 == "field" { f[$2] = f[$2] $0 "\n"; next }
	$1 == "record" { print; printf "%s", f[$2]; next }
	{ print }' "$work/shim-decls.tsv")

# ---- host side: which macro expressions evaluate, and their values ------------------------------
{
	echo '#include "shim-all.c"'
	awk -F'\t' '$1 == "const" { printf "static void drift_probe_%d(void) { (void)(%s); }\n", NR, $3 }' \
		"$work/items.tsv"
} >"$work/probe.c"
: >"$work/probe-bad.txt"
if ! clang "${HOST_CFLAGS[@]}" -fsyntax-only -ferror-limit=0 -w "$work/probe.c" 2>"$work/probe.err"; then
	sed -n "s|^$work/probe.c:\([0-9]*\):[0-9]*: error:.*|\1|p" "$work/probe.err" | sort -un \
		| while read -r l; do sed -n "${l}p" "$work/probe.c" | sed -n 's/.*drift_probe_\([0-9]*\).*/\1/p'; done \
		>"$work/probe-bad.txt"
fi
# uncomputable macros (initializers, statements) are only checked for existence
awk -F'\t' -v OFS='\t' 'NR == FNR { bad[$1] = 1; next }
	$1 == "const" && (FNR in bad) { print "exists", $2, "-", $4; next } { print }' \
	"$work/probe-bad.txt" "$work/items.tsv" >"$work/items2.tsv"
mv "$work/items2.tsv" "$work/items.tsv"

{
	cat <<'EOF'
#include "shim-all.c"
#include <stdio.h>
#include <stddef.h>
#define DRIFT_IS_STR(n) _Generic((n), char*: 1, const char*: 1, default: 0)
#define DRIFT_IS_INT(n) (__builtin_classify_type(n) >= 1 && __builtin_classify_type(n) <= 4)
static void drift_int(const char* name, int negative, long long s, unsigned long long u, size_t size)
{
	if (negative && s == (-9223372036854775807LL - 1))
		printf("const\t%s\t(-9223372036854775807LL - 1)\t%zu\n", name, size);
	else if (negative)
		printf("const\t%s\t(%lldLL)\t%zu\n", name, s, size);
	else
		printf("const\t%s\t%lluULL\t%zu\n", name, u, size);
}
static void drift_str(const char* name, const char* s)
{
	printf("str\t%s\t\"", name);
	for (; *s; s++)
		printf("\\%03o", (unsigned char)*s);
	printf("\"\n");
}
#define DRIFT_CONST(n, label) __builtin_choose_expr(DRIFT_IS_STR(n), \
	drift_str(label, (const char*)(unsigned long)(n)), __builtin_choose_expr(DRIFT_IS_INT(n), \
	drift_int(label, (n) < 0, (long long)(n), (unsigned long long)(n), sizeof(n)), \
	(void)printf("other\t%s\n", label)))
int main(void)
{
EOF
	awk -F'\t' '
		$1 == "const" { printf "\tDRIFT_CONST(%s, \"%s\");\n", $3, $2 }
		$1 == "record" && $4 != "names-only" { printf "\tprintf(\"size\\t%s\\t%%zu\\n\", sizeof(%s));\n", $2, $2 }
		$1 == "field" && $5 != "names-only" {
			printf "\tprintf(\"field\\t%s\\t%s\\t%%zu\\t%%zu\\n\", offsetof(%s, %s), sizeof(((%s*)0)->%s));\n", $2, $3, $2, $3, $2, $3 }
		$1 == "typedef" && $4 ~ /^(unsigned |signed )?(char|short|int|long|long long|_Bool)$/ {
			printf "\tprintf(\"int\\t%s\\t%%zu\\t%%d\\n\", sizeof(%s), (%s)-1 < 0);\n", $2, $2, $2 }
	' "$work/items.tsv"
	echo '	return 0;'
	echo '}'
} >"$work/values.c"
clang "${HOST_CFLAGS[@]}" -w "$work/values.c" -o "$work/values"
"$work/values" >"$work/values.tsv"

# ---- Haiku side: one check per line --------------------------------------------------------------
tu="$work/haiku-drift.c"
{
	echo '#include <stddef.h>'
	for h in "${haiku_headers[@]}"; do
		if [ "$h" = net_datalink.h ]; then
			# C++ only in Haiku because of one forward-declared class; read it as C for the check
			echo 'typedef struct Checksum Checksum;'
			echo '#define class struct'
			echo "#include <$h>"
			echo '#undef class'
		else
			echo "#include <$h>"
		fi
	done
	echo '#include "tuntap_private.h"'
	echo '#define DRIFT_SAME_FN(a, b) __builtin_types_compatible_p(__typeof__(a), __typeof__(b))'
} >"$tu"
: >"$work/checks.tsv"
check() # category name text description: every line of text maps back to the item
{
	local first n i
	first=$(($(wc -l <"$tu") + 1))
	printf '%s\n' "$3" >>"$tu"
	n=$(printf '%s\n' "$3" | wc -l)
	for ((i = 0; i < n; i++)); do
		printf '%s\t%s\t%s\t%s\n' "$((first + i))" "$1" "$2" "$4" >>"$work/checks.tsv"
	done
}

declare -A val_const=() val_size=() val_str=() val_field=() val_int=()
while IFS=$'\t' read -r kind a b c d; do
	case "$kind" in
	const) val_const[$a]=$b; val_size[$a]=$c ;;
	str) val_str[$a]=$b ;;
	size) val_size["struct:$a"]=$b ;;
	field) val_field["$a.$b"]="$c $d" ;;
	int) val_int[$a]="$b $c" ;;
	esac
done <"$work/values.tsv"

n_const=0 n_exists=0 n_proto=0 n_types=0 n_structs=0 n_fields=0
while IFS=$'\t' read -r kind name expr extra mode; do
	case "$kind" in
	const)
		n_const=$((n_const + 1))
		if [ -n "${val_str[$name]:-}" ]; then
			check constant "$name" "_Static_assert(__builtin_strcmp($expr, ${val_str[$name]}) == 0, \"$name\");" "string"
		elif [ -n "${val_const[$name]:-}" ]; then
			check constant "$name" "_Static_assert(($expr) == ${val_const[$name]} && sizeof($expr) == ${val_size[$name]}, \"$name\");" "value ${val_const[$name]}, ${val_size[$name]} bytes"
		else
			check constant "$name" "_Static_assert(0, \"$name: not an integer or string constant in the shim\");" "unclassified"
		fi ;;
	exists)
		n_exists=$((n_exists + 1))
		check constant "$name" "#ifndef $name
_Static_assert(0, \"$name: no such macro in Haiku\");
#endif" "macro exists" ;;
	proto)
		n_proto=$((n_proto + 1))
		type=${expr% __attribute__*}
		ret=$(awk -v t="$type" 'BEGIN { d = 0; for (i = length(t); i > 0; i--) { c = substr(t, i, 1)
			if (c == ")") d++; else if (c == "(") { d--; if (d == 0) { print substr(t, 1, i - 1); exit } } } }')
		params=${type:${#ret}}
		check prototype "$name" "_Static_assert(__builtin_types_compatible_p(__typeof__(&($name)), $ret (*)$params), \"$name\"); $ret ($name)$params;" "$type"
		;;
	var)
		n_proto=$((n_proto + 1))
		check prototype "$name" "_Static_assert(__builtin_types_compatible_p(__typeof__($name), $expr), \"$name\");" "$expr" ;;
	typedef)
		n_types=$((n_types + 1))
		if [ -n "${val_int[$name]:-}" ]; then
			read -r size signed <<<"${val_int[$name]}"
			check typedef "$name" "_Static_assert(sizeof($name) == $size && (($name)-1 < 0) == $signed, \"$name\");" "integer, $size bytes, signed=$signed"
		elif [[ "$expr" == *'(*)'* ]]; then
			check typedef "$name" "_Static_assert(__builtin_types_compatible_p($name, $expr), \"$name\");" "$expr"
		else
			check typedef "$name" "typedef $name drift_typedef_$n_types;" "type exists"
		fi ;;
	record)
		n_structs=$((n_structs + 1))
		if [ "$extra" = full ]; then
			check struct "$name" "_Static_assert(sizeof($name) == ${val_size["struct:$name"]}, \"sizeof $name\");" "sizeof ${val_size["struct:$name"]}"
		fi ;;
	field)
		n_fields=$((n_fields + 1))
		member="((${name}*)0)->$expr"
		if [ "$mode" = names-only ]; then
			check struct "$name.$expr" "_Static_assert(sizeof($member) > 0, \"$name.$expr\");" "member exists"
		else
			read -r off size <<<"${val_field["$name.$expr"]}"
			check struct "$name.$expr" "_Static_assert(offsetof($name, $expr) == $off && sizeof($member) == $size, \"$name.$expr\");" "offset $off, size $size"
		fi
		if [[ "$extra" == *'(*)'* ]]; then
			check struct "$name.$expr" "_Static_assert(__builtin_types_compatible_p(__typeof__($member), $extra), \"$name.$expr type\");" "$extra"
		fi ;;
	esac
done <"$work/items.tsv"

# the driver declares a prefix of Haiku's C++-only datalink module struct itself: same layout
n_structs=$((n_structs + 1))
check struct "tuntap_datalink_module_info (driver)" "_Static_assert(offsetof(struct tuntap_datalink_module_info, control) == offsetof(struct net_datalink_module_info, control) && DRIFT_SAME_FN(((struct tuntap_datalink_module_info*)0)->control, ((struct net_datalink_module_info*)0)->control) && __builtin_strcmp(TUNTAP_DATALINK_MODULE_NAME, NET_DATALINK_MODULE_NAME) == 0, \"driver datalink prefix\");" "driver/tuntap_private.h prefix of net_datalink_module_info"

clang "${HAIKU_CFLAGS[@]}" -I"$root/driver" -fsyntax-only -ferror-limit=0 -fno-color-diagnostics -w \
	-Werror=implicit-function-declaration \
	"$tu" 2>"$work/haiku-drift.err" || true

# ---- verdict --------------------------------------------------------------------------------------
declare -A failed=()
while IFS= read -r l; do
	ln=${l#"$tu":}; ln=${ln%%:*}
	msg=${l#*error: }
	failed[$ln]="${failed[$ln]:+${failed[$ln]}; }$msg"
done < <(grep "^$tu:[0-9]*:[0-9]*: error: " "$work/haiku-drift.err" || true)
other=$(grep ': error: ' "$work/haiku-drift.err" | grep -v "^$tu:" || true)

# the exception key of a check: constants may be macros or enum constants
exc_key()
{
	local cat=$1 name=$2 k
	case "$cat" in
	constant)
		for k in "macro $name" "enum $name"; do [ -n "${exc_treat[$k]:-}" ] && { echo "$k"; return 0; }; done
		echo "macro $name" ;;
	prototype) echo "function $name" ;;
	typedef) echo "typedef $name" ;;
	struct)
		name=${name#struct }; name=${name#union }
		if [ -n "${exc_treat["field $name"]:-}" ]; then echo "field $name"; else echo "struct ${name%%.*}"; fi ;;
	esac
	return 0
}

unexpected=0 known=0
declare -A reported=()
while IFS=$'\t' read -r ln cat name what; do
	[ -n "${failed[$ln]:-}" ] || continue
	key=$(exc_key "$cat" "$name")
	if [ "${exc_treat[$key]:-}" = differs ]; then
		exc_hit[$key]=1
		[ -n "${reported[$key]:-}" ] && continue
		reported[$key]=1
		known=$((known + 1))
		echo "  known   $key (differs): ${exc_reason[$key]}"
	else
		unexpected=$((unexpected + 1))
		echo "  DRIFT   $cat ${name#struct } (shim: $what): ${failed[$ln]}"
	fi
done <"$work/checks.tsv"
for h in "${missing_headers[@]}"; do
	unexpected=$((unexpected + 1))
	echo "  DRIFT   header $h: the shim has it, Haiku's include path does not"
done
if [ -n "$other" ]; then
	unexpected=$((unexpected + 1))
	echo "  DRIFT   errors outside the check file (Haiku headers did not compile):"
	printf '%s\n' "$other" | head -n 20 | sed 's/^/          /'
fi
while IFS= read -r key; do
	if [ "${exc_treat[$key]}" != differs ] && [ -n "${exc_used[$key]:-}" ]; then
		known=$((known + 1))
		echo "  known   $key (${exc_treat[$key]}): ${exc_reason[$key]}"
	elif [ "${exc_treat[$key]}" = differs ] && [ -z "${exc_hit[$key]:-}" ]; then
		echo "  stale   $key: listed as differing in tools/drift-exceptions but matches Haiku now"
	elif [ -z "${exc_used[$key]:-}" ] && [ "${exc_treat[$key]}" != differs ]; then
		echo "  stale   $key: listed in tools/drift-exceptions but the shim does not declare it"
	fi
done < <(printf '%s\n' "${!exc_treat[@]}" | LC_ALL=C sort)

echo "drift-check: $n_const constants (values), $n_exists macros (names only), $n_proto prototypes," \
	"$n_types typedefs, $n_structs structs ($n_fields members) compared against Haiku;" \
	"$known known differences (tools/drift-exceptions), $unexpected unexpected"
[ "$unexpected" -eq 0 ]

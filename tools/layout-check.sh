#!/usr/bin/env bash
# make lint's layout rules: private headers stay in their part, no two C files reference each
# other's symbols both ways (unless tools/layout-exceptions says why), no folder holds more than a
# fifth of the C lines, every relative link in a README resolves, no issue numbers in code.
# Usage: layout-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
problems=0
problem() {
	echo "layout: $*"
	problems=$((problems + 1))
}

# ---- 1. private headers: included only inside their own part ----------------------------------
# (header, the path prefix of the files that may include it)
rules=(
	"tuntap_private.h driver/"
	"shim_private.h userland-shim/"
	"kern/kern_private.h userland-shim/kern/ userland-shim/tests/"
	"dev/dev_private.h userland-shim/dev/ userland-shim/tests/"
	"net/net_private.h userland-shim/net/ userland-shim/boot.c userland-shim/tests/"
	"host/host.h userland-shim/"
	"host/host_asan.h userland-shim/"
	"host/host_tsan.h userland-shim/"
)
sources=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' | sed 's#^\./##')
for rule in "${rules[@]}"; do
	read -r header allowed <<<"$rule"
	base=$(basename "$header")
	while IFS=: read -r file _; do
		[ -n "$file" ] || continue
		ok=0
		for prefix in $allowed; do
			case $file in "$prefix"*) ok=1 ;; esac
		done
		[ $ok = 1 ] || problem "$file includes $header, private to ${allowed// / or }"
	done < <(grep -lE "#include \"([a-z]+/)?$base\"" $sources 2>/dev/null | sed 's/$/:/')
done

# ---- 2. no pair of files calls each other both ways -------------------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-std=gnu11 -D_GNU_SOURCE -Iuserland-shim/include -Iuserland-shim -Idriver -Istress
	-w -O0)
objects() {
	for f in "$@"; do
		mkdir -p "$work/$(dirname "$f")"
		local extra=()
		case $f in driver/*) extra=(-D_KERNEL_MODE) ;; esac
		clang "${flags[@]}" "${extra[@]}" -c "$f" -o "$work/$f.o" &
		while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n; done
	done
	wait
}
# the driver, the shim (one build of the host seam) and the stress engine. Not fuzz/: a harness
# defines fz_harness, the op table its core reads, as a libFuzzer target defines its entry point.
objects driver/*.c userland-shim/*.c userland-shim/{kern,dev,net}/*.c userland-shim/host/host.c \
	stress/*.c
: >"$work/defs"
: >"$work/uses"
while read -r o; do
	f=${o#"$work"/}
	f=${f%.o}
	nm -g --defined-only "$o" | awk -v f="$f" '{print $3, f}' >>"$work/defs"
	nm -u "$o" | awk -v f="$f" '{print f, $2}' >>"$work/uses"
done < <(find "$work" -name '*.o' | sort)
while read -r a b syms; do
	if grep -qE "^$a $b( |$)|^$b $a( |$)" tools/layout-exceptions; then
		continue
	fi
	problem "$a and $b call each other (${syms})"
done < <(awk 'NR == FNR { def[$1] = $2; next }
	($2 in def) && def[$2] != $1 { print $1, def[$2], $2 }' "$work/defs" "$work/uses" |
	sort -u | awk '{ key = $1 " " $2; e[key] = e[key] " " $3 }
	END { for (k in e) { split(k, p, " "); r = p[2] " " p[1];
		if ((r in e) && p[1] < p[2]) print p[1], p[2], e[k] " /" e[r] } }' | sort)

# ---- 3. no folder holds more than a fifth of the C lines --------------------------------------
total=$(cat $sources | wc -l)
while read -r dir; do
	n=$(find "$dir" -maxdepth 1 -name '*.[ch]' -exec cat {} + | wc -l)
	[ $((n * 5)) -le "$total" ] || problem "$dir holds $n of $total C lines (more than a fifth)"
done < <(printf '%s\n' $sources | xargs -n1 dirname | sort -u)

# ---- 4. every relative link in a README resolves ----------------------------------------------
for doc in $(git ls-files '*.md' 2>/dev/null || find . -name '*.md' | sed 's#^\./##'); do
	while read -r target; do
		case $target in http:* | https:* | mailto:* | '') continue ;; esac
		[ -e "$(dirname "$doc")/$target" ] || problem "$doc links to $target, which does not exist"
	done < <(grep -oE '\]\([^)#]*' "$doc" | sed 's/^](//')
done

# ---- 5. no issue numbers in code, makefiles or scripts (they name the bug or the rule instead) --
while IFS= read -r hit; do
	problem "an issue number in code: $hit"
done < <(git grep -nIiE '\<issue ?#?[0-9]+' -- ':!*.md' ':!corpora/' ':!report/fixture/' \
	':!tools/layout-check.sh' 2>/dev/null)

if [ $problems -gt 0 ]; then
	echo "layout: $problems problem(s)"
	exit 1
fi
echo "layout: private headers in their parts, no two files call each other both ways, no folder" \
	"over a fifth of the C lines, every README link resolves," \
	"no issue numbers in code"

#!/usr/bin/env bash
# make haiku / make haiku-install, on Haiku only: builds the add-on with the system compiler and
# headers, links _KERNEL_ and haiku_version_glue.o (haiku.md §4.3), installs it non-packaged.

# Usage: build.sh build HAIKU_SRC OUTDIR "WARNING FLAGS" DRIVER_SOURCES...
#        build.sh install OUTDIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tools/haiku-env.sh
. "$root/tools/haiku-env.sh"
develop=${HAIKU_DEVELOP:-/boot/system/develop}	# where haiku_devel is installed

if [ "$(uname -s)" != Haiku ]; then
	echo "make haiku/haiku-install run on Haiku only (system compiler, $develop); elsewhere use make haiku-check"
	exit 2
fi

case "${1:-}" in
build)
	src=${2:-}
	out=$3
	read -r -a warn <<<"$4"
	shift 4
	# haiku_devel ships headers/ but not build/config_headers/kernel_debug_config.h, whose
	# KDEBUG level changes the inline mutex code: take it from a checkout matching this system.
	if [ -z "$src" ] || [ ! -f "$src/build/config_headers/kernel_debug_config.h" ]; then
		echo "make haiku needs HAIKU_SRC=<Haiku checkout of this system's version> for build/config_headers/kernel_debug_config.h (haiku_devel does not ship it)"
		exit 2
	fi
	for f in "$develop/lib/_KERNEL_" "$develop/lib/haiku_version_glue.o" \
		"$develop/headers/private/net/net_device.h"; do
		[ -e "$f" ] || { echo "make haiku: $f is missing; install haiku_devel (pkgman install haiku_devel)"; exit 1; }
	done
	cc=${HAIKU_CC:-cc}
	mapfile -t includes < <(haiku_include_flags "$develop/headers" "$src/build/config_headers" \
		"$("$cc" -print-file-name=include)")
	mkdir -p "$out/obj"
	objs=()
	for c in "$@"; do
		o="$out/obj/$(basename "${c%.c}").o"
		echo "  CC  $c"
		"$cc" "${HAIKU_KERNEL_FLAGS[@]}" "${includes[@]}" "${warn[@]}" -I"$root/driver" \
			-c "$root/$c" -o "$o"
		objs+=("$o")
	done
	# makefile-engine's DRIVER link plus Jam's KernelAddon checks: no undefined symbol may remain
	# after _KERNEL_, so every import gets the kernel's symbol type, which the loader requires.
	"$cc" -shared -nostdlib -Wl,--no-undefined -Wl,-soname=tunnel \
		-Wl,--version-script="$root/driver/haiku/exports.map" -Wl,-z,max-page-size=0x1000 \
		"${objs[@]}" "$develop/lib/_KERNEL_" "$develop/lib/haiku_version_glue.o" -o "$out/tunnel"
	echo "make haiku: built $out/tunnel; install it with make haiku-install"
	;;
install)
	out=$2
	[ -f "$out/tunnel" ] || { echo "make haiku-install: $out/tunnel is missing; run make haiku" >&2; exit 1; }
	addons=$(finddir B_USER_NONPACKAGED_ADDONS_DIRECTORY 2>/dev/null || echo "$HOME/config/non-packaged/add-ons")
	dest="$addons/kernel/network/devices"
	mkdir -p "$dest"
	cp "$out/tunnel" "$dest/tunnel"
	# the devfs driver part: devfs loads every file of drivers/dev/<dir> when /dev/<dir> is first
	# looked up (legacy_drivers.cpp, probe_for_drivers); a link, so the kernel maps one image
	# (driver/devfs_driver.c says why it works either way)
	for dir in tun tap; do
		mkdir -p "$addons/kernel/drivers/dev/$dir"
		ln -sfn ../../../network/devices/tunnel "$addons/kernel/drivers/dev/$dir/tunnel"
	done
	echo "make haiku-install: installed $dest/tunnel (module network/devices/tunnel/v1), linked as drivers/dev/tun/tunnel and drivers/dev/tap/tunnel; see README.md, Trying it on Haiku"
	;;
*)
	echo "usage: build.sh build HAIKU_SRC OUTDIR WARN SOURCES... | build.sh install OUTDIR" >&2
	exit 1
	;;
esac

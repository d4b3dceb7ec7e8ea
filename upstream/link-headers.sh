#!/usr/bin/env bash
# upstream/upstream.mk's helper: link Haiku's header-only utilities from HAIKU_SRC into the
# upstream build's include directory, or check what a compiled upstream object imports.
#
#   link-headers.sh HAIKU_SRC DIR NAME:PATH...   DIR/NAME -> HAIKU_SRC/PATH (each must exist)
#   link-headers.sh --check-imports OBJECT       no C++ runtime symbol left undefined in OBJECT
set -euo pipefail

if [ "${1:-}" = --check-imports ]; then
	left=$(nm -u "$2" | awk '$2 ~ /^_Z/ { print $2 }' | c++filt | xargs)
	if [ -n "$left" ]; then
		echo "upstream: $2 needs C++ runtime symbols the shim does not provide: $left" >&2
		exit 1
	fi
	exit 0
fi

src=$1 dir=$2
shift 2
[ -f "$src/src/add-ons/kernel/network/devices/tunnel/tunnel.cpp" ] || {
	echo "upstream: HAIKU_SRC=$src has no src/add-ons/kernel/network/devices/tunnel/tunnel.cpp" >&2
	exit 2
}
src=$(cd "$src" && pwd)
for pair in "$@"; do
	name=${pair%%:*} path=${pair#*:}
	[ -f "$src/$path" ] || { echo "upstream: HAIKU_SRC=$src has no $path" >&2; exit 2; }
	mkdir -p "$dir/$(dirname "$name")"
	ln -sfn "$src/$path" "$dir/$name"
done

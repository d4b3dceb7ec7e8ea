#!/usr/bin/env bash
# Checks the Debian packages a make target needs; installs the missing ones when run as root,
# otherwise stops with the exact apt-get line.
# Usage: tools/deps.sh test|fuzz|haiku-check|report|report-test
set -euo pipefail
need=(clang libclang-rt-14-dev llvm libcmocka-dev make gcc clang-tidy cppcheck python3)
case "${1:-test}" in
fuzz) need+=(afl++) ;;
haiku-check) need+=(lld) ;;
report) need+=(gnuplot-nox) ;;
report-test) need+=(gnuplot-nox chromium) ;;
esac
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
else
	echo "deps: missing packages; run as root: $line" >&2
	exit 1
fi

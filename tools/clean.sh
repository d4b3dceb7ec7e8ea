#!/usr/bin/env bash
# make clean and make distclean. clean removes what make rebuilds in minutes (objects, binaries,
# copies of the tree) and keeps what took hours and says so: the fuzzers' working corpora and
# AFL++ output, coverage reports, the e2e logs, the bench results and history, the report's
# histories (build/history/); findings/ and stress-logs/ are outside build/. distclean removes all
# of it. Usage: clean.sh clean|distclean
set -uo pipefail
cd "$(dirname "$0")/.."

case ${1:-} in
distclean)
	for d in build findings stress-logs; do
		[ -e "$d" ] && echo "distclean: removing $d/ ($(du -sh "$d" | cut -f1))"
	done
	rm -rf build findings stress-logs
	exit 0 ;;
clean) ;;
*)
	echo "usage: clean.sh clean|distclean" >&2
	exit 2 ;;
esac

[ -d build ] || exit 0
kept=(build/fuzz/*/corpus build/fuzz/*/afl-out build/fuzz/*/coverage build/e2e/logs
	build/bench/history.jsonl build/bench/results.txt build/bench/results.json build/history)
prune=()
for k in "${kept[@]}"; do
	[ -e "$k" ] && prune+=(-path "$k" -prune -o)
done
# files and links outside what is kept, then the folders left empty
find build -mindepth 1 "${prune[@]}" \( -type f -o -type l \) -exec rm -f {} +
find build -mindepth 1 -depth -type d -empty -delete
rm -rf build/bugs # copies of the tree (they hold no hours of work: findings are copied out)
for k in "${kept[@]}"; do
	[ -e "$k" ] && echo "clean: kept $k ($(du -sh "$k" | cut -f1))"
done
[ -e findings ] && echo "clean: kept findings/"
[ -e stress-logs ] && echo "clean: kept stress-logs/"
echo "clean: make distclean removes those too"

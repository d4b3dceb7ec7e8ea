#!/usr/bin/env bash
# The report's "reproducible N/20": how many of RUNS replays of a finding's reproducer end with the
# finding's signature, computed as fuzz/findings.sh computes it, replayed as make repro does.
# usage: repro_count.sh REPLAYER FILE SIGNATURE RUNS   (prints the count; the signature's target
# prefix included, as findings/INDEX has it)
set -uo pipefail
[ $# -eq 4 ] && [[ $4 =~ ^[1-9][0-9]*$ ]] || {
	echo "usage: repro_count.sh REPLAYER FILE SIGNATURE RUNS" >&2
	exit 2
}
rp=$1 file=$2 signature=$3 runs=$4
code=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=fuzz/settings.sh
source "$code/fuzz/settings.sh"
# shellcheck source=fuzz/findings.sh
source "$code/fuzz/findings.sh"
fz_sanitizer_env
target=${signature%% *}
same=0
for ((i = 0; i < runs; i++)); do
	out=$(timeout -k 5 60 "$rp" "$file" 2>&1)
	[ "$target $(finding_signature "$out")" = "$signature" ] && same=$((same + 1))
done
echo "$same"

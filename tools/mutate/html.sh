#!/usr/bin/env bash
# make mutate's HTML: build/mutate/mutation.json shown by the schema's own web component
# (mutation-testing-elements from npm, installed into build/mutate/npm, never committed).
set -euo pipefail
out=${1:?usage: html.sh OUT-DIR}
VERSION=3.9.0 # mutation-testing-elements: a fixed version, so the page is the same everywhere
[ -f "$out/mutation.json" ] || { echo "mutate-html: no $out/mutation.json" >&2; exit 2; }
js=$out/npm/node_modules/mutation-testing-elements/dist/mutation-test-elements.js
if [ ! -f "$js" ]; then
	if ! command -v npm >/dev/null; then
		echo "mutate-html: skipped: no npm (apt-get install npm); the report is $out/mutation.json"
		exit 0
	fi
	mkdir -p "$out/npm"
	npm install --silent --no-audit --no-fund --prefix "$out/npm" \
		"mutation-testing-elements@$VERSION" >"$out/npm/install.log" 2>&1 || {
		echo "mutate-html: skipped: npm install failed ($out/npm/install.log);" \
			"the report is $out/mutation.json"
		exit 0
	}
fi
cp "$js" "$out/mutation-test-elements.js"
{
	echo '<!DOCTYPE html><html><head><meta charset="utf-8"><title>tuntap: make mutate</title>'
	echo '<script src="mutation-test-elements.js"></script></head><body>'
	echo '<mutation-test-report-app title-postfix="tuntap driver"></mutation-test-report-app>'
	echo '<script>document.querySelector("mutation-test-report-app").report ='
	# the JSON inside a script element: "</" would end it early
	sed 's#</#<\\/#g' "$out/mutation.json"
	echo ';</script></body></html>'
} >"$out/index.html"
echo "mutate-html: $out/index.html (mutation-testing-elements $VERSION)"

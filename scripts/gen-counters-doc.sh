#!/usr/bin/env bash
# Regenerate the counter table of docs/counters.md from the binary's one counter list.
# usage: scripts/gen-counters-doc.sh [--check] [SYNFRONT_BINARY]
#   --check  exit 1 (and show the difference) when the document is out of date
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
bin=${1:-$top/build/app/synfront}
doc=$top/docs/counters.md
new=$(mktemp)
trap 'rm -f "$new"' EXIT
awk -v table="$("$bin" -- --counters)" '
	/<!-- counters:begin -->/ { print; print table; skip = 1; next }
	/<!-- counters:end -->/ { skip = 0 }
	!skip { print }' "$doc" >"$new"
if [ $check -eq 1 ]; then
	if diff -u "$doc" "$new"; then echo "docs/counters.md is up to date"; exit 0; fi
	echo "docs/counters.md is out of date: run scripts/gen-counters-doc.sh" >&2
	exit 1
fi
cp "$new" "$doc"

#!/usr/bin/env bash
# Install what is missing, build with -Werror, run every test suite
# (unit, dpdk, e2e), and end with "N passed, N failed, N skipped".
# Usage: scripts/test.sh [meson test arguments, e.g. --suite unit]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

"$top/scripts/deps.sh" || { echo "0 passed, 1 failed"; exit 1; }
if ! "$top/scripts/build.sh"; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

# Leftovers of an interrupted run would make the lab tests fail for the wrong reason.
"$top/scripts/lab.sh" down >/dev/null 2>&1 || true

meson test -C build --no-rebuild --print-errorlogs --num-processes 2 "$@"
rc=$?

/usr/bin/python3 - "$top/build/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = s = 0
try:
    for line in open(sys.argv[1]):
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            p += 1
        elif r == "SKIP":
            s += 1
        else:
            f += 1
except OSError:
    f += 1
print(f"{p} passed, {f} failed, {s} skipped")
PY
exit $rc

# Shared by the e2e tests (bash): lab setup/teardown and checks.
# A test sources this, calls lab_begin, runs its checks with ok/fail, and ends with lab_end.
set -uo pipefail

SF_TOP=${SF_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export SF_LAB_BIN=${SF_BIN:-$SF_TOP/build/app/synfront}
export SF_LAB_DIR=${SF_LAB_DIR:-/run/synfront-lab-test}
LAB="$SF_TOP/scripts/lab.sh"
passed=0
failed=0

ok() { echo "ok     $*"; passed=$((passed + 1)); }
fail() { echo "FAILED $*"; failed=$((failed + 1)); }
check() {  # check "what" command...
	local what=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}
check_not() {
	local what=$1; shift
	if "$@" >/dev/null 2>&1; then fail "$what"; else ok "$what"; fi
}

# counter NAME: value from the final counters of the last stop (0 when absent).
counter() { awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }' "$SF_LAB_DIR/counters"; }

lab_begin() {
	if [ "$(id -u)" -ne 0 ]; then echo "skipped: needs root"; exit 77; fi
	"$LAB" down >/dev/null 2>&1 || true
	trap 'lab_cleanup' EXIT
	"$LAB" up || { echo "FAILED lab up"; exit 1; }
	if ! "$LAB" start; then echo "FAILED synfront start on the lab"; exit 1; fi
}

lab_stop() {
	"$LAB" stop >"$SF_LAB_DIR/counters" 2>&1
	cat "$SF_LAB_DIR/counters"
}

lab_cleanup() {
	"$LAB" down >/dev/null 2>&1 || true
}

lab_end() {
	echo "$(basename "$0"): $passed checks passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}

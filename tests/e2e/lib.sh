# Shared by the e2e tests (bash): lab setup/teardown and checks.
# A test sources this, calls lab_begin, runs its checks with ok/fail, and ends with lab_end.
set -uo pipefail

SF_TOP=${SF_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export SF_LAB_BIN=${SF_BIN:-$SF_TOP/build/app/synfront}
export SF_LAB_DIR=${SF_LAB_DIR:-/run/synfront-lab-test}
LAB="$SF_TOP/scripts/lab.sh"
SF_E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SF_PY=${SF_PY:-/usr/bin/python3}
passed=0
failed=0
lab_bg_pids=()

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

# lab_begin: lab_up, then lab_start. Tests that prepare the namespaces first call the two.
lab_begin() {
	lab_up
	lab_start
}

# lab_up: (re)create the namespaces; lab_cleanup runs on exit whatever happens.
lab_up() {
	if [ "$(id -u)" -ne 0 ]; then echo "skipped: needs root"; exit 77; fi
	"$LAB" down >/dev/null 2>&1 || true
	trap 'lab_cleanup' EXIT
	mkdir -p "$SF_LAB_DIR"
	"$LAB" up || { echo "FAILED lab up"; exit 1; }
}

# lab_start: run synfront on the lab (config $SF_LAB_CONF, $SF_LAB_WORKERS workers).
lab_start() {
	if ! "$LAB" start; then echo "FAILED synfront start on the lab"; exit 1; fi
}

lab_stop() {
	"$LAB" stop >"$SF_LAB_DIR/counters" 2>&1
	cat "$SF_LAB_DIR/counters"
}

lab_cleanup() {
	local p
	for p in "${lab_bg_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${lab_bg_pids[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	lab_bg_pids=()
	"$LAB" down >/dev/null 2>&1 || true
}

lab_end() {
	echo "$(basename "$0"): $passed checks passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}

# ---- helpers for the splice tests (real clients in sfc, real servers in sfb) ----

sfc() { ip netns exec sfc "$@"; }
sfb() { ip netns exec sfb "$@"; }

# lab_bg NAME COMMAND...: run COMMAND (a program, not a shell function, so that its pid is
# the one recorded) in the background, output in $SF_LAB_DIR/NAME.log;
# lab_cleanup ends it. Sets lab_bg_pid.
lab_bg() {
	local name=$1; shift
	"$@" >"$SF_LAB_DIR/$name.log" 2>&1 </dev/null &
	lab_bg_pid=$!
	lab_bg_pids+=("$lab_bg_pid")
}

# lab_bg_stop PID: end one background process early (SIGINT, then SIGKILL after 5 s).
lab_bg_stop() {
	kill -INT "$1" 2>/dev/null || return 0
	for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# backend_start: backend_server.py on 0.0.0.0:8080 in sfb (both backend addresses),
# and an iperf3 server on 198.18.1.1:5201; waits until the HTTP server answers.
backend_start() {
	lab_bg backend ip netns exec sfb "$SF_PY" "$SF_E2E/backend_server.py" --port 8080
	lab_bg iperf3 ip netns exec sfb iperf3 -s -B 198.18.1.1 -p 5201
	for _ in $(seq 1 50); do
		sfb curl -s -m 1 -o /dev/null http://198.18.1.1:8080/health && return 0
		sleep 0.1
	done
	echo "FAILED backend_server.py did not start:"; cat "$SF_LAB_DIR/backend.log"
	exit 1
}

# backend_stats: the backend server's /stats JSON, asked from inside sfb.
backend_stats() { sfb curl -s -m 3 http://127.0.0.1:8080/stats; }

# splice_lab_begin: the lab with a second backend address 198.18.1.3 in sfb, the
# backend servers, and synfront on $SF_LAB_CONF (default tests/e2e/conf/splice.json).
splice_lab_begin() {
	export SF_LAB_CONF=${SF_LAB_CONF:-$SF_E2E/conf/splice.json}
	lab_up
	sfb ip addr add 198.18.1.3/24 dev eth0
	backend_start
	lab_start
}

# json_get JSON KEY[.KEY...]: one value of a JSON document ("" when absent).
json_get() {
	"$SF_PY" -c '
import json, sys
v = json.loads(sys.argv[1] or "{}")
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else json.dumps(v) if isinstance(v, (dict, list)) else v)' "$1" "$2"
}

# result OUTPUT: the JSON of the last "RESULT {...}" line of a helper's output.
result() { sed -n 's/^RESULT //p' <<<"$1" | tail -n1; }

# expect_sha SIZE: sha256 of backend_server.py's body for GET /SIZE.
expect_sha() { "$SF_PY" "$SF_E2E/backend_server.py" --sha256 "$1"; }

# http_get NAME SIZE [curl options...]: GET /SIZE through the VIP from sfc; check status 200
# and that the body is the backend's, byte for byte.
http_get() {
	local name=$1 size=$2; shift 2
	local out="$SF_LAB_DIR/get.out" code got want
	rm -f "$out"
	code=$(sfc curl -s -o "$out" -w '%{http_code}' --connect-timeout 5 -m 60 "$@" "http://198.18.0.100/$size")
	got=$(sha256sum <"$out" 2>/dev/null | cut -d' ' -f1)
	want=$(expect_sha "$size")
	if [ "$code" = 200 ] && [ "$got" = "$want" ]; then
		ok "$name: GET /$size intact ($(stat -c %s "$out") bytes)"
	else
		fail "$name: GET /$size: http $code, sha256 ${got:-none} want $want"
	fi
	rm -f "$out"
}

# http_put NAME SIZE [curl options...]: PUT SIZE bytes through the VIP; the backend's
# sha256 of what it received must be the sent one's.
http_put() {
	local name=$1 size=$2; shift 2
	local in="$SF_LAB_DIR/put.in" reply want
	"$SF_PY" "$SF_E2E/backend_server.py" --emit "$size" >"$in"
	want="$(sha256sum <"$in" | cut -d' ' -f1) $(stat -c %s "$in")"
	reply=$(sfc curl -s -T "$in" --connect-timeout 5 -m 60 "$@" "http://198.18.0.100/upload")
	if [ "$reply" = "$want" ]; then
		ok "$name: PUT $size intact"
	else
		fail "$name: PUT $size: backend got '${reply:-nothing}', want '$want'"
	fi
	rm -f "$in"
}

# iperf_check NAME [iperf3 options...]: iperf3 -t 3 through the VIP (service on port 5201)
# from sfc. The lab loses nothing: the sender must not retransmit more than 1 % of its
# segments (packets the appliance drops show up as retransmits).
iperf_check() {
	local name=$1; shift
	local out rc got sent retr
	out=$(sfc timeout 30 iperf3 -c 198.18.0.100 -p 5201 -t 3 --connect-timeout 3000 -J "$@" 2>&1)
	rc=$?
	got=$(json_get "$out" end.sum_received.bytes) sent=$(json_get "$out" end.sum_sent.bytes)
	retr=$(json_get "$out" end.sum_sent.retransmits)
	if [ $rc -eq 0 ] && [ "${got:-0}" -gt $((10 << 20)) ]; then
		ok "$name: $((got >> 20)) MiB received in 3 s"
	else
		fail "$name: rc $rc, received ${got:-none} bytes $(json_get "$out" error)"
	fi
	if [ -n "$retr" ] && [ "${sent:-0}" -gt 0 ] && [ $((retr * 1448 * 100)) -le "$sent" ]; then
		ok "$name: $retr segments retransmitted of $((sent / 1448)) (<= 1 %)"
	else
		fail "$name: ${retr:-?} segments retransmitted of $((${sent:-0} / 1448)): packets lost in the lab"
	fi
	sleep 0.5
}

# conn_run ARGS...: conn_client.py load through the VIP (port 80) from sfc; sets conn_result
# (its RESULT JSON, "" when it printed none).
conn_run() {
	local out
	out=$(sfc timeout 150 "$SF_PY" "$SF_E2E/conn_client.py" load 198.18.0.100 80 "$@" 2>&1)
	conn_result=$(result "$out")
	[ -n "$conn_result" ] || echo "$out" | tail -5
}

# conn_load NAME ARGS...: conn_run, ok when every connection succeeded.
conn_load() {
	local name=$1; shift
	conn_run "$@"
	local res=$conn_result
	if [ -n "$res" ] && [ "$(json_get "$res" ok)" = "$(json_get "$res" count)" ]; then
		ok "$name: $(json_get "$res" ok) connections, all intact ($(json_get "$res" elapsed_s) s)"
	else
		fail "$name: ${res:+$(json_get "$res" ok) of $(json_get "$res" count) ok, errors $(json_get "$res" errors)}"
	fi
}

# splice_preflight: one small GET through the VIP. When even that fails, the splice is not
# there: report it, stop synfront and end the test (every later check would only time out).
splice_preflight() {
	local code
	code=$(sfc curl -s -o /dev/null -w '%{http_code}' --connect-timeout 3 -m 5 http://198.18.0.100/small)
	if [ "$code" = 200 ]; then
		ok "preflight: GET /small through the VIP"
		return 0
	fi
	fail "preflight: GET /small through the VIP (http ${code:-none}); skipping the rest"
	lab_stop
	lab_end
}

# counter checks on the final counters: ceq NAME WANT, cge NAME MIN, cle NAME MAX.
ceq() { local v; v=$(counter "$1"); [ "$v" -eq "$2" ] && ok "$1 = $2" || fail "$1 = $v, want $2"; }
cge() { local v; v=$(counter "$1"); [ "$v" -ge "$2" ] && ok "$1 = $v >= $2" || fail "$1 = $v, want >= $2"; }
cle() { local v; v=$(counter "$1"); [ "$v" -le "$2" ] && ok "$1 = $v <= $2" || fail "$1 = $v, want <= $2"; }

# no_stuck_conns: every connection opened to a backend was closed by the protocol or a timer
# before stop (conn_closed must not count the entries freed at shutdown).
no_stuck_conns() {
	local n c
	n=$(counter conn_new) c=$(counter conn_closed)
	if [ "$n" -gt 0 ] && [ "$c" -eq "$n" ]; then
		ok "no stuck connections: conn_closed = conn_new = $n"
	else
		fail "stuck connections: conn_new $n, conn_closed $c"
	fi
}

# lab_ctl ARGS...: synfront-ctl --json on the lab's control socket (from $SF_LAB_CONF).
# Returns 127 when synfront-ctl is not built.
SF_CTL=${SF_CTL:-$(dirname "$SF_LAB_BIN")/synfront-ctl}
lab_ctl() {
	[ -x "$SF_CTL" ] || return 127
	local sock
	sock=$("$SF_PY" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("control", {}).get("socket", "/run/synfront/synfront.sock"))' "${SF_LAB_CONF:-$SF_TOP/conf/lab.json}")
	"$SF_CTL" -s "$sock" --json "$@"
}

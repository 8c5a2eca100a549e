#!/usr/bin/env bash
# Backends that fail (issue #5), config tests/e2e/conf/backend_fail.json:
#  - service "refused" (VIP:81 -> 198.18.1.1:8090, nothing listens): the backend's RST
#    becomes the client's RST at once;
#  - service "blackhole" (VIP:82 -> 198.18.1.1:8091, SYNs dropped in sfb): the appliance
#    retransmits its SYN syn_retries (3) times, rto_initial_ms (200) doubling each time,
#    as a capture in sfb shows, then resets the client;
#  - service "web" (VIP:80 -> 198.18.1.1:8080 and 198.18.1.3:8080, weight 1 each): both
#    get connections; with 198.18.1.3 refusing, new connections go to 198.18.1.1.
# Counters relied on: backend_rst (backend handshakes refused by an RST),
# backend_connect_failed (backend handshakes never answered, given up after syn_retries),
# backend_down (backends taken out), backend_syn_retransmit, rst_sent (RSTs the appliance
# sent, here to clients), conn_new, conn_closed.
. "$(dirname "$0")/lib.sh"
export SF_LAB_CONF=$SF_E2E/conf/backend_fail.json
splice_lab_begin
splice_preflight

probe() {  # probe PORT TIMEOUT_S: conn_client.py probe through the VIP; sets probe_res
	probe_res=$(result "$(sfc timeout 30 "$SF_PY" "$SF_E2E/conn_client.py" probe 198.18.0.100 "$1" --timeout "$2" 2>&1)")
}

# --- no listener: RST at once ---
for i in 1 2 3; do
	probe 81 5
	r=$(json_get "$probe_res" result) ms=$(json_get "$probe_res" ms)
	# Reset once connected, or (the backend already taken out) refused during the handshake.
	if { [ "$r" = reset ] || [ "$r" = "connect: ECONNRESET" ] || [ "$r" = "connect: ECONNREFUSED" ]; } &&
	   [ "${ms:-9999}" -lt 150 ]; then
		ok "refused backend ($i): client reset after $ms ms ($r)"
	else
		fail "refused backend ($i): want a reset within 150 ms, got $probe_res"
	fi
done

# --- backend unreachable: SYN retransmits with doubling intervals, then a client RST ---
sfb iptables -A INPUT -p tcp --dport 8091 -j DROP
pcap=$SF_LAB_DIR/blackhole.pcap
rm -f "$pcap"
lab_bg cap-blackhole ip netns exec sfb timeout 60 tshark -q -i eth0 \
	-f "tcp dst port 8091 and tcp[tcpflags] & tcp-syn != 0" -w "$pcap"
cap=$lab_bg_pid
for _ in $(seq 1 100); do grep -q "Capturing on" "$SF_LAB_DIR/cap-blackhole.log" && break; sleep 0.1; done
probe 82 10
r=$(json_get "$probe_res" result) ms=$(json_get "$probe_res" ms)
# Give-up after 200 + 400 + 800 (+ 1600 for the last) ms: between the last retransmit and 6 s.
if [ "$r" = reset ] && [ "${ms:-0}" -ge 1400 ] && [ "${ms:-0}" -le 6000 ]; then
	ok "unreachable backend: client reset after $ms ms"
else
	fail "unreachable backend: want a reset after 1.4..6 s, got $probe_res"
fi
sleep 1
lab_bg_stop "$cap"
syns=$(tshark -r "$pcap" -T fields -e frame.time_relative -e tcp.srcport -e tcp.seq_raw 2>/dev/null)
echo "$syns" | sed 's/^/       SYN to the backend: /'
verdict=$("$SF_PY" - "$syns" <<'EOF'
import sys
rows = [l.split() for l in sys.argv[1].splitlines() if l.strip()]
if len(rows) != 4:
    print(f"{len(rows)} SYNs, want 4 (the first and syn_retries 3)")
    sys.exit()
t = [float(r[0]) for r in rows]
gaps = [round((b - a) * 1000) for a, b in zip(t, t[1:])]
if len({(r[1], r[2]) for r in rows}) != 1:
    print("retransmits differ in source port or sequence number")
elif not all(0.75 * w <= g <= 1.5 * w + 50 for g, w in zip(gaps, (200, 400, 800))):
    print(f"intervals {gaps} ms, want about 200, 400, 800")
else:
    print(f"ok {gaps}")
EOF
)
case "$verdict" in
	ok*) ok "unreachable backend: 4 identical SYNs, intervals ${verdict#ok } ms (doubling from 200)" ;;
	*) fail "unreachable backend: $verdict" ;;
esac
sfb iptables -D INPUT -p tcp --dport 8091 -j DROP

# --- two backends; then one refuses ---
s0=$(backend_stats)
conn_load "both backends up, 20 connections" --count 20 --timeout 5
s1=$(backend_stats)
d() {  # d JSON_BEFORE JSON_AFTER ADDR: requests served on ADDR in between
	"$SF_PY" -c 'import json, sys
b, a = (json.loads(x or "{}").get("by_local_addr", {}) for x in sys.argv[1:3])
print(a.get(sys.argv[3], 0) - b.get(sys.argv[3], 0))' "$1" "$2" "$3"
}
a1=$(d "$s0" "$s1" 198.18.1.1) a3=$(d "$s0" "$s1" 198.18.1.3)
if [ "$a1" -ge 3 ] && [ "$a3" -ge 3 ]; then
	ok "weight 1:1: 198.18.1.1 served $a1, 198.18.1.3 served $a3"
else
	fail "weight 1:1: 198.18.1.1 served $a1, 198.18.1.3 served $a3 (want >= 3 each)"
fi

sfb iptables -A INPUT -d 198.18.1.3 -p tcp --dport 8080 -j REJECT --reject-with tcp-reset
conn_run --count 40 --timeout 5 --max-failures 40
res=$conn_result
outcomes=$(json_get "$res" outcomes)
lost=$(json_get "$res" failed)
s2=$(backend_stats)
b1=$(d "$s1" "$s2" 198.18.1.1)
if [ -n "$outcomes" ] && [ "${lost:-99}" -le 5 ] && [ "${outcomes:10}" = "$(printf 'o%.0s' $(seq 1 30))" ]; then
	ok "198.18.1.3 taken out after $lost failed connection(s); the last 30 all served (198.18.1.1 served $b1)"
else
	fail "198.18.1.3 not taken out: outcomes '$outcomes' (want <= 5 failures, the last 30 ok)"
fi
sfb iptables -D INPUT -d 198.18.1.3 -p tcp --dport 8080 -j REJECT --reject-with tcp-reset

sleep 3
lab_stop
ceq backend_syn_retransmit 3
# Refusals: the first probe's at least, and one per failed connection to 198.18.1.3.
cge backend_rst $((1 + ${lost:-0}))
# Handshakes left unanswered: the blackhole's only.
ceq backend_connect_failed 1
# The refused backend and 198.18.1.3 were taken out.
cge backend_down 2
# RSTs to clients: 3 refused probes, the blackhole's, one per failed connection.
cge rst_sent $((4 + ${lost:-0}))
no_stuck_conns
lab_end

#!/usr/bin/env bash
# The control plane on the lab: counters that match known traffic, connection
# listings, tunables and backend changes taking effect, malformed requests,
# rte_telemetry, HTTP /stats and /metrics, and dpdk-dumpcap on a live port.
# Two workers (sharing CPUs), hugepages so that dpdk-dumpcap can attach.
. "$(dirname "$0")/lib.sh"
export SF_LAB_CONF=$SF_E2E/conf/control.json SF_LAB_WORKERS=2
SOCK=/run/synfront-lab-test/ctl.sock

# Hugepages for the primary so that dpdk-dumpcap (a secondary process) can map its memory.
hp_before=$(cat /proc/sys/vm/nr_hugepages)
mountpoint -q /dev/hugepages || { mkdir -p /dev/hugepages; mount -t hugetlbfs nodev /dev/hugepages; }
echo $((hp_before + 320)) >/proc/sys/vm/nr_hugepages
if [ "$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)" -ge 300 ]; then
	export SF_LAB_MEM="--socket-mem 600"
	hugepages=1
else
	hugepages=0
fi
cleanup() {
	lab_cleanup
	rm -f /dev/hugepages/synfront-labmap_* 2>/dev/null
	echo "$hp_before" >/proc/sys/vm/nr_hugepages
}
trap cleanup EXIT
splice_lab_begin
trap cleanup EXIT
ctl() { "$SF_CTL" -s "$SOCK" --json "$@"; }
py() { "$SF_PY" "$@"; }

# --- the socket itself
mode=$(stat -c %a "$SOCK")
[ "$mode" = 600 ] && ok "control socket mode 0600" || fail "control socket mode $mode"
reply=$(printf '{"cmd":"stats"\n' | nc -U -w2 -q1 "$SOCK")
grep -q '"code": *"parse_error"' <<<"$reply" && ok "malformed JSON: parse_error reply" || fail "malformed JSON: $reply"
reply=$(printf '{"cmd":"nope"}\n{"cmd":"version"}\n' | nc -U -w2 -q1 "$SOCK")
grep -q unknown_command <<<"$reply" && grep -q '"ok": *true' <<<"$reply" && ok "unknown command refused, next request on the connection answered" || fail "unknown command: $reply"

# --- counters match known traffic: exactly N scapy SYNs
sfc iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP
s0=$(ctl stats per_lcore=true)
N=25
sfc "$SF_PY" -c '
import sys
from scapy.all import IP, TCP, send, conf
conf.verb = 0
for i in range(int(sys.argv[1])):
    send(IP(dst="198.18.0.100") / TCP(sport=30000 + i, dport=80, flags="S", seq=1000 + i, options=[("MSS", 1460)]))
' $N
sleep 0.5
s1=$(ctl stats per_lcore=true)
sfc iptables -D OUTPUT -p tcp --tcp-flags RST RST -j DROP
d=$(( $(json_get "$s1" total.syn_received) - $(json_get "$s0" total.syn_received) ))
[ "$d" -eq $N ] && ok "syn_received up by exactly $N" || fail "syn_received up by $d, want $N"
sd=$(py -c 'import json,sys; a,b=(json.loads(x)["services"][0]["syn_received"] for x in sys.argv[1:3]); print(b-a)' "$s0" "$s1")
[ "$sd" -eq $N ] && ok "service web: syn_received up by exactly $N" || fail "service syn_received up by $sd"
py -c 'import json,sys; p=json.loads(sys.argv[1])["ports"][0]; sys.exit(0 if p["xstats"] and p["ipackets"] > 0 else 1)' "$s1" \
	&& ok "ports carry ethdev counters and xstats" || fail "ports: no xstats"
py - "$s0" "$s1" <<'PY' && ok "totals equal the sum over lcores; no counter went down" || fail "totals/lcores or monotonicity"
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
bad = []
for name, total in b["total"].items():
    s = sum(l[name] for l in b["lcores"].values())
    if s != total:
        bad.append(f"{name}: total {total} != sum {s}")
    if total < a["total"][name]:
        bad.append(f"{name} went down {a['total'][name]} -> {total}")
print("\n".join(bad))
sys.exit(1 if bad or len(b["lcores"]) != 2 else 0)
PY

# --- conns: a live transfer is listed as ESTABLISHED, to its backend
sfc curl -s -o /dev/null --limit-rate 2M -m 20 http://198.18.0.100/big &
curl_pid=$!
sleep 1.5
c=$(ctl conns state=ESTABLISHED)
py -c 'import json,sys; c=json.loads(sys.argv[1]); sys.exit(0 if any(x["backend"]=="198.18.1.1:8080" and x["client"].startswith("198.18.0.1:") and x["state"]=="ESTABLISHED" for x in c["connections"]) else 1)' "$c" \
	&& ok "conns state=ESTABLISHED lists the live transfer" || fail "conns: $c"
c=$(ctl conns client=198.18.0.0/24 service=web limit=5)
[ "$(json_get "$c" matched)" -ge 1 ] && ok "conns filters by client prefix and service" || fail "conns filtered: $c"
kill $curl_pid 2>/dev/null; wait $curl_pid 2>/dev/null
out=$("$SF_CTL" -s "$SOCK" conns state=NOPE 2>&1)
[ $? -eq 1 ] && grep -q invalid_argument <<<"$out" && ok "conns with a bad state: invalid_argument" || fail "bad state: $out"

# --- tunables: a shorter MSL shows in TIME_WAIT lifetimes; bad values refused with a reason
out=$("$SF_CTL" -s "$SOCK" tunables.set tcp.msl_ms=5 2>&1)
grep -q "tcp.msl_ms: must be in" <<<"$out" && ok "tcp.msl_ms=5 refused: $out" || fail "tcp.msl_ms=5: $out"
out=$("$SF_CTL" -s "$SOCK" tunables.set limits.mbufs=9 2>&1)
grep -q "cannot change at runtime" <<<"$out" && ok "restart-only key refused" || fail "limits.mbufs: $out"
r=$(ctl tunables.set tcp.msl_ms=500)
py -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["tunables"]["tcp.msl_ms"] == 500 else 1)' "$r" \
	&& ok "tcp.msl_ms set to 500 (generation $(json_get "$r" generation))" || fail "tunables.set: $r"
sfc curl -s -o /dev/null -m 5 http://198.18.0.100/small
sleep 0.3
tw=$(json_get "$(ctl stats)" gauges.states.TIME_WAIT)
[ "$tw" -ge 1 ] && ok "TIME_WAIT visible right after a close ($tw)" || fail "no TIME_WAIT after a close"
sleep 1.5
tw=$(json_get "$(ctl stats)" gauges.states.TIME_WAIT)
[ "$tw" -eq 0 ] && ok "TIME_WAIT gone after 2 x 500 ms" || fail "TIME_WAIT still $tw after 1.8 s"

# --- tcp.orphan_retries: a FIN retransmitted into a silent backend ends in resets
ctl tunables.set tcp.orphan_retries=2 >/dev/null && ok "tcp.orphan_retries set to 2" || fail "tunables.set tcp.orphan_retries"
o0=$(json_get "$(ctl stats)" total.conn_orphan_reset)
sfb iptables -A INPUT -s 198.18.1.100 -p tcp --tcp-flags FIN FIN -j DROP
sfc "$SF_PY" -c '
import socket, time
s = socket.create_connection(("198.18.0.100", 80), timeout=5)
time.sleep(0.3)
s.shutdown(socket.SHUT_WR)   # our FIN never reaches the backend: the kernel retransmits it
time.sleep(4)
'
sfb iptables -D INPUT -s 198.18.1.100 -p tcp --tcp-flags FIN FIN -j DROP
o1=$(json_get "$(ctl stats)" total.conn_orphan_reset)
[ $((o1 - o0)) -eq 1 ] && ok "unanswered FIN retransmissions: connection reset after 2 (conn_orphan_reset +1)" || fail "conn_orphan_reset $o0 -> $o1"

# --- backends: a drained backend gets no new connections
ctl backend.add service=web address=198.18.1.3:8080 >/dev/null && ok "backend.add 198.18.1.3:8080" || fail "backend.add"
ctl backend.drain service=web address=198.18.1.1:8080 >/dev/null && ok "backend.drain 198.18.1.1:8080" || fail "backend.drain"
be_total() { py -c 'import json,sys; s=json.loads(sys.argv[1]); print([b["total"] for b in s["services"][0]["backends"] if b["address"]==sys.argv[2]][0])' "$(ctl stats)" "$1"; }
t1=$(be_total 198.18.1.1:8080) t3=$(be_total 198.18.1.3:8080)
for i in 1 2 3 4 5; do sfc curl -s -o /dev/null -m 5 http://198.18.0.100/small; done
[ "$(be_total 198.18.1.1:8080)" -eq "$t1" ] && ok "drained backend got no new connection" || fail "drained backend got connections"
[ "$(be_total 198.18.1.3:8080)" -eq $((t3 + 5)) ] && ok "the other backend got all 5" || fail "198.18.1.3 total $(be_total 198.18.1.3:8080), want $((t3 + 5))"
state=$(py -c 'import json,sys; s=json.loads(sys.argv[1]); print([b["state"] for b in s["services"][0]["backends"] if b["address"]=="198.18.1.1:8080"][0])' "$(ctl stats)")
[ "$state" = drained ] && ok "stats shows the backend drained" || fail "backend state $state"
cfg=$(ctl config.get)
grep -q 198.18.1.3:8080 <<<"$cfg" && ok "config.get shows the runtime change" || fail "config.get: $cfg"
ctl cookie.rotate >/dev/null && ok "cookie.rotate" || fail "cookie.rotate"
check "handshakes still complete after the rotation" sfc curl -s -o /dev/null -m 5 http://198.18.0.100/small

# --- rte_telemetry, HTTP /stats and /metrics
t=$(echo /synfront/stats | dpdk-telemetry.py -f synfront-lab 2>/dev/null | tail -n +1)
py -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["/synfront/stats"]["syn_received"] >= 25 else 1)' "$t" \
	&& ok "dpdk-telemetry.py /synfront/stats" || fail "telemetry: $t"
sleep 1.2
h=$(curl -s -m 3 http://127.0.0.1:19180/stats)
[ "$(json_get "$h" total.syn_received)" -ge 25 ] 2>/dev/null && ok "HTTP GET /stats" || fail "HTTP /stats: ${h:0:200}"
curl -s -m 3 http://127.0.0.1:19180/metrics >"$SF_LAB_DIR/metrics.txt"
py - "$SF_LAB_DIR/metrics.txt" <<'PY' && ok "/metrics parses as Prometheus text, with lcore and backend labels" || fail "/metrics"
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
syn = fams["synfront_syn_received"]
assert syn.type == "counter", syn.type
assert sum(s.value for s in syn.samples) >= 25
assert all("lcore" in s.labels for s in syn.samples)
up = fams["synfront_backend_up"]
assert any(s.labels.get("backend") == "198.18.1.3:8080" and s.value == 1 for s in up.samples)
print("families:", len(fams))
PY

# --- dpdk-dumpcap on the client port while a client pings the VIP
if [ $hugepages -eq 1 ]; then
	rm -f "$SF_LAB_DIR/cap.pcapng"
	timeout 20 setarch -R dpdk-dumpcap --file-prefix=synfront-lab -q -i net_af_packet0 -a duration:4 -w "$SF_LAB_DIR/cap.pcapng" >"$SF_LAB_DIR/dumpcap.log" 2>&1 &
	cap=$!
	sleep 1.5
	sfc ping -c3 -i0.3 -W1 198.18.0.100 >/dev/null
	wait $cap
	n=$(tshark -r "$SF_LAB_DIR/cap.pcapng" -Y "icmp && ip.addr == 198.18.0.100" 2>/dev/null | wc -l)
	[ "$n" -ge 3 ] && ok "dpdk-dumpcap wrote a pcapng with the lab's ICMP ($n packets)" || { fail "dumpcap: $n ICMP packets"; cat "$SF_LAB_DIR/dumpcap.log"; }
else
	echo "note: no hugepages available; dpdk-dumpcap check skipped"
fi

lab_stop >/dev/null
lab_end

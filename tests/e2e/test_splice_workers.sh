#!/usr/bin/env bash
# Two worker lcores (af_packet with two queue pairs, the kernel's fanout spreading packets
# over them): connections land on both workers, the backend's return traffic that arrives
# at the wrong one is handed to the connection's owner, and nothing is lost (issue #5).
# Counters relied on: handoff_sent, handoff_rcvd (packets handed to / taken from another
# worker), conn_new, conn_closed, backend_connect_failed, rst_sent, conn_table_full.
# Nothing lost: iperf3's sender retransmits at most 1 % of its segments.
# Per-lcore counters (synfront-ctl stats per_lcore=true, when built): lcores.<id>.conn_new.
. "$(dirname "$0")/lib.sh"
export SF_LAB_WORKERS=2
splice_lab_begin
splice_preflight

conn_load "2 workers, 100 concurrent" --count 100 --concurrency 100 --hold --close server --timeout 10
conn_load "2 workers, 300 sequential" --count 300 --close client --timeout 5 --deadline 60
http_get "2 workers" big
http_put "2 workers" 50m
iperf_check "2 workers, iperf3 -P 4 client->server" -P 4
iperf_check "2 workers, iperf3 -P 4 -R" -P 4 -R

# Both workers opened connections (per-lcore counters from the control socket).
stats=$(lab_ctl stats per_lcore=true 2>&1); rc=$?
if [ $rc -eq 127 ]; then
	echo "note   $SF_CTL not built: per-worker spread not checked"
else
	busy=$("$SF_PY" -c 'import json, sys
lc = json.loads(sys.argv[1]).get("lcores", {})
print(" ".join("%s:%d" % (k, v.get("conn_new", 0)) for k, v in sorted(lc.items()) if v.get("conn_new", 0) > 0))' "$stats" 2>/dev/null)
	if [ $rc -eq 0 ] && [ "$(wc -w <<<"$busy")" -ge 2 ]; then
		ok "connections on both workers (lcore:conn_new $busy)"
	else
		fail "connections not spread over 2 workers: rc $rc, lcores with conn_new > 0: '${busy}' ${stats:0:200}"
	fi
fi

sleep 3
lab_stop
# preflight, 100 + 300 short, 2 transfers, 2 iperf3 runs of 1 control + 4 data connections
cge conn_new 413
no_stuck_conns
cge handoff_sent 1
h_s=$(counter handoff_sent) h_r=$(counter handoff_rcvd)
[ "$h_s" -eq "$h_r" ] && ok "every handed-off packet taken by its owner ($h_r)" || fail "handoff_sent $h_s, handoff_rcvd $h_r"
ceq backend_connect_failed 0
ceq rst_sent 0
ceq conn_table_full 0
lab_end

#!/usr/bin/env bash
# 5 % random loss on both sides of the splice (client and backend drop 1 in 20 packets
# they receive): transfers stay intact, short connections all complete, and once the
# timers have run no connection entry is left behind (issue #5).
# Counters relied on: conn_new, conn_closed, conn_table_full.
. "$(dirname "$0")/lib.sh"
splice_lab_begin
splice_preflight

for ns in sfc sfb; do
	ip netns exec $ns iptables -A INPUT -m statistic --mode random --probability 0.05 -j DROP
done

http_get "5% loss" 8m -m 90
http_put "5% loss" 8m -m 90
http_get "5% loss" small -m 30
# Short connections lose handshake segments too (SYN, SYN-ACK, the backend's SYN):
# each one must still complete, through the retransmissions of both ends.
conn_load "5% loss, 40 sequential" --count 40 --close client --timeout 30 --deadline 100 --max-failures 3
conn_load "5% loss, 20 concurrent" --count 20 --concurrency 20 --close server --timeout 30 --deadline 40 --max-failures 3

dropped() { ip netns exec "$1" iptables -L INPUT -v -x -n | awk '/statistic/ { print $1 }'; }
dc=$(dropped sfc) db=$(dropped sfb)
if [ "${dc:-0}" -gt 20 ] && [ "${db:-0}" -gt 20 ]; then
	ok "loss applied: client dropped $dc packets, backend $db"
else
	fail "loss not applied: client dropped ${dc:-0}, backend ${db:-0}"
fi
for ns in sfc sfb; do
	ip netns exec $ns iptables -D INPUT -m statistic --mode random --probability 0.05 -j DROP
done

# Connections whose last segments were lost end by the timers: FIN_WAIT_2 (3 s),
# TIME_WAIT (2 s), idle (10 s). Wait for the longest, then every entry must be gone.
sleep 12
lab_stop
cge conn_new 64
no_stuck_conns
ceq conn_table_full 0
lab_end

#!/usr/bin/env bash
# SYN cookies on the lab: scapy handshakes with every option mix, a real Linux
# client's handshake, and a bounded SYN flood answered in full.
. "$(dirname "$0")/lib.sh"
lab_begin
here=$(cd "$(dirname "$0")" && pwd)

# A backend listens, so that the connections valid cookies open are not refused (a refusing
# backend is taken out, and later handshakes would be reset for want of a backend).
lab_bg web ip netns exec sfb "$SF_PY" -m http.server 8080 --bind 198.18.1.1
for _ in $(seq 1 30); do sfb curl -s -m 1 -o /dev/null http://198.18.1.1:8080/ && break; sleep 0.1; done
# scapy's raw handshakes must not be reset by the client kernel, which knows no such sockets.
sfc iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP

out=$(sfc env PYTHONPATH="$PYTHONPATH" /usr/bin/python3 "$here/cookie_client.py" 198.18.0.100 80 1460 7 2>&1)
rc=$?
echo "$out" | grep -v '^SENT '
[ $rc -eq 0 ] && ok "scapy handshakes: every SYN-ACK right" || fail "scapy handshakes (rc $rc)"
sent=$(echo "$out" | sed -n 's/^SENT //p')
jget() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], 0))" "${sent:-{\}}" "$1"; }

sfc iptables -D OUTPUT -p tcp --tcp-flags RST RST -j DROP
# A real Linux client: connect() completes against the cookie SYN-ACK.
check "Linux client (nc) completes the handshake with the VIP" sfc nc -z -w3 198.18.0.100 80
check_not "port 81 has no service: connection refused by RST" sfc nc -z -w3 198.18.0.100 81

# A bounded SYN flood from random sources: 5000 SYNs in about a second.
flood=5000
sfc timeout 20 hping3 -q -S -p 80 --rand-source -c $flood -i u200 198.18.0.100 >/dev/null 2>&1
sleep 1

lab_stop
syn=$(counter syn_received) synack=$(counter synack_sent)
want_syn=$(( $(jget syn) + 1 + flood ))
if [ "$synack" -eq "$syn" ]; then ok "every SYN answered: synack_sent $synack = syn_received $syn"; else fail "synack_sent $synack != syn_received $syn"; fi
arrived=$(( syn + $(counter drop_ip_bad_src) ))
if [ "$arrived" -ge $(( want_syn * 95 / 100 )) ]; then ok "SYNs arrived: $arrived of $want_syn sent"; else fail "only $arrived of $want_syn SYNs arrived"; fi
# Every correct scapy ACK, plus nc's handshake ACK and its FIN (which carries the cookie too).
valid=$(counter cookie_valid)
want_valid=$(( $(jget ack_valid) + 1 ))
[ "$valid" -ge "$want_valid" ] && [ "$valid" -le $(( want_valid + 8 )) ] && ok "cookie_valid $valid: every correct ACK ($want_valid) and nc's FIN" || fail "cookie_valid $valid, want $want_valid..$((want_valid + 8))"
inv=$(counter cookie_invalid)
[ "$inv" -eq "$(jget ack_invalid)" ] && ok "cookie_invalid $inv = wrong ACKs sent" || fail "cookie_invalid $inv, want $(jget ack_invalid)"
bad_mac=$(counter cookie_invalid_bad_mac)
[ "$bad_mac" -ge 1 ] && ok "cookie_invalid_bad_mac counted ($bad_mac)" || fail "cookie_invalid_bad_mac 0"
[ "$(counter syn_no_service)" -ge 1 ] && [ "$(counter rst_sent)" -ge 1 ] && ok "SYN to port 81 answered by RST" || fail "syn_no_service $(counter syn_no_service) rst_sent $(counter rst_sent)"
lab_end

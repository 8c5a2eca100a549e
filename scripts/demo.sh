#!/usr/bin/env bash
# synfront demo on the lab: install what is missing, build, bring the lab up,
# start the appliance on af_packet ports, show it answering ARP and ping, carry
# real curl downloads from a Linux client to a Linux backend through the VIP
# while a bounded SYN flood runs, show synfront-ctl top/conns/stats, print the
# final counters, and tear everything down again.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "dependencies"
scripts/deps.sh
step "build"
scripts/build.sh >/dev/null
echo "built build/app/synfront"

step "configuration check"
build/app/synfront -- -c conf/lab.json --check

export SF_LAB_DIR=${SF_LAB_DIR:-/run/synfront-lab}
trap 'scripts/lab.sh down >/dev/null 2>&1 || true' EXIT
step "lab up: netns sfc (198.18.0.1) -- synfront -- netns sfb (198.18.1.1)"
scripts/lab.sh down >/dev/null 2>&1 || true
scripts/lab.sh up
scripts/lab.sh status
step "start synfront"
scripts/lab.sh start

step "client (sfc) pings the VIP 198.18.0.100 through synfront"
ip netns exec sfc ping -c3 -i0.3 198.18.0.100
step "client resolves the VIP by ARP"
ip netns exec sfc arping -c2 -I eth0 198.18.0.100
step "backend (sfb) pings synfront's source address 198.18.1.100"
ip netns exec sfb ping -c2 -i0.3 198.18.1.100
step "an address synfront does not own stays silent"
if ip netns exec sfc arping -c1 -w1 -I eth0 198.18.0.77 >/dev/null; then
	echo "unexpected answer for 198.18.0.77" >&2
	exit 1
fi
echo "198.18.0.77: no answer (counted as drop_arp_not_ours)"

CTL="build/app/synfront-ctl -s /run/synfront/synfront.sock"
step "backend: a real Linux HTTP server in sfb on 198.18.1.1:8080"
mkdir -p "$SF_LAB_DIR/www"
head -c 1024 /dev/urandom >"$SF_LAB_DIR/www/small"
head -c $((64 * 1024 * 1024)) /dev/urandom >"$SF_LAB_DIR/www/big"
ip netns exec sfb python3 -m http.server 8080 --bind 198.18.1.1 -d "$SF_LAB_DIR/www" \
	>"$SF_LAB_DIR/http.log" 2>&1 &
web=$!
trap 'kill $web 2>/dev/null; scripts/lab.sh down >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 50); do
	ip netns exec sfb curl -s -m 1 -o /dev/null http://198.18.1.1:8080/small && break
	sleep 0.1
done

step "a real Linux client downloads through the VIP: cookie handshake, then the splice"
ip netns exec sfc curl -sS -o /dev/null -w "GET /small: HTTP %{http_code}, %{size_download} bytes in %{time_total} s\n" \
	http://198.18.0.100/small
got=$(ip netns exec sfc curl -sS http://198.18.0.100/big | sha256sum | cut -d' ' -f1)
want=$(sha256sum <"$SF_LAB_DIR/www/big" | cut -d' ' -f1)
echo "GET /big (64 MiB): sha256 ${got:0:16}... $([ "$got" = "$want" ] && echo "identical to the backend's file" || echo "DIFFERS")"
[ "$got" = "$want" ]

step "a bounded SYN flood (hping3: 60000 SYNs from random sources, about 6 s) while clients download"
ip netns exec sfc timeout 30 hping3 -q -S -p 80 --rand-source -c 60000 -i u100 198.18.0.100 \
	>"$SF_LAB_DIR/hping3.log" 2>&1 &
flood=$!
(
	ok=0
	for i in $(seq 1 20); do
		g=$(ip netns exec sfc curl -sS -m 10 http://198.18.0.100/big | sha256sum | cut -d' ' -f1)
		[ "$g" = "$want" ] && ok=$((ok + 1))
	done
	echo "during the flood: $ok of 20 downloads of 64 MiB intact"
) >"$SF_LAB_DIR/downloads.log" 2>&1 &
dl=$!
sleep 1
echo "synfront-ctl top, live per-second rates per worker lcore:"
$CTL top --interval 1000 --count 4 || true
wait $flood || true
wait $dl || true
cat "$SF_LAB_DIR/downloads.log"
echo "every SYN that arrived was answered with a cookie SYN-ACK: compare syn_received and synack_sent"

step "synfront-ctl conns (live connections) and stats"
$CTL conns limit=5 || true
$CTL stats | grep -E "^total\.(syn_received|synack_sent|cookie_valid|cookie_invalid|conn_new|conn_established|fwd_c2b|fwd_b2c|rst_sent) |^gauges\.|^services" || $CTL stats

step "stop synfront: final counters"
scripts/lab.sh stop
step "lab down"
kill $web 2>/dev/null || true
scripts/lab.sh down
trap - EXIT
echo "demo finished"

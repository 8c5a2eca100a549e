#!/usr/bin/env bash
# synfront demo on the lab: install what is missing, build, bring the lab up,
# start the appliance on af_packet ports, show it answering real Linux clients,
# print its counters, and tear everything down again.
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

step "SYN cookies: a real Linux client completes the handshake with the VIP"
ip netns exec sfc nc -z -v -w3 198.18.0.100 80
step "a bounded SYN flood (hping3, 20000 SYNs from random sources, about 2 s)"
ip netns exec sfc timeout 30 hping3 -q -S -p 80 --rand-source -c 20000 -i u100 198.18.0.100 2>&1 | tail -3 || true
sleep 1
echo "every SYN that arrived is answered with a cookie SYN-ACK: compare syn_received and synack_sent below"

step "stop synfront: final counters"
scripts/lab.sh stop
step "lab down"
scripts/lab.sh down
trap - EXIT
echo "demo finished"

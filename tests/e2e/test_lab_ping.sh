#!/usr/bin/env bash
# The lab answers ping and ARP for what synfront owns, through synfront, and
# nothing else; synfront resolves its backend by ARP.
. "$(dirname "$0")/lib.sh"
lab_begin

sfc() { ip netns exec sfc "$@"; }
sfb() { ip netns exec sfb "$@"; }

check "ping VIP 198.18.0.100 from sfc (3 of 3)" sfc ping -c3 -i0.2 -W1 198.18.0.100
check "arping VIP 198.18.0.100 from sfc" sfc arping -c2 -w3 -I eth0 198.18.0.100
check "ping client port address 198.18.0.2" sfc ping -c2 -i0.2 -W1 198.18.0.2
check "ping source address 198.18.1.100 from sfb" sfb ping -c2 -i0.2 -W1 198.18.1.100
check_not "no ARP answer for 198.18.0.77 (not owned)" sfc arping -c2 -w2 -I eth0 198.18.0.77
check_not "no ping answer for 198.18.0.77 (not owned)" sfc ping -c2 -i0.2 -W1 198.18.0.77
check_not "VIP not answered on the backend side" sfb arping -c2 -w2 -I eth0 198.18.0.100
mac_vip=$(sfc ip neigh show 198.18.0.100 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}')
mac_port=$(cat /sys/class/net/sfc0/address)
if [ "$mac_vip" = "$mac_port" ]; then ok "VIP resolves to synfront's client port MAC ($mac_port)"; else fail "VIP MAC $mac_vip, want $mac_port"; fi
# synfront asked for the backend's MAC at start: the backend learnt synfront's address.
if sfb ip neigh show 198.18.1.2 | grep -q "$(cat /sys/class/net/sfb0/address)"; then
	ok "backend learnt 198.18.1.2 from synfront's ARP request"
else
	fail "backend has no neighbour entry for 198.18.1.2"
fi

lab_stop
[ "$(counter icmp_echo_reply_sent)" -ge 7 ] && ok "icmp_echo_reply_sent >= 7" || fail "icmp_echo_reply_sent $(counter icmp_echo_reply_sent)"
[ "$(counter arp_reply_sent)" -ge 3 ] && ok "arp_reply_sent >= 3" || fail "arp_reply_sent $(counter arp_reply_sent)"
[ "$(counter drop_arp_not_ours)" -ge 2 ] && ok "drop_arp_not_ours >= 2" || fail "drop_arp_not_ours $(counter drop_arp_not_ours)"
[ "$(counter arp_request_sent)" -ge 1 ] && ok "arp_request_sent >= 1" || fail "arp_request_sent $(counter arp_request_sent)"
[ "$(counter neigh_learned)" -ge 1 ] && ok "neigh_learned >= 1" || fail "neigh_learned $(counter neigh_learned)"
[ "$(counter arp_resolve_failed)" -eq 0 ] && ok "backend ARP resolved (arp_resolve_failed 0)" || fail "arp_resolve_failed $(counter arp_resolve_failed)"
lab_end

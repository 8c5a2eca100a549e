#!/usr/bin/env bash
# TCP option mixes through the splice: client and/or backend with window scaling,
# timestamps or SACK turned off (per-namespace sysctls), and different window scales on
# each side; every download and upload intact (issue #5).
# Counters relied on: conn_new, conn_closed, backend_connect_failed, conn_table_full.
. "$(dirname "$0")/lib.sh"
splice_lab_begin
splice_preflight

rmem_default=$(sfc sysctl -n net.ipv4.tcp_rmem | tr -s '\t ' ' ')
set_opts() {  # set_opts NS "key=value ..."  (after resetting the defaults)
	local ns=$1 kv
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_window_scaling=1 net.ipv4.tcp_timestamps=1 \
		net.ipv4.tcp_sack=1 "net.ipv4.tcp_rmem=$rmem_default" || fail "$ns: sysctl reset"
	for kv in $2; do
		ip netns exec "$ns" sysctl -qw "net.ipv4.${kv//_rmem_max=/_rmem=4096 131072 }" || fail "$ns: sysctl $kv"
	done
}

# name | client sysctls | backend sysctls ("tcp_rmem_max=N": receive buffer, hence window scale)
mixes=(
	"client without window scaling|tcp_window_scaling=0|"
	"client without timestamps|tcp_timestamps=0|"
	"client without SACK|tcp_sack=0|"
	"backend without window scaling||tcp_window_scaling=0"
	"backend without timestamps||tcp_timestamps=0"
	"backend without SACK||tcp_sack=0"
	"client without any, backend with all|tcp_window_scaling=0 tcp_timestamps=0 tcp_sack=0|"
	"backend without any, client with all||tcp_window_scaling=0 tcp_timestamps=0 tcp_sack=0"
	"neither side with any|tcp_window_scaling=0 tcp_timestamps=0 tcp_sack=0|tcp_window_scaling=0 tcp_timestamps=0 tcp_sack=0"
	"client timestamps only, backend SACK and window scaling only|tcp_window_scaling=0 tcp_sack=0|tcp_timestamps=0"
	"small client window scale, large backend one|tcp_rmem_max=131072|"
	"large client window scale, small backend one||tcp_rmem_max=131072"
)

# syn_shift FILE SRC: window scale shift in the SYN or SYN-ACK from SRC in a capture.
syn_shift() {
	tshark -r "$1" -Y "ip.src == $2 && tcp.flags.syn == 1" -T fields -e tcp.options.wscale.shift 2>/dev/null |
		head -n1
}

for mix in "${mixes[@]}"; do
	IFS='|' read -r name copts bopts <<<"$mix"
	set_opts sfc "$copts"
	set_opts sfb "$bopts"
	capture=0
	case "$name" in *"window scale"*) capture=1 ;; esac
	if [ $capture -eq 1 ]; then
		# The two ends must really differ: capture the client's SYN and the backend's SYN-ACK.
		rm -f "$SF_LAB_DIR"/opt-sf[cb].pcap
		lab_bg cap-sfc ip netns exec sfc timeout 60 tshark -q -i eth0 -f "tcp[tcpflags] & tcp-syn != 0" -w "$SF_LAB_DIR/opt-sfc.pcap"
		pc=$lab_bg_pid
		lab_bg cap-sfb ip netns exec sfb timeout 60 tshark -q -i eth0 -f "tcp[tcpflags] & tcp-syn != 0" -w "$SF_LAB_DIR/opt-sfb.pcap"
		pb=$lab_bg_pid
		for _ in $(seq 1 100); do
			grep -q "Capturing on" "$SF_LAB_DIR/cap-sfc.log" && grep -q "Capturing on" "$SF_LAB_DIR/cap-sfb.log" && break
			sleep 0.1
		done
	fi
	http_get "$name" small
	http_get "$name" 16m
	http_put "$name" 16m
	if [ $capture -eq 1 ]; then
		sleep 0.5
		lab_bg_stop "$pc"
		lab_bg_stop "$pb"
		cs=$(syn_shift "$SF_LAB_DIR/opt-sfc.pcap" 198.18.0.1)
		bs=$(syn_shift "$SF_LAB_DIR/opt-sfb.pcap" 198.18.1.1)
		[ -z "$bs" ] && bs=$(syn_shift "$SF_LAB_DIR/opt-sfb.pcap" 198.18.1.3)
		if [ -n "$cs" ] && [ -n "$bs" ] && [ "$cs" != "$bs" ]; then
			ok "$name: client SYN window scale $cs, backend SYN-ACK window scale $bs"
		else
			fail "$name: window scales not different: client '${cs}', backend '${bs}'"
		fi
	fi
done
set_opts sfc ""
set_opts sfb ""

sleep 3
lab_stop
cge conn_new $((1 + ${#mixes[@]} * 3))
no_stuck_conns
ceq backend_connect_failed 0
ceq conn_table_full 0
lab_end

#!/usr/bin/env bash
# The synfront lab (docs/lab.md, DESIGN.md):
#
#  netns sfc                 root namespace (synfront)                 netns sfb
#  eth0 198.18.0.1/24 -- veth -- sfc0 [port "client"]  [port "backend"] sfb0 -- veth -- eth0 198.18.1.1/24
#  (real Linux clients)      VIP 198.18.0.100:80    source 198.18.1.100     (real Linux server :8080)
#
# usage: scripts/lab.sh up|down|start|stop|status
#   up      create the namespaces and veths (idempotent)
#   down    stop synfront if running, delete the namespaces
#   start   run build/app/synfront on the lab in the background; wait until the VIP answers
#   stop    stop it (SIGINT) and print its final counters
#   status  show the lab and whether synfront runs
# Environment: SF_LAB_DIR (run files, default /run/synfront-lab), SF_LAB_CONF (default conf/lab.json),
#   SF_LAB_WORKERS (worker lcores, default 1; they may share CPUs), SF_LAB_EAL (extra EAL options),
#   SF_LAB_MEM (EAL memory options, default "--no-huge -m 1024"; give hugepages, e.g.
#   "--socket-mem 512", when a secondary process such as dpdk-dumpcap must attach),
#   SF_LAB_BIN (default build/app/synfront).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dir=${SF_LAB_DIR:-/run/synfront-lab}
conf=${SF_LAB_CONF:-$top/conf/lab.json}
bin=${SF_LAB_BIN:-$top/build/app/synfront}
workers=${SF_LAB_WORKERS:-1}

die() { echo "lab.sh: $*" >&2; exit 1; }
ns_exists() { ip netns list | grep -qw "$1"; }

link_ns() {  # link_ns NS HOSTIF ADDR
	local ns=$1 hif=$2 addr=$3
	ns_exists "$ns" || ip netns add "$ns"
	if ! ip link show "$hif" >/dev/null 2>&1; then
		ip link add "$hif" type veth peer name eth0 netns "$ns"
	fi
	sysctl -qw "net.ipv6.conf.$hif.disable_ipv6=1" || true
	ip link set "$hif" up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || true
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip addr replace "$addr" dev eth0
	ip netns exec "$ns" ip link set eth0 up
	# Full checksums and no segmentation offloads from the Linux end: af_packet hands
	# synfront exactly what the peer sent.
	ip netns exec "$ns" ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 || true
	ethtool -K "$hif" tx off tso off gso off gro off >/dev/null 2>&1 || true
}

cmd_up() {
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	link_ns sfc sfc0 198.18.0.1/24
	link_ns sfb sfb0 198.18.1.1/24
}

is_running() { [ -f "$dir/synfront.pid" ] && kill -0 "$(cat "$dir/synfront.pid")" 2>/dev/null; }

cmd_start() {
	ns_exists sfc && ns_exists sfb || die "lab is not up (scripts/lab.sh up)"
	[ -x "$bin" ] || die "$bin not built (meson setup build && ninja -C build)"
	is_running && die "synfront already runs (pid $(cat "$dir/synfront.pid"))"
	mkdir -p "$dir"
	local lcores="0" i
	for ((i = 1; i <= workers; i++)); do lcores+=",$i@$(( i % $(nproc) ))"; done
	# shellcheck disable=SC2086 # word splitting of SF_LAB_MEM and SF_LAB_EAL is wanted
	setsid "$bin" --lcores "$lcores" ${SF_LAB_MEM:---no-huge -m 1024} --no-pci --file-prefix synfront-lab \
		--vdev "net_af_packet0,iface=sfc0,qpairs=$workers,framecnt=4096" \
		--vdev "net_af_packet1,iface=sfb0,qpairs=$workers,framecnt=4096" ${SF_LAB_EAL:-} \
		-- -c "$conf" >"$dir/synfront.log" 2>&1 </dev/null &
	echo $! >"$dir/synfront.pid"
	for i in $(seq 1 60); do
		if ! is_running; then
			cat "$dir/synfront.log" >&2
			die "synfront exited during start-up"
		fi
		if grep -q "ready:" "$dir/synfront.log" &&
		   ip netns exec sfc ping -c1 -W1 198.18.0.100 >/dev/null 2>&1; then
			echo "lab.sh: synfront runs (pid $(cat "$dir/synfront.pid")), log $dir/synfront.log"
			return 0
		fi
		sleep 0.5
	done
	cat "$dir/synfront.log" >&2
	cmd_stop >/dev/null 2>&1 || true
	die "synfront did not answer on 198.18.0.100 within 30 s"
}

cmd_stop() {
	if ! is_running; then
		rm -f "$dir/synfront.pid"
		echo "lab.sh: synfront not running"
		return 0
	fi
	local pid i
	pid=$(cat "$dir/synfront.pid")
	kill -INT "$pid"
	for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		echo "lab.sh: synfront did not stop in 10 s; killed" >&2
	fi
	rm -f "$dir/synfront.pid"
	sed -n '/final counters/,$p' "$dir/synfront.log"
}

cmd_down() {
	cmd_stop >/dev/null 2>&1 || true
	for ns in sfc sfb; do ns_exists "$ns" && ip netns del "$ns"; done
	for hif in sfc0 sfb0; do ip link del "$hif" 2>/dev/null || true; done
	return 0
}

cmd_status() {
	for ns in sfc sfb; do
		if ns_exists "$ns"; then
			echo "netns $ns: $(ip netns exec "$ns" ip -br addr show eth0 2>/dev/null)"
		else
			echo "netns $ns: absent"
		fi
	done
	if is_running; then echo "synfront: running (pid $(cat "$dir/synfront.pid"))"; else echo "synfront: stopped"; fi
}

case "${1:-}" in
	up) cmd_up ;;
	down) cmd_down ;;
	start) cmd_start ;;
	stop) cmd_stop ;;
	status) cmd_status ;;
	*) echo "usage: $0 up|down|start|stop|status" >&2; exit 2 ;;
esac

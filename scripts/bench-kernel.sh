#!/usr/bin/env bash
# CPU time per SYN answered with a cookie: the Linux kernel (tcp_syncookies=2) against synfront,
# both flooded by synfront-gen over a veth. Called by scripts/bench.sh; needs root and a build.
#
#   scripts/bench-kernel.sh [--quick]
#
# Topology (its own namespaces, so it never touches the lab's sfc/sfb):
#
#   netns sfkc (generator)                 netns sfks (Linux listener 198.19.0.2:80)
#   k0 198.19.0.1/24 ───────── veth ────── eth0 198.19.0.2/24, route 198.19.1.0/24 via .0.1
#   f0 (no address) ────────── veth ────── p0 in netns sfkf (synfront, VIP 198.19.3.100:80)
#                                          b0 ── veth ── b1 in sfkf (synfront's backend port, idle)
#
# Runs, each one flood of the same SYNs (count and rate bounded, --duration as a backstop):
#   idle    nothing sent, as long as a flood lasts         background
#   K       SYNs to the listener: cookie + SYN-ACK        kernel, full path
#   Kdrop   same, with raw PREROUTING DROP of SYNs in sfks  kernel, up to the drop
#   S       SYNs to synfront's VIP                        synfront, full path
#   Sdrop   SYNs to 198.19.3.200 (not synfront's): synfront parses them and drops them
#
# Measure: the softirq time of all CPUs from /proc/stat (the kernel's whole receive and reply
# path runs in NET_RX softirq, on both ends of the veth) and, for synfront, its process's
# utime+stime from /proc/PID/stat. Generator CPU is user time and is not counted.
#   kernel ns/SYN            = (softirq[K] - softirq[Kdrop]) / SYN-ACKs received
#   synfront veth, bound     = (process[S] + softirq[S] - softirq[idle]) / SYN-ACKs received
#                              (the poll-mode worker's idle polls are in it: an upper bound)
#   synfront veth, diff      = ((process + softirq)[S] - (process + softirq)[Sdrop]) / SYN-ACKs
#   synfront in-process      = bench-synack's worker pass (sw checksums), cycles / TSC Hz
# Prints a table and "RESULT {json}".
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# /proc/stat counts in 10 ms ticks (USER_HZ): runs must be long enough for tens of them.
count=1000000 rate=100000 reps=2
[ "${1:-}" = --quick ] && { count=200000 rate=100000 reps=1; }
dur=$(( count / rate + 5 ))
gen=build/app/synfront-gen
sf=build/app/synfront
[ "$(id -u)" -eq 0 ] || { echo "bench-kernel.sh: needs root" >&2; exit 1; }
[ -x "$gen" ] && [ -x "$sf" ] || { echo "bench-kernel.sh: build first (scripts/build.sh)" >&2; exit 1; }

work=$(mktemp -d /tmp/sf-bench-kernel.XXXXXX)
listener_pid='' sf_pid=''
cleanup() {
	[ -n "$listener_pid" ] && kill "$listener_pid" 2>/dev/null || true
	if [ -n "$sf_pid" ] && kill -0 "$sf_pid" 2>/dev/null; then
		kill -TERM "$sf_pid" 2>/dev/null || true
		for _ in $(seq 1 25); do kill -0 "$sf_pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$sf_pid" 2>/dev/null || true
	fi
	for ns in sfkc sfks sfkf; do   # whatever this script left running in its namespaces
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

for ns in sfkc sfks sfkf; do
	ip netns list | grep -qw "$ns" && { echo "bench-kernel.sh: netns $ns exists (another run?)" >&2; exit 1; }
done

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
for ns in sfkc sfks sfkf; do
	ip netns add "$ns"
	nsx "$ns" ip link set lo up
	nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add k0 netns sfkc type veth peer name eth0 netns sfks
ip link add f0 netns sfkc type veth peer name p0 netns sfkf
ip link add b0 netns sfkf type veth peer name b1 netns sfkf
for pair in sfkc:k0 sfks:eth0 sfkc:f0 sfkf:p0 sfkf:b0 sfkf:b1; do
	ns=${pair%%:*} ifc=${pair#*:}
	nsx "$ns" ethtool -K "$ifc" tx off tso off gso off gro off >/dev/null 2>&1 || true
	nsx "$ns" ip link set "$ifc" up
done
nsx sfkc ip addr add 198.19.0.1/24 dev k0
nsx sfks ip addr add 198.19.0.2/24 dev eth0
# The SYNs come from 198.19.1.0/24, routed back through the generator's namespace.
nsx sfks ip route add 198.19.1.0/24 via 198.19.0.1
nsx sfks sysctl -qw net.ipv4.tcp_syncookies=2 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0
# Only the generator (af_packet) should see replies; the namespace's own stack drops them at
# once, and the same in all runs. synfront's namespace never handles its ports' frames itself.
nsx sfkc iptables -t raw -A PREROUTING -j DROP
nsx sfkf iptables -t raw -A PREROUTING -j DROP
k_mac=$(nsx sfks cat /sys/class/net/eth0/address)
f_mac=$(nsx sfkf cat /sys/class/net/p0/address)

nsx sfks python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.19.0.2", 80)); s.listen(4096); time.sleep(3600)' &
listener_pid=$!

cat >"$work/sf.json" <<EOF
{
  "ports": [
    { "name": "client", "device": "net_af_packet0", "ipv4": "198.19.3.2/24" },
    { "name": "backend", "device": "net_af_packet1", "ipv4": "198.19.4.2/24" }
  ],
  "services": [
    { "name": "web", "listen": "198.19.3.100:80", "port": "client", "backend_port": "backend",
      "mss": 1460, "source_addresses": ["198.19.4.100"],
      "backends": [ { "address": "198.19.4.1:8080", "weight": 1 } ] }
  ],
  "limits": { "idle_sleep_us": 50, "connections_per_lcore": 65536, "mbufs": 16383 },
  "control": { "socket": "$work/sf.sock" },
  "log": { "level": "info" }
}
EOF
# As scripts/lab.sh starts it: one worker, which may share a CPU; lab.json's idle sleep.
nsx sfkf "$sf" --lcores "0,1@$(( 1 % $(nproc) ))" --no-huge -m 1024 --no-pci \
	--file-prefix sf-bench-kernel \
	--vdev net_af_packet0,iface=p0,qpairs=1,framecnt=4096 \
	--vdev net_af_packet1,iface=b0,qpairs=1,framecnt=4096 -- -c "$work/sf.json" \
	>"$work/sf.log" 2>&1 </dev/null &
sf_pid=   # ip netns exec may fork: synfront's pid is found in the namespace below
for _ in $(seq 1 60); do
	sleep 0.5   # first: the process may not be in the namespace yet
	grep -q "ready:" "$work/sf.log" 2>/dev/null && break
	[ -n "$(ip netns pids sfkf)" ] || { cat "$work/sf.log" >&2; echo "bench-kernel.sh: synfront died" >&2; exit 1; }
done
grep -q "ready:" "$work/sf.log" || { cat "$work/sf.log" >&2; exit 1; }
for p in $(ip netns pids sfkf); do
	[ "$(readlink "/proc/$p/exe")" = "$(readlink -f "$sf")" ] && sf_pid=$p
done
[ -n "$sf_pid" ] || { echo "bench-kernel.sh: synfront's pid not found" >&2; exit 1; }

softirq() { awk '$1 == "cpu" { print $8 }' /proc/stat; }        # USER_HZ ticks, all CPUs
systime() { awk '$1 == "cpu" { print $4 + $7 }' /proc/stat; }  # system + irq
proc_cpu() { awk '{ print $14 + $15 }' "/proc/$sf_pid/stat"; } # utime + stime, USER_HZ
cookies() { nsx sfks awk '/^TcpExt:/ { if (!h) { split($0, n); h = 1 } else { for (i in n) if (n[i] == "SyncookiesSent") print $i } }' /proc/net/netstat; }
hz=$(getconf CLK_TCK)

# flood NAME DST DSTMAC IFACE: one bounded flood from sfkc; appends a line to $work/runs.
flood() {
	local name=$1 dst=$2 mac=$3 ifc=$4 s0 y0 p0 c0 s1 y1 p1 c1 t0 t1 sent=0 valid=0
	s0=$(softirq) y0=$(systime) p0=$(proc_cpu) c0=$(cookies) t0=$(date +%s.%N)
	if [ "$dst" = none ]; then
		sleep "$(awk -v c="$count" -v r="$rate" 'BEGIN { print c / r + 1.5 }')"
	else
		nsx sfkc timeout --signal=INT --kill-after=5 $(( dur + 15 )) "$gen" --no-huge -m 256 --no-pci \
			-l 0 --file-prefix sf-bench-kgen --vdev "net_af_packet9,iface=$ifc" -- \
			--port net_af_packet9 --src 198.19.1.0/24 --dst "$dst" --dst-mac "$mac" --mode syn \
			--options linux --count "$count" --rate "$rate" --duration "$dur" --drain 300 \
			--quiet --json "$work/$name.json" >"$work/$name.gen.log" 2>&1 || {
			echo "bench-kernel.sh: generator failed in run $name:" >&2; tail -5 "$work/$name.gen.log" >&2; }
		if [ -s "$work/$name.json" ]; then
			sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sent"])' "$work/$name.json")
			valid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["synack_valid"])' "$work/$name.json")
		fi
	fi
	s1=$(softirq) y1=$(systime) p1=$(proc_cpu) c1=$(cookies) t1=$(date +%s.%N)
	echo "$name $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $((s1 - s0)) $((y1 - y0)) $((p1 - p0)) $((c1 - c0)) $sent $valid" >>"$work/runs"
}

: >"$work/runs"
for _ in $(seq 1 "$reps"); do
	flood idle none - -
	flood K 198.19.0.2:80 "$k_mac" k0
	nsx sfks iptables -t raw -A PREROUTING -p tcp --syn -j DROP
	flood Kdrop 198.19.0.2:80 "$k_mac" k0
	nsx sfks iptables -t raw -F PREROUTING
	flood S 198.19.3.100:80 "$f_mac" f0
	flood Sdrop 198.19.3.200:80 "$f_mac" f0
done

# bench-synack's in-process figure: from the suite's results, or run it now.
res=${SF_BENCH_RESULTS:-}
if [ -z "$res" ] || ! grep -q '"bench":"synack"' "$res" 2>/dev/null; then
	build/tests/bench/splice/bench-synack -- -r 3 -n 262144 2>/dev/null | sed -n 's/^RESULT //p' >"$work/synack.json" || true
	res=$work/synack.json
fi

python3 - "$work/runs" "$res" "$hz" "$count" "$rate" "$reps" "$(nproc)" <<'PY'
import json, statistics, sys
runs_f, res_f, hz, count, rate, reps, ncpu = sys.argv[1:8]
hz = int(hz)
runs = {}
for l in open(runs_f):
    n, wall, si, sy, pr, ck, sent, valid = l.split()
    runs.setdefault(n, []).append(dict(wall=float(wall), softirq=int(si) / hz, system=int(sy) / hz,
                                       proc=int(pr) / hz, cookies=int(ck), sent=int(sent), valid=int(valid)))
med = lambda n, k: statistics.median(r[k] for r in runs[n])
synack = None
for l in open(res_f):
    l = l.strip()
    if l.startswith("{") and '"synack"' in l:
        synack = json.loads(l)
ns = lambda sec, n: sec / n * 1e9 if n else None
idle_si = med("idle", "softirq") / med("idle", "wall")          # background softirq s per s
k_valid, s_valid = med("K", "valid"), med("S", "valid")
kernel = ns(med("K", "softirq") - med("Kdrop", "softirq"), k_valid)
kernel_full = ns(med("K", "softirq") - idle_si * med("K", "wall"), k_valid)
sf_bound = ns(med("S", "proc") + med("S", "softirq") - idle_si * med("S", "wall"), s_valid)
sf_proc = ns(med("S", "proc"), s_valid)
sf_diff = ns(med("S", "proc") + med("S", "softirq") - med("Sdrop", "proc") - med("Sdrop", "softirq"), s_valid)
inproc = synack["worker_sw"] / synack["tsc_hz"] * 1e9 if synack else None
ratio = lambda a, b: round(a / b, 2) if a and b and b > 0 else None
rnd = lambda v: round(v, 1) if v is not None else None
out = {
    "bench": "kernel", "unit": "ns_cpu_per_synack", "syns_per_run": int(count), "rate_pps": int(rate),
    "reps": int(reps), "cpus": int(ncpu), "clk_tck": hz,
    "measure": "softirq from /proc/stat (all CPUs) + synfront utime+stime; medians over reps",
    "runs": runs,
    "kernel_synack_received": k_valid, "kernel_syncookies_sent": med("K", "cookies"),
    "synfront_synack_received": s_valid,
    "kernel_ns_per_syn": rnd(kernel), "kernel_full_path_ns_per_syn": rnd(kernel_full),
    "synfront_veth_ns_per_syn": rnd(sf_bound), "synfront_veth_process_only_ns_per_syn": rnd(sf_proc),
    "synfront_veth_diff_ns_per_syn": rnd(sf_diff),
    "synfront_inproc_cycles_per_syn": synack["worker_sw"] if synack else None,
    "synfront_inproc_ns_per_syn": rnd(inproc),
    "ratio_kernel_vs_synfront_veth": ratio(kernel, sf_bound),
    "ratio_kernel_vs_synfront_veth_diff": ratio(kernel, sf_diff),
    "ratio_kernel_vs_synfront_inproc": ratio(kernel, inproc),
}
print("run      wall_s  softirq_s  sys+irq_s  synfront_cpu_s  SyncookiesSent    sent  synack_valid")
for n, rs in runs.items():
    for r in rs:
        print(f"{n:8} {r['wall']:6.2f} {r['softirq']:10.2f} {r['system']:10.2f} {r['proc']:15.2f}"
              f" {r['cookies']:15d} {r['sent']:7d} {r['valid']:13d}")
f = lambda v: "n/a" if v is None else f"{v:.0f} ns"
print(f"kernel, cookie + SYN-ACK (K - Kdrop softirq):           {f(kernel)} per SYN")
print(f"kernel, whole path incl. veth RX (K - idle):            {f(kernel_full)} per SYN")
print(f"synfront veth, process + softirq - idle (upper bound):  {f(sf_bound)} per SYN")
print(f"synfront veth, (S - Sdrop), process + softirq:          {f(sf_diff)} per SYN")
print(f"synfront in-process (bench-synack worker, sw cksum):    {f(inproc)} per SYN")
print(f"ratios kernel/synfront: veth bound {out['ratio_kernel_vs_synfront_veth']}, "
      f"veth diff {out['ratio_kernel_vs_synfront_veth_diff']}, in-process {out['ratio_kernel_vs_synfront_inproc']}")
print("RESULT " + json.dumps(out, separators=(",", ":")))
PY

#!/usr/bin/env bash
# End-to-end benchmarks (issue #7): synfront-gen against a running synfront. Called by
# scripts/bench.sh; needs root and a build (build/app/synfront, synfront-gen, synfront-ctl).
#
#   scripts/bench-e2e.sh [--quick]
#
# (1) memif: synfront (memif server, worker on CPU 1) flooded with SYNs by synfront-gen
#     (memif client, CPU 0) in a second DPDK process: once as fast as possible (--rate 0),
#     once at a fixed 1 Mpps. Reported: SYNs sent, SYN-ACKs received, the valid ratio, the
#     answered rate (valid SYN-ACKs from the first SYN to the last SYN-ACK; when some were
#     lost, that end is bounded by the last SYN plus the largest measured latency) and
#     synfront's syn_received / synack_sent / tx_dropped over that run (synfront-ctl stats).
#     synfront's second port (backends, unused by a flood) is a net_ring0 loopback.
# (2) lab: a connection storm through synfront on a private copy of the lab (scripts/lab.sh's
#     topology and conf/lab.json, af_packet over veths, in netns sfec/sfeb so that it never
#     races the e2e tests on sfc/sfb) from sfec to tests/e2e/backend_server.py in sfeb:
#     connections completed per second (SYN to both FINs acknowledged, GET /small in between)
#     and the SYN -> SYN-ACK latency.
#
# Every generator run is bounded by --count and --duration (and `timeout`). Everything this
# script starts is stopped on exit: processes, namespaces, the iptables rule, the memif socket
# directory and the DPDK runtime directories of its file prefixes (sf-bench-s, sf-bench-g,
# sf-bench-e2e-gen, sf-bench-lab). No hugepages: every process runs with --no-huge (memif works on memfd).
# Prints a table and one "RESULT {json}" line.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

quick=0
[ "${1:-}" = --quick ] && quick=1
if [ $quick -eq 1 ]; then
	syn_count=500000 syn_dur=10 storm_count=500
else
	syn_count=2000000 syn_dur=20 storm_count=2000
fi
storm_conc=200 storm_dur=30
gen=build/app/synfront-gen sf=build/app/synfront ctl=build/app/synfront-ctl
[ "$(id -u)" -eq 0 ] || { echo "bench-e2e.sh: needs root" >&2; exit 1; }
for b in "$gen" "$sf" "$ctl"; do
	[ -x "$b" ] || { echo "bench-e2e.sh: $b not built (scripts/build.sh)" >&2; exit 1; }
done
ncpu=$(nproc)
sf_cpu=$(( 1 % ncpu ))

work=$(mktemp -d /tmp/sf-bench-e2e.XXXXXX)
sockdir=/run/sf-bench
sf_pid='' backend_pid='' lab_mine=0
stop_pid() {   # stop_pid PID: SIGINT, then SIGKILL after 10 s
	local p=$1
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 0
	kill -INT "$p" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.2; done
	kill -KILL "$p" 2>/dev/null || true
}
cleanup() {
	set +e
	stop_pid "$sf_pid"
	if [ $lab_mine -eq 1 ]; then
		[ -n "$backend_pid" ] && kill -TERM "$backend_pid" 2>/dev/null
		for ns in sfec sfeb; do   # whatever this script left running in its namespaces
			for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
			ip netns del "$ns" 2>/dev/null
		done
		ip link del sfec0 2>/dev/null; ip link del sfeb0 2>/dev/null
	fi
	rm -rf "$sockdir" /var/run/dpdk/sf-bench-s /var/run/dpdk/sf-bench-g /var/run/dpdk/sf-bench-e2e-gen \
		/var/run/dpdk/sf-bench-lab
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# ---------------------------------------------------------------------------------------
# (1) synfront-gen -> memif -> synfront
# ---------------------------------------------------------------------------------------
[ -e "$sockdir" ] && { echo "bench-e2e.sh: $sockdir exists (another run?)" >&2; exit 1; }
mkdir -p "$sockdir"
cat >"$work/sf.json" <<EOF
{
  "ports": [
    { "name": "client", "device": "net_memif0", "ipv4": "198.18.0.2/24" },
    { "name": "backend", "device": "net_ring0", "ipv4": "198.18.1.2/24" }
  ],
  "services": [
    { "name": "web", "listen": "198.18.0.100:80", "port": "client", "backend_port": "backend",
      "mss": 1460, "source_addresses": ["198.18.1.100"],
      "backends": [ { "address": "198.18.1.1:8080", "weight": 1 } ] }
  ],
  "limits": { "connections_per_lcore": 65536, "mbufs": 16383 },
  "control": { "socket": "$work/sf.sock" },
  "log": { "level": "info" }
}
EOF
"$sf" --lcores "0,1@$sf_cpu" --no-huge -m 1024 --no-pci --no-telemetry --file-prefix sf-bench-s \
	--vdev "net_memif0,role=server,socket=$sockdir/memif.sock" --vdev net_ring0 \
	-- -c "$work/sf.json" >"$work/sf.log" 2>&1 </dev/null &
sf_pid=$!
for _ in $(seq 1 60); do
	grep -q "ready:" "$work/sf.log" 2>/dev/null && break
	kill -0 "$sf_pid" 2>/dev/null || { cat "$work/sf.log" >&2; echo "bench-e2e.sh: synfront died" >&2; exit 1; }
	sleep 0.5
done
grep -q "ready:" "$work/sf.log" || { cat "$work/sf.log" >&2; echo "bench-e2e.sh: synfront not ready" >&2; exit 1; }

sf_stats() { "$ctl" -s "$work/sf.sock" --json stats >"$work/$1.stats" 2>/dev/null || echo '{}' >"$work/$1.stats"; }

# flood NAME RATE: one SYN flood over memif; report in NAME.json, synfront's stats around it.
flood() {
	local name=$1 rate=$2
	sf_stats "$name.before"
	timeout --signal=INT --kill-after=5 $(( syn_dur + 20 )) "$gen" -l 0 --no-huge -m 512 --no-pci \
		--no-telemetry --file-prefix sf-bench-g --log-level=error \
		--vdev "net_memif0,role=client,socket=$sockdir/memif.sock" -- \
		--port net_memif0 --src 198.18.0.0/16 --dst 198.18.0.100:80 --mode syn --options linux \
		--count "$syn_count" --duration "$syn_dur" --rate "$rate" --drain 1000 \
		--quiet --json "$work/$name.json" >"$work/$name.gen.log" 2>&1 || {
		echo "bench-e2e.sh: generator failed in run $name:" >&2; tail -5 "$work/$name.gen.log" >&2; }
	sf_stats "$name.after"
	echo "$name $rate" >>"$work/floods"
}
: >"$work/floods"
flood syn_max 0
flood syn_1m 1000000
sf_stats final
stop_pid "$sf_pid"; sf_pid=''
cp "$work/sf.log" "$work/sf-memif.log"

# ---------------------------------------------------------------------------------------
# (2) connection storm through a private copy of the lab
# ---------------------------------------------------------------------------------------
# The lab's topology and addresses (scripts/lab.sh, conf/lab.json) in namespaces of its own,
# sfec and sfeb (root-side veths sfec0, sfeb0), so that it never races the e2e tests, which
# take the lab's sfc/sfb down and up as they go.
lab_note=''
if ip netns list | grep -qwE 'sfec|sfeb'; then
	lab_note="netns sfec/sfeb exist (another run?): storm skipped"
	echo "bench-e2e.sh: $lab_note" >&2
else
	lab_mine=1
	for pair in sfec:sfec0:198.18.0.1/24 sfeb:sfeb0:198.18.1.1/24; do
		IFS=: read -r ns hif addr <<<"$pair"
		ip netns add "$ns"
		ip link add "$hif" type veth peer name eth0 netns "$ns"
		sysctl -qw "net.ipv6.conf.$hif.disable_ipv6=1" || true
		ip link set "$hif" up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
		ip netns exec "$ns" ip link set lo up
		ip netns exec "$ns" ip addr add "$addr" dev eth0
		ip netns exec "$ns" ip link set eth0 up
		ip netns exec "$ns" ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 || true
		ethtool -K "$hif" tx off tso off gso off gro off >/dev/null 2>&1 || true
	done
	python3 - conf/lab.json "$work/lab.json" "$work/lab.sock" <<'PYC'
import json, sys
c = json.load(open(sys.argv[1])); c["control"]["socket"] = sys.argv[3]
json.dump(c, open(sys.argv[2], "w"), indent=1)
PYC
	ip netns exec sfeb python3 tests/e2e/backend_server.py --bind 198.18.1.1 --port 8080 \
		>"$work/backend.log" 2>&1 </dev/null &
	backend_pid=$!
	# As scripts/lab.sh starts it: one worker (CPU 1), lab.json's idle sleep.
	"$sf" --lcores "0,1@$sf_cpu" --no-huge -m 1024 --no-pci --no-telemetry --file-prefix sf-bench-lab \
		--vdev net_af_packet0,iface=sfec0,qpairs=1,framecnt=4096 \
		--vdev net_af_packet1,iface=sfeb0,qpairs=1,framecnt=4096 -- -c "$work/lab.json" \
		>"$work/sf-lab.log" 2>&1 </dev/null &
	sf_pid=$!
	up=0
	for _ in $(seq 1 60); do
		kill -0 "$sf_pid" 2>/dev/null || break
		if grep -q "ready:" "$work/sf-lab.log" && ip netns exec sfec ping -c1 -W1 198.18.0.100 >/dev/null 2>&1 &&
		   ip netns exec sfeb curl -s -m 1 -o /dev/null http://198.18.1.1:8080/health; then
			up=1; break
		fi
		sleep 0.5
	done
	if [ $up -eq 0 ]; then
		lab_note="synfront or the backend did not come up on the private lab: storm skipped"
		echo "bench-e2e.sh: $lab_note" >&2; tail -20 "$work/sf-lab.log" >&2
	else
		# The generator's raw connections are unknown to the kernel in sfec: keep it from resetting them.
		ip netns exec sfec iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP
		ip netns exec sfec timeout --signal=INT --kill-after=5 $(( storm_dur + 20 )) "$gen" --no-huge -m 256 \
			--no-pci --no-telemetry -l 0 --file-prefix sf-bench-e2e-gen --log-level=error \
			--vdev net_af_packet9,iface=eth0 -- --port net_af_packet9 --dst 198.18.0.100:80 \
			--src 198.18.0.10 --mode storm --count "$storm_count" --concurrency "$storm_conc" \
			--request 'GET /small HTTP/1.0\r\n\r\n' --duration "$storm_dur" --conn-timeout 10000 \
			--idle-us 20 --quiet --json "$work/storm.json" >"$work/storm.gen.log" 2>&1 || {
			echo "bench-e2e.sh: storm generator failed:" >&2; tail -5 "$work/storm.gen.log" >&2; }
		"$ctl" -s "$work/lab.sock" --json stats >"$work/storm.stats" 2>/dev/null || true
	fi
	stop_pid "$sf_pid"; sf_pid=''
fi

python3 - "$work" "$syn_count" "$syn_dur" "$storm_count" "$storm_conc" "$lab_note" "$quick" "$ncpu" <<'PY'
import json, os, sys
w, syn_count, syn_dur, storm_count, storm_conc, lab_note, quick, ncpu = sys.argv[1:9]
def load(p):
    try:
        return json.load(open(os.path.join(w, p)))
    except Exception:
        return None
def tot(st, k):
    if not st:
        return 0
    t = st.get("total", st)
    v = t.get(k, 0)
    return v if isinstance(v, int) else 0
out = {"bench": "e2e", "quick": quick == "1", "cpus": int(ncpu),
       "memif": {"syns_per_run": int(syn_count), "duration_max_s": int(syn_dur),
                 "setup": "synfront memif server (worker on CPU 1) <- synfront-gen memif client (CPU 0), --no-huge",
                 "runs": []}}
rows = []
for l in open(os.path.join(w, "floods")):
    name, rate = l.split()
    g = load(name + ".json") or {}
    b, a = load(name + ".before.stats"), load(name + ".after.stats")
    sent, valid = g.get("sent", 0), g.get("synack_valid", 0)
    dur = g.get("duration_s") or 0
    # The answered rate: valid SYN-ACKs over the time from the first SYN to the last SYN-ACK.
    # All answered: the generator stopped draining at the last one, duration_s is that time.
    # Some lost: it drained the full --drain; the last SYN-ACK came at most the largest
    # SYN -> SYN-ACK latency (every SYN carries a timestamp) after the last SYN was sent.
    lat = g.get("handshake_latency_us") or {}
    win = dur
    if g.get("received", 0) < sent and g.get("send_s") and lat.get("max") is not None:
        win = min(dur, g["send_s"] + lat["max"] / 1e6)
    r = {"name": name, "rate_target_pps": int(rate), "sent": sent, "received": g.get("received", 0),
         "synack_valid": valid, "synack_invalid": g.get("synack_invalid", 0),
         "valid_ratio": round(valid / sent, 4) if sent else None,
         "gen_send_rate_mpps": round(g.get("rate_pps", 0) / 1e6, 3),
         "gen_duration_s": dur, "gen_send_s": g.get("send_s"),
         "answer_window_s": round(win, 4),
         "answered_mpps": round(valid / win / 1e6, 3) if win else None,
         "gen_tx_busy": (g.get("counters") or {}).get("tx_busy"),
         "synack_latency_us": g.get("handshake_latency_us"),
         "sf_syn_received": tot(a, "syn_received") - tot(b, "syn_received"),
         "sf_synack_sent": tot(a, "synack_sent") - tot(b, "synack_sent"),
         "sf_tx_dropped": tot(a, "tx_dropped") - tot(b, "tx_dropped")}
    out["memif"]["runs"].append(r)
    out["memif_" + name + "_answered_mpps"] = r["answered_mpps"]
    out["memif_" + name + "_valid_ratio"] = r["valid_ratio"]
s = load("storm.json")
if s:
    dur = s.get("duration_s") or 0
    hs = s.get("handshake_latency_us") or {}
    out["storm"] = {"setup": "private lab (conf/lab.json, af_packet over veths), generator in netns sfec, "
                             "tests/e2e/backend_server.py in sfeb, GET /small",
                    "count": int(storm_count), "concurrency": int(storm_conc),
                    "connections": s.get("connections"), "handshakes": s.get("handshakes"),
                    "replies": s.get("replies"), "completed": s.get("completed"), "failed": s.get("failed"),
                    "duration_s": dur,
                    "completed_per_s": round(s.get("completed", 0) / dur) if dur else None,
                    "handshakes_per_s": s.get("rate_cps"),
                    "handshake_latency_us": hs, "reply_latency_us": s.get("reply_latency_us")}
    out["storm_completed_per_s"] = out["storm"]["completed_per_s"]
    out["storm_handshake_p50_us"] = hs.get("p50")
    out["storm_handshake_p99_us"] = hs.get("p99")
else:
    out["storm"] = None
out["note"] = lab_note or None

print("memif SYN flood        target    sent    SYN-ACK  valid%  answered  sf syn_rcvd  sf synack  sf tx_drop  p50/p99 us")
for r in out["memif"]["runs"]:
    lat = r["synack_latency_us"] or {}
    tgt = "max" if r["rate_target_pps"] == 0 else "%.1fM" % (r["rate_target_pps"] / 1e6)
    vr = "%.2f" % (100 * r["valid_ratio"]) if r["valid_ratio"] is not None else "n/a"
    am = "%.2f Mpps" % r["answered_mpps"] if r["answered_mpps"] is not None else "n/a"
    print(f"  {r['name']:18} {tgt:>6} {r['sent']:8d} {r['synack_valid']:9d} {vr:>7} {am:>10}"
          f" {r['sf_syn_received']:12d} {r['sf_synack_sent']:10d} {r['sf_tx_dropped']:11d}"
          f"  {lat.get('p50')}/{lat.get('p99')}")
st = out["storm"]
if st:
    print(f"lab storm: {st['connections']} connections ({st['concurrency']} in flight), "
          f"{st['handshakes']} handshakes, {st['replies']} replies, {st['completed']} completed "
          f"in {st['duration_s']} s: {st['completed_per_s']} conn/s completed; "
          f"SYN->SYN-ACK p50 {st['handshake_latency_us'].get('p50')} us p99 {st['handshake_latency_us'].get('p99')} us; "
          f"failed {st['failed']}")
else:
    print("lab storm: not run" + (f" ({lab_note})" if lab_note else ""))
print("RESULT " + json.dumps(out, separators=(",", ":")))
PY

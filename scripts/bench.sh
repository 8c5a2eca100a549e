#!/usr/bin/env bash
# The benchmark suite: build, run every micro-benchmark under build/tests/bench/ that exists,
# then the end-to-end runs (scripts/bench-e2e.sh, root only) and the kernel comparison
# (scripts/bench-kernel.sh, root only), collect each bench's
# "RESULT {json}" line into docs/perf/results.json with the machine's description, and draw
# the plots (gnuplot) into docs/perf/*.png.
#
#   scripts/bench.sh [--quick] [--no-kernel] [--out DIR]
#
# --quick     smaller runs, under 3 minutes in all (default: under 15 minutes)
# --no-kernel skip scripts/bench-kernel.sh
# --out DIR   where results.json, the logs and the PNGs go (default docs/perf)
# --plot-only redraw the PNGs from DIR/results.json
#
# Every bench runs under `timeout`; a bench that is not built is skipped with a note, one that
# fails or times out is recorded as such and the suite goes on. Exit status: 0 when every bench
# that exists passed, 1 otherwise.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

quick=0 kernel=1 out=docs/perf plot_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--no-kernel) kernel=0 ;;
	--out) out=$2; shift ;;
	--plot-only) plot_only=1 ;;
	-h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

mkdir -p "$out"
logs="$out/logs"
mkdir -p "$logs"
work=$(mktemp -d /tmp/sf-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
t_start=$(date +%s)

# plot RESULTS.JSON DIR: the PNGs, with gnuplot, from data files made out of results.json.
plot() {
	local json=$1 dir
	dir=$(cd "$2" && pwd)
	if ! command -v gnuplot >/dev/null; then
		echo "bench.sh: gnuplot not installed (scripts/deps.sh), no plots" >&2
		return 0
	fi
	python3 - "$json" "$work" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1])); w = sys.argv[2]
R = {r.get("bench"): r for r in doc["results"]}
num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
bars = []
s = R.get("synack")
if s:
    bars += [("worker pass, sw cksum", s["worker_sw"]), ("worker pass, NIC cksum flags", s["worker_hw"]),
             ("worker - PMD, sw cksum", s["worker_minus_pmd_sw"]), ("worker - PMD, NIC flags", s["worker_minus_pmd_hw"]),
             ("  parse, sw cksum", s["parse_sw"]), ("  parse, NIC flags", s["parse_hw"]),
             ("  conntab lookup (miss)", s["conntab_lookup"]), ("  cookie encode (x32)", s["cookie_encode"]),
             ("  rest, sw cksum", s["rest_sw"])]
c = R.get("cookie")
if c:
    bars += [("cookie encode, burst 1", c["encode_burst1"]), ("cookie check, burst 32", c["check_burst32"]),
             ("cookie check forged, x32", c["check_forged_burst32"])]
p = R.get("pkt")
if p:
    bars += [("parse " + k.replace("_", " "), v) for k, v in p.items() if num(v)]
f = R.get("forward")
if f:
    bars += [("forward %s, %d conns" % (k[4:].replace("_", " B "), f["conns"]), f[k])
             for k in ("fwd_64_sw", "fwd_64_hw", "fwd_1400_sw", "fwd_1400_hw") if num(f.get(k))]
with open(w + "/bars.dat", "w") as o:
    for n, v in bars:
        o.write('"%s" %s\n' % (n, v))
tw = R.get("timerwheel")
if tw:
    with open(w + "/tw.dat", "w") as o:
        o.write("timers arm rearm cancel expire tick rte_arm rte_rearm rte_cancel rte_expire rte_tick\n")
        for r in tw["results"]:
            t, rt = r["timerwheel"], r.get("rte_timer", {})
            row = [r["timers"]] + [t[k] for k in ("arm", "rearm", "cancel", "expire", "tick")] + \
                  [rt.get(k, "NaN") for k in ("arm", "rearm", "cancel", "expire", "tick")]
            o.write(" ".join(str(x) for x in row) + "\n")
# Forwarding cost vs table size: the first list of objects in bench-forward's RESULT whose
# objects have a size-like key.
if f:
    for k, v in f.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            xk = next((c for c in v[0] if any(t in c for t in ("size", "entries", "conn", "flows", "table"))), None)
            if not xk:
                continue
            ys = [c for c in v[0] if c not in (xk, "capacity") and num(v[0][c])]
            with open(w + "/fwd.dat", "w") as o:
                o.write(" ".join([xk] + ys) + "\n")
                for r in v:
                    o.write(" ".join(str(r.get(c, "NaN")) for c in [xk] + ys) + "\n")
            open(w + "/fwd.cols", "w").write(str(len(ys) + 1))
            break
k = R.get("kernel")
if k:
    with open(w + "/kernel.dat", "w") as o:
        for n, key in (("Linux, tcp_syncookies=2", "kernel_ns_per_syn"),
                       ("synfront, veth (upper bound)", "synfront_veth_ns_per_syn"),
                       ("synfront, veth, differential", "synfront_veth_diff_ns_per_syn"),
                       ("synfront in-process (bench-synack)", "synfront_inproc_ns_per_syn")):
            if num(k.get(key)):
                o.write('"%s" %s\n' % (n, k[key]))
PY
	(
		cd "$work"
		common='set terminal pngcairo size 1000,600 font "sans,10"; set grid ytics;'
		if [ -s bars.dat ]; then
			gnuplot -e "$common set output '$dir/cycles-per-packet.png';
				set title 'TSC cycles per packet, by path (median)';
				set style fill solid 0.8; set boxwidth 0.7; set xtics rotate by -40 noenhanced font ',8';
				set bmargin 11; set rmargin 10; set ylabel 'TSC cycles per packet'; set yrange [0:*]; unset key;
				plot 'bars.dat' using 0:2:xtic(1) with boxes lc rgb '#3070b0',
				     '' using 0:2:(sprintf('%.1f',\$2)) with labels offset 0,0.7 font ',8'"
		fi
		if [ -s tw.dat ]; then
			gnuplot -e "$common set output '$dir/timer-cost.png';
				set title 'Timer cost vs pending timers (TSC cycles per operation, median)';
				set logscale xy; set xlabel 'pending timers'; set ylabel 'TSC cycles per operation';
				set key outside right noenhanced;
				plot for [i=2:6] 'tw.dat' using 1:i with linespoints lw 2 dt 1 lc i-1 title 'wheel '.columnhead(i),
				     for [i=7:11] 'tw.dat' using 1:i with linespoints lw 1 dt 2 lc i-6 title columnhead(i)"
		fi
		if [ -s fwd.dat ]; then
			gnuplot -e "$common set output '$dir/forward-vs-table.png';
				set title 'Forwarding cost vs connection-table size'; set key outside right noenhanced;
				set logscale x; set xlabel 'established connections (table capacity >= 1,048,576)'; set ylabel 'TSC cycles per packet';
				plot for [i=2:$(cat fwd.cols)] 'fwd.dat' using 1:i with linespoints lw 2 title columnhead(i)"
		fi
		if [ -s kernel.dat ]; then
			gnuplot -e "$common set output '$dir/kernel-vs-synfront.png';
				set title 'CPU time per SYN answered with a cookie (ns, lower is better)';
				set style fill solid 0.8; set boxwidth 0.6; set xtics noenhanced; set yrange [0:*]; unset key;
				set ylabel 'ns of CPU per SYN-ACK';
				plot 'kernel.dat' using 0:2:xtic(1) with boxes lc rgb '#b05030',
				     '' using 0:2:(sprintf('%.0f',\$2)) with labels offset 0,0.7"
		fi
	)
	ls "$dir"/*.png 2>/dev/null | sed 's/^/bench.sh: plot /' || true
}

if [ $plot_only -eq 1 ]; then
	plot "$out/results.json" "$out"
	exit 0
fi

echo "bench.sh: building"
scripts/build.sh >"$logs/build.log" 2>&1 || { tail -20 "$logs/build.log" >&2; exit 1; }

eal=(--no-huge -m 1024 --no-pci --no-telemetry -l 0)
# The forwarding bench touches a table of up to 1M connections at random: on 4 KiB pages
# every access is also a TLB miss. Give it hugepages when they can be had.
hp_before=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
fwd_eal=("${eal[@]}")
if [ "$(id -u)" -eq 0 ]; then
	mountpoint -q /dev/hugepages || { mkdir -p /dev/hugepages; mount -t hugetlbfs nodev /dev/hugepages; } || true
	echo $((hp_before + 768)) >/proc/sys/vm/nr_hugepages 2>/dev/null || true
	if [ "$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)" -ge 700 ]; then
		fwd_eal=(--socket-mem 1400 --huge-unlink --no-pci --no-telemetry -l 0 --file-prefix "bench-fwd-$$")
	fi
	trap 'rm -rf "$work"; echo "$hp_before" >/proc/sys/vm/nr_hugepages 2>/dev/null || true' EXIT
fi
if [ $quick -eq 1 ]; then
	pkt_args=(100000)
	cookie_args=(1048576)
	# shellcheck disable=SC2054 # the commas are bench-timerwheel's list syntax
	tw_args=("${eal[@]}" -- --rounds 1 --sizes 1000,10000,100000 --rte-max 100000)
	synack_args=("${eal[@]}" -- -r 3 -n 262144)
	fwd_sizes="1000 100000"
	fwd_args=(-r 1 -n 1048576 -l 0)
	conntab_args=("${eal[@]}" -- -n 1000,100000 -r 1)
	kernel_args=(--quick)
	e2e_args=(--quick)
	limit=60
else
	pkt_args=(200000)
	cookie_args=(4194304)
	# shellcheck disable=SC2054
	tw_args=("${eal[@]}" -- --rounds 3 --sizes 1000,10000,100000,1000000,10000000 --rte-max 1000000)
	synack_args=("${eal[@]}" -- -r 5)
	fwd_sizes="1000 100000 1000000"
	fwd_args=(-r 5 -l 0)
	conntab_args=(--no-huge -m 3072 --no-pci --no-telemetry -l 0 -- -n 1000,1000000 -r 5)
	kernel_args=()
	e2e_args=()
	limit=240
fi

# status lines: name|status|wall_s|note
: >"$work/status"
: >"$work/results"

# run_bench NAME BINARY ARGS...: run one bench, keep its log and its RESULT line.
run_bench() {
	local name=$1 bin=$2 t0 t1 rc=0
	shift 2
	if [ ! -x "$bin" ]; then
		echo "bench.sh: $name: $bin not built, skipped"
		echo "$name|skipped|0|$bin not built" >>"$work/status"
		return 0
	fi
	echo "bench.sh: $name: $bin $*"
	t0=$(date +%s.%N)
	timeout --signal=INT --kill-after=10 "$limit" "$bin" "$@" >"$logs/$name.log" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	local wall
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	if [ $rc -ne 0 ]; then
		echo "bench.sh: $name: FAILED (exit $rc, log $logs/$name.log)"
		echo "$name|failed|$wall|exit $rc" >>"$work/status"
		return 0
	fi
	if [ "$name" = pkt ] && ! grep -q '^RESULT ' "$logs/$name.log"; then
		# bench-pkt prints only its table: turn the rows into a RESULT line.
		awk '/cycles\/pkt/ {
			split($0, a, /  +/); key = a[1]; gsub(/[ ,+]+/, "_", key)
			for (i = 1; i <= NF; i++) if ($i == "cycles/pkt") v = $(i - 1)
			s = s sprintf("%s\"%s\":%s", n++ ? "," : "", key, v)
		} END { if (n) printf "RESULT {\"bench\":\"pkt\",\"unit\":\"tsc_cycles_per_packet\",%s}\n", s }' \
			"$logs/$name.log" >"$work/pkt.result"
		cat "$work/pkt.result" >>"$logs/$name.log"
	fi
	if ! grep -q '^RESULT ' "$logs/$name.log"; then
		echo "bench.sh: $name: no RESULT line (log $logs/$name.log)"
		echo "$name|failed|$wall|no RESULT line" >>"$work/status"
		return 0
	fi
	grep '^RESULT ' "$logs/$name.log" | sed 's/^RESULT //' >>"$work/results"
	echo "$name|ok|$wall|" >>"$work/status"
	grep -v '^RESULT ' "$logs/$name.log" | sed 's/^/    /'
}

run_bench pkt build/tests/bench/pkt/bench-pkt "${pkt_args[@]}"
run_bench cookie build/tests/bench/cookie/bench-cookie "${cookie_args[@]}"
run_bench timerwheel build/tests/bench/timerwheel/bench-timerwheel "${tw_args[@]}"
run_bench synack build/tests/bench/splice/bench-synack "${synack_args[@]}"
run_bench conntab build/tests/bench/conntab/bench-conntab "${conntab_args[@]}"
fwd=$(ls build/tests/bench/*/bench-forward 2>/dev/null | head -1 || true)
# One bench-forward run per table size (-c established connections; the life-cycle figure
# only in the run of the largest size, -l 0 elsewhere); the RESULT lines are merged below.
for c in $fwd_sizes; do
	a=("${fwd_args[@]}")
	[ "$c" = "${fwd_sizes##* }" ] && [ $quick -eq 0 ] && a=(-r 5)
	run_bench "forward-$c" "${fwd:-build/tests/bench/splice/bench-forward}" "${fwd_eal[@]}" -- -c "$c" "${a[@]}"
	[ -n "$fwd" ] || break
done

# End to end (scripts/bench-e2e.sh, root only): synfront-gen against synfront over memif,
# and a connection storm through a private copy of the lab. The plots leave its result out.
if [ "$(id -u)" -ne 0 ]; then
	echo "bench.sh: end-to-end runs need root, skipped"
	echo "e2e|skipped|0|needs root" >>"$work/status"
else
	limit=$([ $quick -eq 1 ] && echo 120 || echo 240)
	run_bench e2e scripts/bench-e2e.sh "${e2e_args[@]}"
fi

if [ $kernel -eq 1 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench.sh: kernel comparison needs root, skipped"
		echo "kernel|skipped|0|needs root" >>"$work/status"
	else
		# bench-kernel.sh reads bench-synack's in-process figure from this file.
		limit=$([ $quick -eq 1 ] && echo 120 || echo 400)
		SF_BENCH_RESULTS="$work/results" run_bench kernel scripts/bench-kernel.sh "${kernel_args[@]}"
	fi
fi

# results.json: machine, run, every RESULT object and every bench's status.
python3 - "$work/results" "$work/status" "$out/results.json" "$quick" "$t_start" <<'EOF'
import json, os, platform, subprocess, sys, time
res_f, st_f, out_f, quick, t0 = sys.argv[1:6]
def sh(*c):
    try:
        return subprocess.run(c, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return None
cpu = None
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
results = [json.loads(l) for l in open(res_f) if l.strip()]
fwd = [r for r in results if r.get("bench") == "forward"]
if fwd:   # one RESULT per table size: one entry with the per-size list, for the plots
    results = [r for r in results if r.get("bench") != "forward"]
    largest = max(fwd, key=lambda r: r.get("conns", 0))
    results.append(dict(largest, by_size=[{k: r[k] for k in ("conns", "capacity", "fwd_64_sw",
        "fwd_64_hw", "fwd_1400_sw", "fwd_1400_hw") if k in r} for r in sorted(fwd, key=lambda r: r["conns"])]))
tsc = next((r["tsc_hz"] for r in results if "tsc_hz" in r), None)
status = []
for l in open(st_f):
    n, s, w, note = l.rstrip("\n").split("|", 3)
    status.append({"bench": n, "status": s, "wall_s": float(w), "note": note or None})
doc = {
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "mode": "quick" if quick == "1" else "full",
    "suite_wall_s": round(time.time() - int(t0), 1),
    "machine": {
        "cpu_model": cpu, "cpus": os.cpu_count(), "tsc_hz": tsc,
        "kernel": platform.release(), "os": sh("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
        "dpdk": sh("pkg-config", "--modversion", "libdpdk"),
        "cc": sh("sh", "-c", "cc --version | head -1"),
        "commit": sh("git", "rev-parse", "--short", "HEAD"),
        "dirty": bool(sh("git", "status", "--porcelain", "--untracked-files=no")),
    },
    "status": status,
    "results": results,
}
json.dump(doc, open(out_f, "w"), indent=1)
print(f"bench.sh: wrote {out_f}")
EOF

plot "$out/results.json" "$out"
echo "bench.sh: done in $(( $(date +%s) - t_start )) s"
! grep -q '|failed|' "$work/status"

#!/usr/bin/env bash
# synfront-gen through the lab (issue #7): from netns sfc, on af_packet over its eth0,
# a SYN flood of 3000 SYNs from 198.18.0.128/25 (every option mix), then a storm of 100
# real connections from 198.18.0.10 that complete cookie handshakes, GET /small from the
# backend in sfb through the splice, and close. The generator's report and synfront's
# counters must agree.
# Counters relied on: syn_received, synack_sent, cookie_valid, cookie_invalid.
. "$(dirname "$0")/lib.sh"
GEN=${SF_GEN:-$(dirname "$SF_LAB_BIN")/synfront-gen}
[ -x "$GEN" ] || { echo "skipped: $GEN not built"; exit 77; }

lab_up
backend_start
lab_start

# The generator's raw connections are unknown to the kernel in sfc: keep it from resetting them.
sfc iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP

# gen NAME ARGS...: synfront-gen in sfc on eth0 (one lcore); report in $SF_LAB_DIR/NAME.json,
# its output in NAME.out; sets gen_rc.
gen() {
	local name=$1; shift
	rm -f "$SF_LAB_DIR/$name.json"
	sfc timeout 60 "$GEN" --no-huge -m 256 --no-pci -l 0 --file-prefix sfgen-e2e --log-level=error \
		--vdev net_af_packet9,iface=eth0 -- --port net_af_packet9 --dst 198.18.0.100:80 \
		--idle-us 20 --json "$SF_LAB_DIR/$name.json" "$@" >"$SF_LAB_DIR/$name.out" 2>&1
	gen_rc=$?
	if [ $gen_rc -ne 0 ] || [ ! -s "$SF_LAB_DIR/$name.json" ]; then
		echo "synfront-gen $name exited $gen_rc:"
		tail -n 20 "$SF_LAB_DIR/$name.out"
	fi
}
# rep NAME KEY[.KEY]: a value of a report (0 when absent).
rep() {
	local v
	v=$(json_get "$(cat "$SF_LAB_DIR/$1.json" 2>/dev/null)" "$2")
	echo "${v:-0}"
}

# (1) SYN flood: 3000 SYNs at 20,000/s, random sources, ports, ISNs and option mixes.
flood=3000
gen flood --mode syn --src 198.18.0.128/25 --options random --count $flood --rate 20000 \
	--duration 10 --drain 1000
sent=$(rep flood sent) valid=$(rep flood synack_valid) invalid=$(rep flood synack_invalid)
[ "$gen_rc" -eq 0 ] && [ "$sent" -eq $flood ] && ok "flood: synfront-gen sent $sent SYNs ($(rep flood rate_pps) pps)" ||
	fail "flood: rc $gen_rc, sent $sent of $flood"
[ "$valid" -ge $((flood * 95 / 100)) ] && ok "flood: $valid of $flood SYNs answered by a valid SYN-ACK" ||
	fail "flood: only $valid SYN-ACKs valid of $flood"
[ "$invalid" -eq 0 ] && ok "flood: no invalid SYN-ACK" || fail "flood: $invalid SYN-ACKs acknowledged the wrong ISN"
grep -q "sent $flood " "$SF_LAB_DIR/flood.out" && ok "flood: progress line on stderr" ||
	fail "flood: no progress line in $(head -c 300 "$SF_LAB_DIR/flood.out")"
[ "$(rep flood handshake_latency_us.samples)" -gt 0 ] && [ -n "$(rep flood handshake_latency_us.p99)" ] &&
	ok "flood: SYN->SYN-ACK p50 $(rep flood handshake_latency_us.p50) us, p99 $(rep flood handshake_latency_us.p99) us" ||
	fail "flood: no latency samples"

# (2) Storm: 100 connections, 20 in flight, each a cookie handshake, GET /small, close.
storm=100
gen storm --mode storm --src 198.18.0.10 --count $storm --concurrency 20 \
	--request 'GET /small HTTP/1.0\r\n\r\n' --duration 40 --conn-timeout 10000 --quiet
hs=$(rep storm handshakes) replies=$(rep storm replies) done=$(rep storm completed)
[ "$gen_rc" -eq 0 ] && [ "$hs" -eq $storm ] && ok "storm: $hs of $storm handshakes completed" ||
	fail "storm: rc $gen_rc, $hs of $storm handshakes (failed $(rep storm failed))"
[ "$(rep storm synack_invalid)" -eq 0 ] && [ "$(rep storm synack_valid)" -ge $storm ] &&
	ok "storm: every SYN-ACK acknowledged its ISN" || fail "storm: $(rep storm synack_invalid) invalid SYN-ACKs"
[ "$replies" -ge $((storm * 95 / 100)) ] && ok "storm: $replies connections got the backend's reply" ||
	fail "storm: only $replies of $storm replies"
# GET /small: 1024 bytes of body after the headers, per connection
[ "$(rep storm reply_bytes)" -ge $((replies * 1024)) ] && ok "storm: $(rep storm reply_bytes) reply bytes" ||
	fail "storm: $(rep storm reply_bytes) reply bytes for $replies replies"
[ "$done" -ge $((storm * 95 / 100)) ] && ok "storm: $done connections closed cleanly" ||
	fail "storm: only $done closed cleanly (failed $(rep storm failed))"
echo "storm: handshake p50 $(rep storm handshake_latency_us.p50) us p99 $(rep storm handshake_latency_us.p99) us," \
	"reply p50 $(rep storm reply_latency_us.p50) us, $(rep storm rate_cps) conn/s"

sfc iptables -D OUTPUT -p tcp --tcp-flags RST RST -j DROP

# synfront's side of the story.
lab_stop
cge syn_received $flood
syn=$(counter syn_received) synack=$(counter synack_sent)
[ "$synack" -eq "$syn" ] && ok "every SYN answered: synack_sent $synack = syn_received $syn" ||
	fail "synack_sent $synack != syn_received $syn"
cge cookie_valid $storm
ceq cookie_invalid 0
lab_end

#!/usr/bin/env bash
# Closing spliced connections: client-first, server-first and simultaneous close, RST from
# either side (a blind one ignored), segment by segment with scapy (close_client.py); the
# appliance keeps each closed connection in TIME_WAIT for 2 x MSL (msl_ms 1000 here), then
# forgets it (issue #5).
# Counters relied on: cookie_valid, cookie_invalid, conn_new, conn_closed, rst_out_of_window.
# State gauge (synfront-ctl stats, when built): gauges.states.TIME_WAIT.
. "$(dirname "$0")/lib.sh"
splice_lab_begin
splice_preflight

msl=$(json_get "$(cat "$SF_LAB_CONF")" tcp.msl_ms)
ctl_args=()
if [ -x "$SF_CTL" ]; then
	sock=$(json_get "$(cat "$SF_LAB_CONF")" control.socket)
	ctl_args=(--ctl "$SF_CTL" --ctl-socket "$sock")
else
	echo "note   $SF_CTL not built: the TIME_WAIT gauge is not checked, only its effect"
fi

# The client kernel knows nothing of scapy's connections and would reset them: drop its RSTs
# (TTL 64), not scapy's (TTL 100).
sfc iptables -A OUTPUT -p tcp --tcp-flags RST RST -m ttl ! --ttl-eq 100 -j DROP
out=$(sfc timeout 90 env PYTHONPATH="${PYTHONPATH:-}" "$SF_PY" "$SF_E2E/close_client.py" \
	198.18.0.100 80 "$msl" "${ctl_args[@]}" 2>&1)
rc=$?
echo "$out" | grep -v '^SENT '
[ $rc -eq 0 ] && ok "close scenarios (close_client.py)" || fail "close scenarios (close_client.py rc $rc)"
sent=$(sed -n 's/^SENT //p' <<<"$out")
sfc iptables -D OUTPUT -p tcp --tcp-flags RST RST -m ttl ! --ttl-eq 100 -j DROP

sleep 1
lab_stop
# The preflight's connection and the scenarios' seven (TIME_WAIT reuse opens two).
ceq conn_new 8
cge time_wait_reuse 1
no_stuck_conns
# Duplicates of the client's last ACK: inside TIME_WAIT the entry absorbs them; after
# 2 x MSL there is no entry and each is checked (and refused) as a cookie.
late=$(json_get "${sent:-{\}}" late_duplicates)
[ "${late:-0}" -eq 3 ] && ok "3 late duplicates sent" || fail "late duplicates sent: ${late:-none}, want 3"
ceq cookie_invalid "${late:-3}"
cge rst_out_of_window 1
lab_end

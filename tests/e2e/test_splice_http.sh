#!/usr/bin/env bash
# The splice carries real TCP through the VIP: HTTP downloads and uploads, small and
# >= 50 MB, byte for byte; iperf3 both ways; 1,000 sequential and 100 concurrent short
# connections, every one answered (issue #5).
# Counters relied on: cookie_valid, conn_new, conn_closed, backend_connect_failed,
# backend_rst, rst_sent, conn_table_full. Nothing lost: iperf3 retransmits at most 1 %.
. "$(dirname "$0")/lib.sh"
splice_lab_begin
splice_preflight

# Downloads: small and 64 MiB; uploads: small and 50 MiB, PUT and POST.
http_get "download" small
http_get "download" big
http_put "upload" 1k
http_put "upload" 50m
in="$SF_LAB_DIR/post.in"
"$SF_PY" "$SF_E2E/backend_server.py" --emit 3m >"$in"
want="$(sha256sum <"$in" | cut -d' ' -f1) $(stat -c %s "$in")"
reply=$(sfc curl -s --data-binary "@$in" --connect-timeout 5 -m 30 http://198.18.0.100/post)
[ "$reply" = "$want" ] && ok "upload: POST 3m intact" || fail "upload: POST 3m: backend got '$reply', want '$want'"
rm -f "$in"
# A raw TCP upload with nc: a hand-written PUT, the client half-closes after the body.
reply=$( { printf 'PUT /nc HTTP/1.1\r\nHost: sf\r\nContent-Length: 1048576\r\nConnection: close\r\n\r\n'
	"$SF_PY" "$SF_E2E/backend_server.py" --emit 1m; } | sfc timeout 20 nc -N -w 10 198.18.0.100 80 | tail -n1)
[ "$reply" = "$(expect_sha 1m) 1048576" ] && ok "upload: nc PUT 1m intact" || fail "upload: nc PUT 1m: reply '${reply}'"

# iperf3 through the VIP (service "iperf" 198.18.0.100:5201), client to server and back.
iperf_check "iperf3 client->server"
iperf_check "iperf3 -R" -R

# Short connections: 1,000 one after another (the client closes first), then 100 at once,
# all 100 established together before any closes (the server closes first).
conn_load "1000 sequential" --count 1000 --close client --timeout 5 --deadline 90
conn_load "100 concurrent" --count 100 --concurrency 100 --hold --close server --timeout 10

# Let TIME_WAIT (2 x msl_ms = 2 s) run out before reading the counters.
sleep 3
lab_stop
# 1100 short connections, 7 transfers (preflight included), 4 iperf3 connections (control and data, twice).
cge cookie_valid 1111
cge conn_new 1111
no_stuck_conns
ceq backend_connect_failed 0
ceq backend_rst 0
ceq rst_sent 0
ceq conn_table_full 0
lab_end

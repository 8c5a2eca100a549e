#!/usr/bin/env bash
# synfront -- -c FILE --check: exit 0 for the shipped configs, exit 1 and every
# problem with FILE:LINE:COL and key path for a broken one.
set -uo pipefail
bin=$1 top=$2
passed=0 failed=0
ok() { echo "ok     $*"; passed=$((passed + 1)); }
fail() { echo "FAILED $*"; failed=$((failed + 1)); }

for f in conf/lab.json conf/example.json; do
	if out=$("$bin" -- -c "$top/$f" --check 2>&1); then ok "$f valid: $out"; else fail "$f refused: $out"; fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/bad.json" <<'JSON'
{
  "ports": [
    { "name": "client", "device": "net_af_packet0", "ipv4": "198.18.0.2/33" }
  ],
  "services": [
    { "name": "web", "listen": "198.18.0.100:80", "port": "nope", "backend_port": "client",
      "source_addresses": ["198.18.1.100"],
      "backends": [ { "address": "198.18.1.1:8080", "weight": 5000 } ] }
  ],
  "tcp": { "msl_ms": "long", "syn_retriez": 3 }
}
JSON
out=$("$bin" -- -c "$tmp/bad.json" --check 2>&1)
rc=$?
echo "$out"
[ $rc -eq 1 ] && ok "broken config: exit 1" || fail "broken config: exit $rc"
for want in \
	"bad.json:3:61: ports\[0\].ipv4:" \
	"bad.json:6:59: services\[0\].port:" \
	"bad.json:8:63: services\[0\].backends\[0\].weight:" \
	"bad.json:10:22: tcp.msl_ms:" \
	"bad.json:10:30: tcp.syn_retriez:"; do
	if grep -q "$want" <<<"$out"; then ok "reports $want"; else fail "missing $want"; fi
done
printf '{ "ports": [ }\n' >"$tmp/syntax.json"
out=$("$bin" -- -c "$tmp/syntax.json" --check 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q "syntax.json:1:" <<<"$out" && ok "syntax error with line:column: $(head -1 <<<"$out")" || fail "syntax error: rc $rc, $out"
out=$("$bin" -- -c "$tmp/missing.json" --check 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -qi "no such file" <<<"$out" && ok "missing file refused: $(head -1 <<<"$out")" || fail "missing file: rc $rc, $out"
out=$("$bin" -- --check 2>&1)
[ $? -eq 1 ] && ok "no -c refused" || fail "no -c accepted"
out=$("$bin" -- --counters 2>&1)
grep -q '`drop_tcp_checksum`' <<<"$out" && ok "--counters lists parser drop reasons" || fail "--counters: $out"

echo "cli-check: $passed checks passed, $failed failed"
[ $failed -eq 0 ]

#!/bin/bash
# curl under tcpx to a closed port fails at once with "Connection
# refused"; `curl --connect-timeout 2` to an address that never answers
# gives up after about 2 s (not at once, not after the SYN retries).
. tests/integration/lib/apps.sh

t0=$(date +%s%N)
$H timeout 10 "$TCPX" run curl -v http://10.77.0.1:1/ > "$T/out" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc = 7 ] || { cat "$T/out" >&2; fail "closed port: curl exit $rc, want 7"; }
grep -q "Connection refused" "$T/out" || { cat "$T/out" >&2; fail "no 'Connection refused'"; }
[ $ms -lt 1500 ] || fail "closed port: took $ms ms"
say "ok: Connection refused in $ms ms (including tcpxd start)"

# 192.0.2.1 (TEST-NET-1) goes via the gateway, whose kernel drops it.
t0=$(date +%s%N)
$H timeout 10 "$TCPX" run curl -sS --connect-timeout 2 http://192.0.2.1/ > "$T/out" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc = 28 ] || { cat "$T/out" >&2; fail "unanswered: curl exit $rc, want 28"; }
[ $ms -ge 1900 ] && [ $ms -lt 3000 ] || fail "unanswered: gave up after $ms ms, want ~2000"
say "ok: --connect-timeout 2 gave up after $ms ms"
finish_clean

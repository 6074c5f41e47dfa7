#!/bin/bash
# tcpx nstat, checked against what happened: after a reset of the
# history, three connections move TcpActiveOpens by exactly 3 in the
# delta; a refused connect moves TcpAttemptFails by 1; a SYN from the
# peer to a closed port makes tcpx send one RST (TcpOutRsts +1); the next
# delta is empty; -a keeps absolute values; --json parses.
. tests/integration/lib/tools.sh
start_tcpxd
peer_serve 7201 http

# Absolute: the history does not exist yet, so the first call is absolute.
$H "$TCPX" nstat -r > /dev/null || fail "tcpx nstat -r failed"
[ -f "$TCPX_NSTAT_HISTORY" ] || fail "no history file written at $TCPX_NSTAT_HISTORY"

for i in 1 2 3; do
	$H timeout 10 "$TCPX" run curl -sS -o /dev/null http://10.77.0.1:7201/ ||
		fail "curl $i failed"
done
$H timeout 10 "$TCPX" run "$SCEN" connect 10.77.0.1 9 | grep -q refused ||
	fail "connect to a closed peer port was not refused"
$P timeout 10 "$SCEN" connect 10.77.0.2 9 | grep -q refused ||
	fail "connect from the peer to a closed tcpx port was not refused"

out=$($H "$TCPX" nstat) || fail "tcpx nstat failed"
val() { echo "$out" | awk -v n="$1" '$1 == n {print $2}'; }
echo "$out" | head -1 | grep -qx '#kernel' || { echo "$out" >&2; fail "no #kernel header"; }
[ "$(val TcpActiveOpens)" = 4 ] ||
	{ echo "$out" >&2; fail "TcpActiveOpens moved by '$(val TcpActiveOpens)', want 4 (3 curl + 1 refused)"; }
[ "$(val TcpAttemptFails)" = 1 ] ||
	{ echo "$out" >&2; fail "TcpAttemptFails moved by '$(val TcpAttemptFails)', want 1"; }
[ "$(val TcpOutRsts)" = 1 ] ||
	{ echo "$out" >&2; fail "TcpOutRsts moved by '$(val TcpOutRsts)', want 1 (RST to the peer's SYN)"; }
say "ok: delta: TcpActiveOpens 4, TcpAttemptFails 1, TcpOutRsts 1"

out=$($H "$TCPX" nstat TcpActiveOpens)
[ -z "$(val TcpActiveOpens)" ] || { echo "$out" >&2; fail "second delta not empty"; }
out=$($H "$TCPX" nstat -z TcpActiveOpens)
[ "$(val TcpActiveOpens)" = 0 ] || { echo "$out" >&2; fail "-z: want TcpActiveOpens 0"; }
out=$($H "$TCPX" nstat -a TcpActiveOpens)
[ "$(val TcpActiveOpens)" = 4 ] || { echo "$out" >&2; fail "-a: want TcpActiveOpens 4 absolute"; }
say "ok: empty second delta, -z, -a"

$H timeout 10 "$TCPX" run curl -sS -o /dev/null http://10.77.0.1:7201/ || fail "curl 4 failed"
$H "$TCPX" nstat --json > "$T/n.json" || fail "nstat --json failed"
$PY - "$T/n.json" <<'PYEOF' || fail "nstat --json: want TcpActiveOpens 1 in the delta"
import json, sys
d = json.load(open(sys.argv[1]))["kernel"]
assert d.get("TcpActiveOpens") == 1 and d.get("TcpExtTW", 0) >= 0, d
PYEOF
$H "$TCPX" nstat -a | grep -q '^TcpExtSyncookies' && fail "zero counters shown without -z"
$H "$TCPX" nstat -az | grep -Eq '^TcpExtSyncookiesSent +0 ' || fail "-az lacks TcpExtSyncookiesSent"
$H "$TCPX" nstat --help | grep -q history || fail "nstat --help"
say "ok: --json delta, nstat names (TcpExtSyncookiesSent)"
finish_clean

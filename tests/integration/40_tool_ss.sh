#!/bin/bash
# tcpx ss, parsed and checked against what the test set up: an
# established connection (bundled flags -tan, state established without
# the State column, --json, -i internals, -o keepalive timer), a listener
# with its backlog and SYN queue (-tln), TIME-WAIT after an active close
# (state time-wait, -o timewait timer; hidden without -a, and by
# exclude), and errors for what ss would refuse.
. tests/integration/lib/tools.sh
start_tcpxd
peer_serve 7101 reply

# An idle connection with keepalive (idle 30 s), held 8 s.  It never
# reads the server's answer ("pong\n"): Recv-Q 5, as the kernel's ss
# shows the bytes its program has not read.
bg $H timeout 20 "$TCPX" run "$SCEN" keepalive 10.77.0.1 7101 30 5 3 8 \
	> "$T/ka.out" 2>&1
bg $H timeout 20 "$TCPX" run "$SCEN" listen 7102 3 8 > "$T/listen.out" 2>&1
for i in $(seq 50); do
	$H "$TCPX" ss -tnH state established | grep -Eq '^5 .*:7101' &&
		grep -q listening "$T/listen.out" && break
	sleep 0.1
done

out=$($H "$TCPX" ss -tan) || fail "tcpx ss -tan failed"
echo "$out" | head -1 | grep -Eq '^State +Recv-Q +Send-Q +Local Address:Port +Peer Address:Port' ||
	{ echo "$out" >&2; fail "ss -tan: not ss's header"; }
est=$(echo "$out" | grep -E '^ESTAB +5 +0 +10\.77\.0\.2:[0-9]+ +10\.77\.0\.1:7101 *$') ||
	{ echo "$out" >&2; fail "ss -tan: no ESTAB 10.77.0.2:* -> 10.77.0.1:7101"; }
lport=$(echo "$est" | awk '{print $4}' | cut -d: -f2)
echo "$out" | grep -Eq '^LISTEN +0 +3 +0\.0\.0\.0:7102 +0\.0\.0\.0:\* +synq:0/[0-9]+' ||
	{ echo "$out" >&2; fail "ss -tan: no LISTEN 0.0.0.0:7102 with backlog 3 and synq"; }
say "ok: ss -tan: ESTAB 10.77.0.2:$lport -> 10.77.0.1:7101, LISTEN :7102 backlog 3"

out=$($H "$TCPX" ss -tln)
[ "$(echo "$out" | grep -c '^LISTEN')" = 1 ] && ! echo "$out" | grep -q ESTAB ||
	{ echo "$out" >&2; fail "ss -tln: want the one listener only"; }
out=$($H "$TCPX" ss -tn state established)
echo "$out" | head -1 | grep -Eq '^Recv-Q' ||
	{ echo "$out" >&2; fail "ss state established: the State column should go, as ss does"; }
echo "$out" | grep -Eq "^5 +0 +10\.77\.0\.2:$lport +10\.77\.0\.1:7101" ||
	{ echo "$out" >&2; fail "ss state established: connection missing"; }
say "ok: ss -tln and 'state established'"

out=$($H "$TCPX" ss -tnoH state established)
echo "$out" | grep -Eq "timer:\(keepalive,(2[0-9]|30)sec,0\)" ||
	{ echo "$out" >&2; fail "ss -o: want timer:(keepalive,~29sec,0)"; }
out=$($H "$TCPX" ss -tniH state established)
echo "$out" | grep -Eq "^[[:space:]]+ ts sack cubic wscale:[0-9]+,10 rto:[0-9.]+ rtt:[0-9.]+/[0-9.]+ .* mss:1448 .*rcvmss:536 advmss:1448 cwnd:10 .*bytes_acked:6 bytes_received:5" ||
	{ echo "$out" >&2; fail "ss -i: internals not as expected (ts sack cubic wscale rto rtt mss rcvmss advmss cwnd bytes; Linux: mss:1448 rcvmss:536 advmss:1448 with timestamps)"; }
# ss's rates, whole with -n: send = cwnd * mss per srtt; the pacing rate
# 200% of that in slow start; minrtt at most the srtt.  Autotuning's
# first measure is ten segments (Linux: rcv_space:14480), and the
# window's growth limit (rcv_ssthresh) follows, as ss shows them.
echo "$out" | grep -Eq " send [0-9]+bps .*pacing_rate [0-9]+bps .*rcv_space:14480 rcv_ssthresh:[0-9]+ minrtt:[0-9.]+ snd_wnd:" ||
	{ echo "$out" >&2; fail "ss -i: want send, pacing_rate, rcv_space, rcv_ssthresh and minrtt"; }
awk '{ for (i = 1; i <= NF; i++) { if ($i ~ /^rtt:/) { split(substr($i, 5), r, "/"); rtt = r[1] }
	if ($i ~ /^minrtt:/) m = substr($i, 8); if ($i == "send") s = $(i + 1); if ($i == "pacing_rate") p = $(i + 1) } }
	END { sub(/bps/, "", s); sub(/bps/, "", p); exit !(m > 0 && m <= rtt && p + 0 > s + 0) }' <<< "$out" ||
	{ echo "$out" >&2; fail "ss -i: minrtt above the srtt, or pacing_rate not above send"; }
say "ok: ss -o keepalive timer, ss -i internals"

$H "$TCPX" ss -ta --json > "$T/ss.json" || fail "ss --json failed"
$PY - "$T/ss.json" "$lport" <<'PYEOF' || fail "ss --json does not describe the connection"
import json, sys
socks = json.load(open(sys.argv[1]))
c = [s for s in socks if s["local"] == "10.77.0.2:" + sys.argv[2]]
assert len(c) == 1 and c[0]["state"] == "ESTAB" and c[0]["peer"] == "10.77.0.1:7101", socks
assert c[0]["timer"]["name"] == "keepalive" and c[0]["info"]["ts"] is True, c
l = [s for s in socks if s["state"] == "LISTEN"]
assert l and l[0]["send_q"] == 3 and "syn_max" in l[0], l
PYEOF
say "ok: ss --json"

# TIME-WAIT on the active closer.
$H timeout 10 "$TCPX" run "$SCEN" active 10.77.0.1 7101 > "$T/active.out" 2>&1 ||
	fail "scen active failed: $(cat "$T/active.out")"
out=$($H "$TCPX" ss -tanoH state time-wait)
tw=$(echo "$out" | grep -E '^0 +0 +10\.77\.0\.2:[0-9]+ +10\.77\.0\.1:7101 +timer:\(timewait,(59|60|58)sec,0\)') ||
	{ echo "$out" >&2; fail "ss state time-wait: want the active closer with timer:(timewait,59sec,0)"; }
[ "$(echo "$out" | wc -l)" = 1 ] || { echo "$out" >&2; fail "state time-wait shows other states"; }
$H "$TCPX" ss -tnH | grep -q TIME-WAIT && fail "ss without -a shows TIME-WAIT (ss hides it)"
$H "$TCPX" ss -tanH exclude time-wait | grep -q TIME-WAIT && fail "exclude time-wait shows TIME-WAIT"
$H "$TCPX" ss -tanH | grep -q '^TIME-WAIT' || fail "ss -a does not show TIME-WAIT"
say "ok: state time-wait: $(echo $tw)"

$H "$TCPX" ss state bogus > /dev/null 2>&1
[ $? = 2 ] || fail "ss state bogus should fail with 2"
$H "$TCPX" ss -tan dport = :7101 | grep -q ":7102" && fail "dport filter let :7102 through"
$H "$TCPX" ss -tan dport = :7101 | grep -q "10.77.0.1:7101" || fail "dport filter lost :7101"
# ss(8)'s expressions, quoted as one argument as people type them; the
# connection is in TIME-WAIT by now, the listener gone.
$H "$TCPX" ss -tanH '( dport = :7101 or sport = :7102 )' | grep -q "10.77.0.1:7101" ||
	fail "'( dport = :7101 or sport = :7102 )' lost the connection to :7101"
$H "$TCPX" ss -tanH '( dport = :7102 or sport = :7101 )' | grep -q "10.77.0.1:7101" &&
	fail "'( dport = :7102 or sport = :7101 )' let the connection to :7101 through"
$H "$TCPX" ss -tanH 'not dport = :7101' | grep -q "10.77.0.1:7101" &&
	fail "'not dport = :7101' let :7101 through"
$H "$TCPX" ss -tanH 'sport >= :1024 and dst 10.77.0.0/24' | grep -q "10.77.0.1:7101" ||
	fail "'sport >= :1024 and dst 10.77.0.0/24' lost the connection to :7101"
err=$($H "$TCPX" ss -tan 'dport = :7101 or' 2>&1 >/dev/null)
[ $? = 2 ] && echo "$err" | grep -q "filter: expression ends too early" ||
	fail "a truncated filter should fail with 2 and say why (got: $err)"
$H "$TCPX" ss --help | grep -q "state" || fail "ss --help"
say "ok: ss filters and errors"
finish_clean

#!/bin/bash
# The tcpx tool against a running stack: status, ss (a connection and a
# listener as ss(8) would show them), sysctl (net.ipv4.tcp_syn_retries=2
# makes a connect to a silent address fail with ETIMEDOUT after 1+2+4 s,
# as Linux), nstat (TcpActiveOpens counts), trace (the handshake).
. tests/integration/lib/apps.sh

echo hi > "$T/small"
bg $P timeout 60 $PY -m http.server 8000 --bind 10.77.0.1 --directory "$T"
wait_port peer 10.77.0.1 8000
$H timeout 10 "$TCPX" run curl -sS -o /dev/null http://10.77.0.1:8000/small ||
	fail "curl failed"

out=$($H "$TCPX" status) || fail "tcpx status failed"
echo "$out" | grep -q "serving 10.77.0.2/24 on tcpx-h0" ||
	{ echo "$out" >&2; fail "tcpx status does not say what it serves"; }
say "ok: tcpx status"

cat > "$T/hold.py" <<'PYEOF'
import socket, time
l = socket.socket(); l.bind(("0.0.0.0", 9800)); l.listen(4)
c = socket.create_connection(("10.77.0.1", 8000))
print("ready", flush=True)
time.sleep(30)
PYEOF
$H timeout 40 "$TCPX" run $PY "$T/hold.py" > "$T/hold.out" &
BG_PIDS+=($!)
for i in $(seq 50); do grep -q ready "$T/hold.out" && break; sleep 0.1; done
ss_out=$($H "$TCPX" ss -a -H)
echo "$ss_out" | grep -Eq "^ESTAB +0 +0 +10\.77\.0\.2:[0-9]+ +10\.77\.0\.1:8000" ||
	{ echo "$ss_out" >&2; fail "tcpx ss: no ESTAB line for the connection"; }
echo "$ss_out" | grep -Eq "^LISTEN +0 +4 +0\.0\.0\.0:9800 +0\.0\.0\.0:\*" ||
	{ echo "$ss_out" >&2; fail "tcpx ss: no LISTEN line (backlog 4) for port 9800"; }
say "ok: tcpx ss shows the connection and the listener"

before=$($H "$TCPX" nstat -az TcpActiveOpens | awk '/TcpActiveOpens/ {print $2}')
$H "$TCPX" trace -s -T 3 > "$T/trace" &
tr=$!
sleep 0.5
$H timeout 10 "$TCPX" run curl -sS -o /dev/null http://10.77.0.1:8000/small
wait $tr
after=$($H "$TCPX" nstat -az TcpActiveOpens | awk '/TcpActiveOpens/ {print $2}')
[ "$after" = $((before + 1)) ] || fail "nstat TcpActiveOpens went $before -> $after"
say "ok: tcpx nstat counted the active open"
grep -q "> IP 10.77.0.2.[0-9]* > 10.77.0.1.8000: Flags \[S\]" "$T/trace" &&
grep -q "< IP 10.77.0.1.8000 > 10.77.0.2.[0-9]*: Flags \[S.\]" "$T/trace" &&
grep -q "Flags \[P.\], seq 1:" "$T/trace" ||
	{ cat "$T/trace" >&2; fail "tcpx trace did not show the handshake and data"; }
say "ok: tcpx trace showed the SYN, SYN-ACK and data"

[ "$($H "$TCPX" sysctl -n net.ipv4.tcp_syn_retries)" = 6 ] ||
	fail "tcp_syn_retries does not start at Linux's 6"
$H "$TCPX" sysctl -w net.ipv4.tcp_syn_retries=2 > /dev/null || fail "sysctl -w failed"
t0=$(date +%s%N)
got=$($H timeout 20 "$TCPX" run $PY -c '
import socket
try:
    socket.create_connection(("192.0.2.1", 80))
except OSError as e:
    print(e.errno)')
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
$H "$TCPX" sysctl -w net.ipv4.tcp_syn_retries=6 > /dev/null
[ "$got" = 110 ] || fail "connect with tcp_syn_retries=2 gave errno '$got', want ETIMEDOUT (110)"
[ $ms -ge 6500 ] && [ $ms -lt 9000 ] || fail "ETIMEDOUT after $ms ms, want about 7000"
say "ok: tcp_syn_retries=2: ETIMEDOUT after $ms ms (Linux: 1+2+4 s)"
finish_clean

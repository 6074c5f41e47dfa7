#!/bin/bash
# netcat-openbsd both ways, 100 MB of binary each direction, sha256
# equal; then `nc -N` half-close: the client sends everything, shuts its
# write half, still receives the server's whole answer, and both exit.
. tests/integration/lib/apps.sh

head -c 100M /dev/urandom > "$T/big"
want=$(sha "$T/big")

# 1. tcpx nc -> kernel nc -l
$P timeout 60 nc -l 10.77.0.1 9000 > "$T/out1" < /dev/null &
srv=$!
BG_PIDS+=($srv)
wait_port_listen 9000
$H timeout 60 "$TCPX" run nc -N 10.77.0.1 9000 < "$T/big" > /dev/null ||
	fail "tcpx nc (client) exited $?"
wait_exit 20 $srv || fail "kernel nc -l did not exit after the client's FIN"
[ "$(sha "$T/out1")" = "$want" ] || fail "tcpx->kernel: 100 MB differ ($(stat -c %s "$T/out1") bytes)"
say "ok: tcpx nc -> kernel nc -l, 100 MB"

# 2. kernel nc -> tcpx nc -l
$H timeout 60 "$TCPX" run nc -l 9001 > "$T/out2" < /dev/null &
srv=$!
BG_PIDS+=($srv)
wait_tcpx_listener
$P timeout 60 nc -N 10.77.0.2 9001 < "$T/big" > /dev/null ||
	fail "kernel nc (client) exited $?"
wait_exit 20 $srv || fail "tcpx nc -l did not exit after the client's FIN"
[ "$(sha "$T/out2")" = "$want" ] || fail "kernel->tcpx: 100 MB differ ($(stat -c %s "$T/out2") bytes)"
say "ok: kernel nc -> tcpx nc -l, 100 MB"

# 3. half-close: the server answers only after the client's EOF.
cat > "$T/answer.py" <<'PYEOF'
import hashlib, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
c, _ = s.accept()
h = hashlib.sha256()
while True:
    b = c.recv(65536)
    if not b:
        break
    h.update(b)
c.sendall((h.hexdigest() + "\n").encode() + b"x" * 1000000)
c.close()
PYEOF
$P timeout 60 $PY "$T/answer.py" 10.77.0.1 9002 &
srv=$!
BG_PIDS+=($srv)
wait_port_listen 9002
head -c 5M /dev/urandom > "$T/req"
$H timeout 30 "$TCPX" run nc -N 10.77.0.1 9002 < "$T/req" > "$T/resp" ||
	fail "nc -N (half-close) exited $?"
wait_exit 10 $srv || fail "server did not finish"
[ "$(head -1 "$T/resp")" = "$(sha "$T/req")" ] ||
	fail "half-close: server did not receive all 5 MB"
[ "$(stat -c %s "$T/resp")" = $((65 + 1000000)) ] ||
	fail "half-close: reply truncated ($(stat -c %s "$T/resp") bytes)"
say "ok: nc -N half-close delivered everything both ways and both ended"

# 4. SIGKILL mid-transfer: the connection outlives the program in tcpxd,
# which sends the FIN after what was written (the kernel nc -l then
# exits) ...
$P timeout 30 nc -l 10.77.0.1 9004 > "$T/out4" < /dev/null &
srv=$!
BG_PIDS+=($srv)
wait_port_listen 9004
( head -c 10M /dev/urandom; sleep 30 ) |
	$H timeout 40 "$TCPX" run nc 10.77.0.1 9004 > /dev/null &
cli=$!
sleep 1
pkill -9 -P $cli -x nc	# $cli is timeout; tcpx run exec'd into nc
wait_exit 10 $srv || fail "SIGKILL: the kernel nc -l saw no FIN from tcpxd"
[ "$(stat -c %s "$T/out4")" -ge 10000000 ] ||
	fail "SIGKILL: only $(stat -c %s "$T/out4") of the 10 MB written arrived"
say "ok: tcpx nc killed with SIGKILL: FIN after the data it had written"

# ... or, when the program leaves received data unread, a RST (RFC 2525).
cat > "$T/noread.py" <<'PYEOF'
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 9005)); l.listen(1)
c, _ = l.accept()
print("accepted", flush=True)
time.sleep(60)
PYEOF
cat > "$T/sender.py" <<'PYEOF'
import socket, time
s = socket.create_connection(("10.77.0.2", 9005))
s.sendall(b"x" * 100000)
time.sleep(2)
try:
    s.settimeout(5)
    print("recv", s.recv(10))
except ConnectionResetError:
    print("reset")
PYEOF
$H timeout 30 "$TCPX" run $PY "$T/noread.py" > "$T/noread.out" &
BG_PIDS+=($!)
wait_tcpx_listener
$P timeout 20 $PY "$T/sender.py" > "$T/sender.out" &
snd=$!
for i in $(seq 50); do grep -q accepted "$T/noread.out" && break; sleep 0.1; done
sleep 0.5
$H pkill -9 -f "$T/noread.py"
wait $snd
[ "$(cat "$T/sender.out")" = reset ] ||
	fail "SIGKILL with unread data: the peer got '$(cat "$T/sender.out")', want a reset"
say "ok: killed with unread data: the peer got a RST"
finish_clean

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
wait_port_listen() { # LISTEN socket on port $1 in peer, without connecting
	local i
	for i in $(seq 100); do
		$P ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	fail "peer: nothing listens on port $1"
}
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
finish_clean

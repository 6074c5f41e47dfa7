#!/bin/bash
# What tcpx does not serve stays with the kernel, untouched, under
# `tcpx run`: a loopback HTTP server and client (both preloaded), UDP and
# AF_UNIX; none of them may reach tcpxd (TCPX_DEBUG shows every request).
# And when tcpxd cannot start, the program gets one clear line on stderr
# and a failed call, not a hang.
NEED_TCPXD=0
. tests/integration/lib/apps.sh

cat > "$T/mixed.py" <<'PYEOF'
import socket
# UDP on loopback (what DNS does)
u1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u1.bind(("127.0.0.1", 0))
u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u2.sendto(b"ping", u1.getsockname())
assert u1.recvfrom(10)[0] == b"ping"
# AF_UNIX stream pair
a, b = socket.socketpair()
a.sendall(b"unix"); assert b.recv(10) == b"unix"
# TCP on loopback: listener and client both kernel sockets
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
c = socket.create_connection(l.getsockname())
s, _ = l.accept(); c.sendall(b"tcp"); assert s.recv(10) == b"tcp"
print("mixed ok")
PYEOF
echo hello > "$T/index.html"
bg $H timeout 30 "$TCPX" run -d $PY -m http.server 8123 --bind 127.0.0.1 \
	--directory "$T" 2> "$T/srv.err"
for i in $(seq 50); do
	$H timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/8123" 2>/dev/null && break
	sleep 0.1
done
got=$($H timeout 10 "$TCPX" run -d curl -sS http://127.0.0.1:8123/index.html 2> "$T/cli.err")
[ "$got" = hello ] || { cat "$T/cli.err" >&2; fail "loopback curl under tcpx got '$got'"; }
out=$($H timeout 10 "$TCPX" run -d $PY "$T/mixed.py" 2> "$T/mixed.err")
[ "$out" = "mixed ok" ] || { cat "$T/mixed.err" >&2; fail "UDP/AF_UNIX/loopback under tcpx: '$out'"; }
if grep -E "SOCKET|BIND|LISTEN|CONNECT|connected to tcpxd" "$T/srv.err" "$T/cli.err" "$T/mixed.err" >&2; then
	fail "a kernel-only socket went to tcpxd"
fi
say "ok: loopback TCP, UDP and AF_UNIX stayed with the kernel"

# A client that binds the wildcard first (the bind goes to tcpx, in case
# it listens) and then connects to loopback is handed back to the kernel.
got=$($H timeout 10 "$TCPX" run $PY -c '
import socket
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
s = socket.socket(); s.bind(("0.0.0.0", 0)); s.connect(l.getsockname())
c, _ = l.accept(); c.sendall(b"back"); print(s.recv(10).decode(), s.getsockname()[0])')
[ "$got" = "back 127.0.0.1" ] || fail "wildcard-bound client to loopback: '$got'"
say "ok: a wildcard-bound client connecting to loopback went back to the kernel"

# --listen-kernel (TCPX_LISTEN=kernel): a wildcard listener stays the
# kernel's, reachable on loopback, while the program's clients still use
# tcpx.
bg $H timeout 30 "$TCPX" run -k -d $PY -m http.server 8124 --bind 0.0.0.0 \
	--directory "$T" 2> "$T/srvk.err"
for i in $(seq 50); do
	$H timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/8124" 2>/dev/null && break
	sleep 0.1
done
got=$($H timeout 10 curl -sS http://127.0.0.1:8124/index.html)
[ "$got" = hello ] || fail "--listen-kernel: loopback curl got '$got'"
grep -E "BIND|LISTEN" "$T/srvk.err" >&2 && fail "--listen-kernel: the listener went to tcpxd"
say "ok: --listen-kernel left the wildcard listener to the kernel"

# tcpxd cannot start (here: a tcpxd that exits at once, for an interface
# nobody serves).  Expect one line, and curl failing fast.
t0=$(date +%s%N)
$P env TCPX_IFACE=tcpx-p0 TCPX_ADDR=10.77.0.1/24 TCPX_TCPXD=/bin/false \
	timeout 10 "$TCPX" run curl -sS http://10.77.0.1:9/ > "$T/out" 2> "$T/err"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
n=$(grep -c "^tcpx: cannot start tcpxd: " "$T/err")
[ "$n" = 1 ] || { cat "$T/err" >&2; fail "want one 'tcpx: cannot start tcpxd' line, got $n"; }
[ $rc = 7 ] || { cat "$T/err" >&2; fail "curl exit $rc, want 7"; }
[ $ms -lt 3000 ] || fail "took $ms ms to give up"
say "ok: $(grep '^tcpx:' "$T/err")"

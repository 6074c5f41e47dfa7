#!/bin/bash
# Socket-call sequences whose every result must be Linux's: each
# scenario of build/helpers/sockapi runs on the kernel (in tcpx-peer,
# against the same servers) and under tcpx (in tcpx-host); the two
# transcripts must be identical.  Where the kernel cannot be run the
# same way (a SYN nobody answers; a forged delivery), the transcript is
# the one Linux gives, written out below.
. tests/integration/lib/apps.sh
S=$TOP/$BUILD/helpers/sockapi
[ -x "$S" ] || fail "$S not built"

cat > "$T/srv.py" <<'PYEOF'
import socket, struct, threading, time, sys
def hold(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.77.0.1", port)); s.listen(16)
    conns = []
    while True:
        c, _ = s.accept(); conns.append(c)
def reset(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.77.0.1", port)); s.listen(16)
    while True:
        c, _ = s.accept()
        def later(c=c):
            time.sleep(0.3)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
        threading.Thread(target=later, daemon=True).start()
def echo(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.77.0.1", port)); s.listen(64)
    def serve(c):
        while True:
            b = c.recv(65536)
            if not b: break
            c.sendall(b)
        c.close()
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
threading.Thread(target=echo, args=(9103,), daemon=True).start()
threading.Thread(target=hold, args=(9100,), daemon=True).start()
threading.Thread(target=reset, args=(9101,), daemon=True).start()
time.sleep(float(sys.argv[1]))
PYEOF
bg $P timeout 100 $PY "$T/srv.py" 90
wait_port peer 10.77.0.1 9100
wait_port peer 10.77.0.1 9101
wait_port peer 10.77.0.1 9103

rc=0
compare() { # name, then the scenario's arguments for peer / host
	local name=$1
	diff -u "$T/$name.kernel" "$T/$name.tcpx" > "$T/$name.diff" && {
		say "ok: $name matches Linux"; return 0; }
	say "FAIL: $name differs from Linux:"; cat "$T/$name.diff" >&2; rc=1
}
both() { # name, peer args, host args
	local name=$1 pa=$2 ha=$3
	$P timeout 20 "$S" $name $pa > "$T/$name.kernel" 2>&1
	$H timeout 20 "$TCPX" run "$S" $name $ha > "$T/$name.tcpx" 2>&1
	compare $name
}

both connect-nb "10.77.0.1 9100 10.77.0.1" "10.77.0.1 9100 10.77.0.2"
both refused "10.77.0.1 9102" "10.77.0.1 9102"
both reset-write "10.77.0.1 9101" "10.77.0.1 9101"
both reset-read "10.77.0.1 9101" "10.77.0.1 9101"
both options "10.77.0.1 9100" "10.77.0.1 9100"
both threads "10.77.0.1 9103" "10.77.0.1 9103"
both fork "10.77.0.1 9103" "10.77.0.1 9103"
both bindrules 9400 9400
both linger "10.77.0.1 9100" "10.77.0.1 9100"
both fastopen "10.77.0.1 9103" "10.77.0.1 9103"
both tfo-connect "10.77.0.1 9103" "10.77.0.1 9103"
both shut "10.77.0.1 9103" "10.77.0.1 9103"

# exec: a tcpx connection made by bash survives into the program it
# runs (fd 3 inherited across fork+exec of head).
got=$($H timeout 10 "$TCPX" run bash -c \
	'exec 3<>/dev/tcp/10.77.0.1/9103; printf hi >&3; head -c 2 <&3')
if [ "$got" = hi ]; then say "ok: a tcpx fd works across exec"
else say "FAIL: across exec got '$got'"; rc=1; fi

# exec: a tcpx listener passed to an exec'd child (as inetd, systemd or
# a master process do) is known again there: the child sees AF_INET and
# accepts a clean connection, without tcpxd's delivery header.
cat > "$T/inherit.py" <<'PYEOF'
import socket, subprocess, sys
if len(sys.argv) > 1:
    s = socket.socket(fileno=int(sys.argv[1]))
    print("child sees", s.family.name, s.getsockname()[1], flush=True)
    c, a = s.accept()
    c.sendall(b"from child\n"); c.close()
    sys.exit(0)
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 9600)); l.listen(4)
print("ready", flush=True)
subprocess.run([sys.executable, sys.argv[0], str(l.fileno())], pass_fds=[l.fileno()])
PYEOF
$H timeout 10 "$TCPX" run $PY "$T/inherit.py" > "$T/inherit.out" 2>&1 &
pid=$!
for i in $(seq 50); do grep -q "child sees" "$T/inherit.out" && break; sleep 0.1; done
got=$($P timeout 5 nc 10.77.0.2 9600 < /dev/null)
wait $pid
if [ "$got" = "from child" ] && grep -q "child sees AF_INET 9600" "$T/inherit.out"; then
	say "ok: a tcpx listener works in an exec'd child"
else
	cat "$T/inherit.out" >&2; say "FAIL: inherited listener: got '$got'"; rc=1
fi

# accept: the listener is the helper, the client a kernel bash in peer.
acc() { # ns-prefix, peer-ip, target-ip, out
	$1 timeout 20 "${@:5}" "$S" accept 9200 "$2" > "$4" 2>&1 &
	local pid=$! i
	for i in $(seq 100); do grep -q ready "$4" && break; sleep 0.1; done
	$P timeout 5 bash -c "exec 3<>/dev/tcp/$3/9200; sleep 0.3" 2>/dev/null
	$P timeout 5 bash -c "exec 3<>/dev/tcp/$3/9200; sleep 0.3" 2>/dev/null
	wait $pid
}
acc "$P" 10.77.0.1 10.77.0.1 "$T/accept.kernel"
acc "$H" 10.77.0.1 10.77.0.2 "$T/accept.tcpx" "$TCPX" run
compare accept

# Keepalive (1 s idle, 1 s interval, 2 probes) declares a peer that went
# silent dead after about 3 s: read fails with ETIMEDOUT.  The peer is
# silenced by a blackhole route to 10.77.0.2 in tcpx-peer.  Linux's
# answer comes from a kernel client in tcpx-peer (whose probes the route
# swallows) talking to a tcpx server that holds the connection.
keepalive() { # ns-prefix, target, out, [tcpx run]
	$1 timeout 20 "${@:4}" "$S" keepalive "$2" 9100 > "$3" 2>&1 &
	local pid=$! i
	for i in $(seq 50); do grep -q ready "$3" && break; sleep 0.1; done
	ip -n $LAB-peer route add blackhole 10.77.0.2/32
	wait $pid
	ip -n $LAB-peer route del blackhole 10.77.0.2/32
}
cat > "$T/hold.py" <<'PYEOF'
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 9100)); l.listen(4)
c, _ = l.accept(); time.sleep(20)
PYEOF
$H timeout 25 "$TCPX" run $PY "$T/hold.py" &
hold=$!
wait_tcpx_listener
keepalive "$P" 10.77.0.2 "$T/keepalive.kernel"
kill $hold 2>/dev/null
keepalive "$H" 10.77.0.1 "$T/keepalive.tcpx" "$TCPX" run
compare keepalive

# tcpxd dies under a program (SIGKILL): its connections are lost, which
# the program learns as a reset (ECONNRESET once, then EOF), not a hang;
# its next connection starts a new tcpxd.
cat > "$T/dies.py" <<'PYEOF'
import socket, time
s = socket.create_connection(("10.77.0.1", 9103))
print("connected", flush=True)
time.sleep(1.5)
print("SO_ERROR", s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
print("SO_ERROR", s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
print("recv", s.recv(10))
t = socket.create_connection(("10.77.0.1", 9103))
t.sendall(b"again"); print("new connection", t.recv(10))
PYEOF
$H timeout 20 "$TCPX" run $PY "$T/dies.py" > "$T/dies.out" 2>&1 &
pid=$!
for i in $(seq 50); do grep -q connected "$T/dies.out" && break; sleep 0.1; done
for p in $(ip netns pids $LAB-host); do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = tcpxd ] && kill -9 $p
done
wait $pid
printf 'connected\nSO_ERROR 104\nSO_ERROR 0\nrecv b\x27\x27\nnew connection b\x27again\x27\n' > "$T/dies.want"
if diff -u "$T/dies.want" "$T/dies.out" >&2; then
	say "ok: tcpxd killed under a program: a reset, then a new tcpxd"
else
	say "FAIL: tcpxd killed under a program"; rc=1
fi

cat > "$T/pending.kernel" <<'OUT'
connect: -1 EINPROGRESS
connect again: -1 EALREADY
poll(POLLOUT, 300 ms): timeout
SO_ERROR: 0
write: -1 EAGAIN
close: 0
OUT
$H timeout 20 "$TCPX" run "$S" pending 192.0.2.1 80 > "$T/pending.tcpx" 2>&1
compare pending

# Linux's answer for a blocking connect that outlasts SO_SNDTIMEO; the
# write then waits out SO_SNDTIMEO too (sk_stream_wait_connect).
cat > "$T/blocking-timeout.kernel" <<'OUT'
blocking connect, SO_SNDTIMEO 300 ms: -1 EINPROGRESS
poll(POLLOUT, 300 ms): timeout
SO_ERROR: 0
blocking write: -1 EAGAIN
close: 0
OUT
$H timeout 20 "$TCPX" run "$S" blocking-timeout 192.0.2.1 80 \
	> "$T/blocking-timeout.tcpx" 2>&1
compare blocking-timeout

cat > "$T/forged.kernel" <<'OUT'
bind: 0
listen: 0
accept (forged only): -1 EAGAIN
OUT
$H timeout 20 "$TCPX" run "$S" forged 9300 > "$T/forged.tcpx" 2>&1
compare forged
[ $rc = 0 ] && finish_clean
exit $rc

#!/bin/bash
# TCP end to end through tcpxd's socketpair bridge, without the preload:
# build/helpers/ctlcat speaks the control protocol, kernel nc is the peer.
#  1. connect: 8 MB from ctlcat to `nc -l` in tcpx-peer, byte-exact;
#     the fd is not writable before the handshake (ctlcat checks).
#  2. listen: `nc -N` in tcpx-peer sends 8 MB to `ctlcat listen`, which
#     shut its own write half first (half-close: data still flows in);
#     the accepted fd carries tcpxd's header and SO_PEERCRED (ctlcat).
#     2b. 8 MB from a kernel sender to a reader slower than the link: the
#     socketpair fills and bytes wait in the engine; intact.
#  3. connect to a closed port: "Connection refused".
#  4. an application killed with SIGKILL mid-send: the peer still gets a
#     clean end (FIN) and tcpxd forgets the socket.
#  5. an application killed with unread data: tcpxd sends RST (RFC 2525).
#  6. ports below 1024 need CAP_NET_BIND_SERVICE (nobody gets EACCES
#     for 80, may listen on 8080); root may bind 80.
#  7. afterwards nothing but TIME-WAIT entries remain in the engine.
. tests/integration/lib/daemon.sh
CTLCAT=$TOP/$BUILD/helpers/ctlcat
[ -x "$CTLCAT" ] || fail "$CTLCAT not built"
sha() { sha256sum < "$1" | cut -d' ' -f1; }
ctl() { $H timeout 5 "$CTLCAT" tcpx-h0 "$@"; }
# wait_gone PID SECS
wait_gone() {
	local i
	for i in $(seq $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}
counter() { ctl nstat | awk -v n="$1" '$1 == n {print $2}'; }

start_tcpxd
head -c 8M /dev/urandom > "$T/f1"
head -c 8M /dev/urandom > "$T/f2"

# 1. active open
$P timeout 30 nc -l 10.77.0.1 9001 > "$T/o1" < /dev/null &
srv=$!; BG_PIDS+=($srv)
sleep 0.3
$H timeout 30 "$CTLCAT" tcpx-h0 connect 10.77.0.1 9001 < "$T/f1" \
	> /dev/null 2> "$T/c1.err" || fail "ctlcat connect: $(cat "$T/c1.err")"
wait_gone $srv 10 || fail "nc -l did not see the end of the stream"
[ "$(sha "$T/f1")" = "$(sha "$T/o1")" ] ||
	fail "connect: 8 MB differ ($(stat -c %s "$T/o1") bytes arrived)"
say "ok: 8 MB to kernel nc -l, intact"

# 2. passive open, with our write half shut first
$H timeout 30 "$CTLCAT" tcpx-h0 listen 9002 < /dev/null > "$T/o2" \
	2> "$T/l2.err" &
lst=$!; BG_PIDS+=($lst)
for i in $(seq 50); do
	grep -q listening "$T/l2.err" && break
	sleep 0.1
done
$P timeout 30 nc -N 10.77.0.2 9002 < "$T/f2" > /dev/null ||
	fail "kernel nc -N to 10.77.0.2:9002 failed"
wait_gone $lst 10 || fail "ctlcat listen did not finish"
wait $lst || fail "ctlcat listen: $(cat "$T/l2.err")"
[ "$(sha "$T/f2")" = "$(sha "$T/o2")" ] ||
	fail "listen: 8 MB differ ($(stat -c %s "$T/o2") bytes arrived)"
say "ok: 8 MB from kernel nc -N to ctlcat listen, intact ($(grep accepted "$T/l2.err" | sed 's/ctlcat: //'))"

# 2b. a slow reader: the socketpair fills, so received bytes go back into
# the engine (tcpx_recv_unread) and wait there, in its window, for EPOLLOUT
# (A Python sender: nc -l would stop at our FIN, sent as stdin ends.)
$P timeout 30 python3 -c '
import socket, sys
s = socket.create_server(("10.77.0.1", 9003))
c, _ = s.accept()
c.sendall(open(sys.argv[1], "rb").read())
c.close()
' "$T/f1" &
srv=$!; BG_PIDS+=($srv)
sleep 0.3
$H timeout 60 "$CTLCAT" tcpx-h0 connect 10.77.0.1 9003 < /dev/null \
	2> "$T/c2b.err" | python3 -c '
import sys, time
out = open(sys.argv[1], "wb")
while True:
	b = sys.stdin.buffer.read1(16384)
	if not b:
		break
	out.write(b)
	time.sleep(0.001)
' "$T/o2b" || fail "slow reader: $(cat "$T/c2b.err")"
[ "$(sha "$T/f1")" = "$(sha "$T/o2b")" ] ||
	fail "slow reader: 8 MB differ ($(stat -c %s "$T/o2b") bytes arrived)"
say "ok: 8 MB to a slow reader, intact"

# 3. refused
if ctl connect 10.77.0.1 9009 < /dev/null > /dev/null 2> "$T/c3.err"; then
	fail "connect to a closed port succeeded"
fi
grep -q "Connection refused" "$T/c3.err" ||
	fail "closed port: '$(cat "$T/c3.err")', want Connection refused"
say "ok: $(cat "$T/c3.err")"

# 4. SIGKILL mid-send: FIN after what was queued, socket forgotten
$P timeout 30 nc -l 10.77.0.1 9004 > /dev/null < /dev/null &
srv=$!; BG_PIDS+=($srv)
sleep 0.3
# No timeout wrapper: $! must be ctlcat itself (ip netns exec execs).
$H "$CTLCAT" tcpx-h0 connect 10.77.0.1 9004 < /dev/zero > /dev/null 2>&1 &
app=$!; BG_PIDS+=($app)
sleep 1
kill -9 $app
wait_gone $srv 10 || fail "peer did not see the end after the app was killed"
say "ok: killed sender's connection ended at the peer"

# 5. SIGKILL with unread data: RST
rst0=$(counter Tcp:OutRsts)
$P timeout 30 bash -c 'cat /dev/zero | nc -l 10.77.0.1 9005' \
	> /dev/null 2>&1 &
srv=$!; BG_PIDS+=($srv)
sleep 0.3
# ctlcat's stdout is a FIFO nobody reads: data piles up unread.
mkfifo "$T/fifo"
timeout 30 sleep 30 < "$T/fifo" &
BG_PIDS+=($!)
$H "$CTLCAT" tcpx-h0 connect 10.77.0.1 9005 < /dev/zero > "$T/fifo" 2>&1 &
app=$!; BG_PIDS+=($app)
sleep 1
kill -9 $app
sleep 1
rst1=$(counter Tcp:OutRsts)
[ "${rst1:-0}" -gt "${rst0:-0}" ] ||
	fail "no RST after an app died with unread data (OutRsts $rst0 -> $rst1)"
say "ok: RST when the app died with unread data (OutRsts $rst0 -> $rst1)"

# 6. privileged ports, checked against the requesting process
cp "$CTLCAT" "$T/ctlcat"; chmod 755 "$T/ctlcat"
NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all"
if $H timeout 5 $NOBODY "$T/ctlcat" tcpx-h0 listen 80 < /dev/null \
    > /dev/null 2> "$T/p.err"; then
	fail "nobody could listen on port 80"
fi
grep -q "bind: Permission denied" "$T/p.err" ||
	fail "nobody, port 80: '$(cat "$T/p.err")', want Permission denied"
$H timeout 2 $NOBODY "$T/ctlcat" tcpx-h0 listen 8080 < /dev/null \
	> /dev/null 2> "$T/p2.err"
grep -q "listening on port 8080" "$T/p2.err" ||
	fail "nobody, port 8080: $(cat "$T/p2.err")"
$H timeout 2 "$T/ctlcat" tcpx-h0 listen 80 < /dev/null > /dev/null \
	2> "$T/p3.err"
grep -q "listening on port 80" "$T/p3.err" ||
	fail "root, port 80: $(cat "$T/p3.err")"
say "ok: port 80 refused to nobody (EACCES), 8080 allowed; root may use 80"

# 7. the table: only TIME-WAIT (6) left, and no bridged socket
for i in $(seq 50); do
	left=$(ctl ss | awk '$1 != 6' | wc -l)
	bridged=$(ctl status | sed -n 's/.*bridged \([0-9]*\).*/\1/p')
	[ "$left" = 0 ] && [ "$bridged" = 0 ] && break
	sleep 0.1
done
[ "$left" = 0 ] || fail "engine sockets left besides TIME-WAIT: $(ctl ss)"
[ "$bridged" = 0 ] || fail "tcpxd still bridges $bridged sockets"
say "ok: only TIME-WAIT left ($(ctl ss | wc -l) entries)"
stop_tcpxd || fail "tcpxd exited with status $? on SIGTERM"

#!/bin/bash
# A program that stops reading: its window closes after about one
# receive buffer, as a kernel socket's does (Linux counts the unread
# queue against the buffer; tcpx counts what waits unread in the
# program's socketpair), not after the socketpair's megabytes besides.
# The kernel peer then sees a zero window and probes it (persist
# timer); when the program reads again the window opens and every byte
# arrives, sha256 equal.  Both roles: tcpx as the client, as the server.
. tests/integration/lib/apps.sh

SIZE=$((4 << 20))
head -c $SIZE /dev/urandom > "$T/in"
want=$(sha "$T/in")

# One end of the transfer: connect or listen (accept one), then either
# send the file as fast as the window lets it, or sleep PAUSE s and read
# everything into OUT.
cat > "$T/end.py" <<'PYEOF'
import socket, sys, time
role, addr, port, what = sys.argv[1:5]
if role == "connect":
    for i in range(50):
        try:
            c = socket.create_connection((addr, int(port)))
            break
        except ConnectionRefusedError:
            time.sleep(0.1)
else:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(1)
    c, _ = s.accept()
if what == "send":
    with open(sys.argv[5], "rb") as f:
        c.sendall(f.read())
    c.close()
    sys.exit(0)
time.sleep(float(sys.argv[5]))
with open(sys.argv[6], "wb") as f:
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        f.write(b)
PYEOF

# check PORT WHAT: while the reader sleeps, the peer's kernel sees a
# zero window (its ss runs the persist timer and leaves snd_wnd out, as
# it does for 0), and tcpx's Recv-Q holds what the program has not read:
# more than nothing, less than a megabyte (a kernel socket here stops at
# about 128 KB).
zero_seen() {
	case $1 in *timer:\(persist*) ;; *) return 1 ;; esac
	case $1 in *snd_wnd:[1-9]*) return 1 ;; esac
}
check_closed() {
	local port=$1 what=$2 peer recvq i
	for i in $(seq 20); do
		peer=$($P ss -tino "( sport = :$port or dport = :$port )" |
		    tail -n +2 | tr -d '\n')
		zero_seen "$peer" && break
		sleep 0.1
	done
	zero_seen "$peer" ||
		fail "$what: the peer never saw a zero window: ${peer:-no connection}"
	recvq=$($H "$TCPX" ss -tnH "( sport = :$port or dport = :$port )" 9>&- |
	    awk '$1 == "ESTAB" { print $2 }')
	[ -n "$recvq" ] || fail "$what: tcpx ss shows no connection on port $port"
	[ "$recvq" -gt 0 ] && [ "$recvq" -lt $((1 << 20)) ] ||
		fail "$what: Recv-Q $recvq with the window closed (want 1..1 MB)"
	say "ok: $what: zero window with $recvq bytes unread, the peer probes"
}

check_out() {
	[ "$(sha "$T/out")" = "$want" ] ||
		fail "$1: $(stat -c %s "$T/out") of $SIZE bytes arrived, or differ"
	say "ok: $1: every byte after the window opened again, sha256 equal"
	rm -f "$T/out"
}

# 1. tcpx client reading from a kernel server.
$P timeout 30 $PY "$T/end.py" listen 10.77.0.1 9330 send "$T/in" &
BG_PIDS+=($!)
wait_port_listen 9330
$H timeout 30 "$TCPX" run $PY "$T/end.py" connect 10.77.0.1 9330 read 3 \
    "$T/out" &
rd=$!
BG_PIDS+=($rd)
check_closed 9330 "tcpx client stops reading"
wait_exit 25 $rd || fail "tcpx client: the transfer did not finish"
check_out "tcpx client"

# 2. tcpx server reading from a kernel client.
$H timeout 30 "$TCPX" run $PY "$T/end.py" listen 0.0.0.0 9331 read 3 \
    "$T/out" &
rd=$!
BG_PIDS+=($rd)
wait_tcpx_listener
$P timeout 30 $PY "$T/end.py" connect 10.77.0.2 9331 send "$T/in" &
BG_PIDS+=($!)
check_closed 9331 "tcpx server stops reading"
wait_exit 25 $rd || fail "tcpx server: the transfer did not finish"
check_out "tcpx server"

finish_clean

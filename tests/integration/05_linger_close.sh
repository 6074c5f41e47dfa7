#!/bin/bash
# close(2) with SO_LINGER, as tcpxd honours it (ctlcat does what the
# shim's close() does: set SO_LINGER, close the fd, send CLOSE, poll
# STATE until the FIN is acknowledged, the socket is gone, or time's up):
#  1. {1, 0}: RST instead of FIN, nothing left in the engine;
#  2. {1, 5} with a live peer: returns at once in FIN-WAIT-2, data intact;
#  3. {1, 2} with the peer's link down: gives up after about 2 s, still
#     in FIN-WAIT-1; the orphan then keeps retransmitting its FIN.
. tests/integration/lib/daemon.sh
CTLCAT=$TOP/$BUILD/helpers/ctlcat
[ -x "$CTLCAT" ] || fail "$CTLCAT not built"
ctl() { $H timeout 5 "$CTLCAT" tcpx-h0 "$@"; }
counter() { ctl nstat | awk -v n="$1" '$1 == n {print $2}'; }

start_tcpxd

# 1. {1, 0}
rst0=$(counter Tcp:OutRsts)
$P timeout 20 nc -l 10.77.0.1 9701 > "$T/o1" < /dev/null 2> /dev/null &
BG_PIDS+=($!)
sleep 0.3
st=$(echo hello | $H timeout 10 "$CTLCAT" tcpx-h0 connect 10.77.0.1 9701 0) ||
	fail "linger 0: ctlcat failed"
sleep 0.3
rst1=$(counter Tcp:OutRsts)
[ "$rst1" -gt "$rst0" ] || fail "linger {1,0}: no RST (OutRsts $rst0 -> $rst1)"
[ "$st" = -9 ] || fail "linger {1,0}: STATE after close is $st, want -9 (EBADF)"
ctl ss | grep -q ':9701' && fail "linger {1,0}: the connection is still there: $(ctl ss)"
say "ok: SO_LINGER {1,0}: RST, socket gone"

# 2. {1, 5}, peer alive
head -c 1M /dev/urandom > "$T/f2"
$P timeout 20 nc -l 10.77.0.1 9702 > "$T/o2" < /dev/null &
srv=$!; BG_PIDS+=($srv)
sleep 0.3
start=$(date +%s%N)
st=$($H timeout 10 "$CTLCAT" tcpx-h0 connect 10.77.0.1 9702 5 < "$T/f2") ||
	fail "linger 5: ctlcat failed"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$st" = 5 ] || [ "$st" = 6 ] || [ "$st" = -9 ] ||
	fail "linger {1,5}: ended in state $st, want FIN-WAIT-2 (5)"
[ $ms -lt 3000 ] || fail "linger {1,5} with a live peer took $ms ms"
for i in $(seq 50); do kill -0 $srv 2>/dev/null || break; sleep 0.1; done
cmp -s "$T/f2" "$T/o2" || fail "linger {1,5}: data differ"
say "ok: SO_LINGER {1,5}: returned in $ms ms (state $st), 1 MB intact"

# 3. {1, 2}, peer unreachable after the handshake
$P timeout 20 nc -l 10.77.0.1 9703 > /dev/null < /dev/null &
BG_PIDS+=($!)
sleep 0.3
( sleep 0.5; $P ip link set tcpx-p0 down ) &
start=$(date +%s%N)
st=$( (sleep 1; echo data) | $H timeout 10 "$CTLCAT" tcpx-h0 connect \
	10.77.0.1 9703 2) || fail "linger 2: ctlcat failed"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
# Still FIN-WAIT-1, or already handed back to the engine as an orphan.
[ "$st" = 4 ] || [ "$st" = -9 ] ||
	fail "linger {1,2}, peer gone: ended in state $st, want 4 or -9"
[ $ms -ge 2800 ] && [ $ms -lt 4500 ] ||
	fail "linger {1,2}: close took $ms ms, want about 1000 + 2000"
ctl ss | grep -q '^4 .*:9703$' ||
	fail "linger {1,2}: no orphan in FIN-WAIT-1 for :9703: $(ctl ss)"
$P ip link set tcpx-p0 up
say "ok: SO_LINGER {1,2} with the peer unreachable: close gave up after $ms ms; the orphan is in FIN-WAIT-1"
stop_tcpxd || fail "tcpxd exited with status $? on SIGTERM"

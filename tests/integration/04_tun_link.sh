#!/bin/bash
# tcpxd on a layer-3 link: a tun device (IFF_TUN, ARPHRD_NONE, no link
# header, no ARP), joined back to back with another tun whose kernel has
# 10.76.0.1/24 (lib/tunpair.py copies packets between them).  tcpxd
# detects the link type itself; ping and a TCP transfer must work.
. tests/integration/lib/daemon.sh
CTLCAT=$TOP/$BUILD/helpers/ctlcat
[ -x "$CTLCAT" ] || fail "$CTLCAT not built"
[ -c /dev/net/tun ] || skip "no /dev/net/tun here"

$P timeout 60 python3 tests/integration/lib/tunpair.py 10.76.0.1/24 55 \
	> "$T/tun.out" 2>&1 &
BG_PIDS+=($!)
for i in $(seq 50); do
	grep -q ready "$T/tun.out" && break
	sleep 0.1
done
grep -q ready "$T/tun.out" || fail "tunpair: $(cat "$T/tun.out")"

start_tcpxd --iface tcpxtun-h --addr 10.76.0.2/24
grep -q "on tcpxtun-h (layer 3" "$T/tcpxd.log" ||
	fail "tcpxd did not see a layer-3 link: $(grep serving "$T/tcpxd.log")"

$P timeout 10 ping -c 3 -i 0.2 -W 2 10.76.0.2 > "$T/ping.out" 2>&1 ||
	fail "no ping reply over tun: $(tail -2 "$T/ping.out")"
say "ok: ping over tun: $(grep -o '3 received' "$T/ping.out")"

head -c 4M /dev/urandom > "$T/f1"
$P timeout 30 nc -l 10.76.0.1 9301 > "$T/o1" < /dev/null &
srv=$!; BG_PIDS+=($srv)
sleep 0.3
$H timeout 30 "$CTLCAT" tcpxtun-h connect 10.76.0.1 9301 < "$T/f1" \
	> /dev/null 2> "$T/c1.err" || fail "ctlcat over tun: $(cat "$T/c1.err")"
for i in $(seq 100); do kill -0 $srv 2>/dev/null || break; sleep 0.1; done
cmp -s "$T/f1" "$T/o1" ||
	fail "4 MB over tun differ ($(stat -c %s "$T/o1") bytes arrived)"
say "ok: 4 MB over tun to kernel nc -l, intact"
stop_tcpxd || fail "tcpxd exited with status $? on SIGTERM"

#!/bin/bash
# tcpxd answers ARP and ping for its address (10.77.0.2) on the lab's
# veth, while the kernel in tcpx-host has no address there and the root
# namespace none of the lab's; it does not answer for other addresses;
# it exits 0 on SIGTERM.  Needs only the engine's wire layer.
. tests/integration/lib/daemon.sh

[ -z "$($H ip -4 -o addr show dev tcpx-h0)" ] ||
	fail "the kernel in tcpx-host has an address on tcpx-h0"
! ip -4 -o addr show | grep -q '10\.77\.0\.' ||
	fail "the root namespace has a lab address"

start_tcpxd
mac=$($H cat /sys/class/net/tcpx-h0/address)

$P ip neigh flush dev tcpx-p0
$P timeout 10 ping -c 3 -i 0.2 -W 2 10.77.0.2 > "$T/ping.out" 2>&1 ||
	fail "no ping reply from 10.77.0.2: $(tail -2 "$T/ping.out")"
grep -q '3 received' "$T/ping.out" || fail "lost pings: $(tail -2 "$T/ping.out")"

# The peer learned our MAC through ARP.
got=$($P ip neigh show 10.77.0.2 dev tcpx-p0 | awk '{print $3}')
[ "$got" = "$mac" ] || fail "peer's ARP entry for 10.77.0.2 is '$got', want $mac"

# A large ping (1400 bytes of payload) comes back whole.
$P timeout 5 ping -c 1 -s 1400 -W 2 10.77.0.2 > /dev/null 2>&1 ||
	fail "no reply to a 1428-byte ping"

# Nobody answers for a neighbouring address.
if $P timeout 5 ping -c 1 -W 1 10.77.0.3 > /dev/null 2>&1; then
	fail "someone answered ping for 10.77.0.3"
fi
state=$($P ip neigh show 10.77.0.3 dev tcpx-p0 | awk '{print $NF}')
case "$state" in
REACHABLE|STALE|DELAY) fail "10.77.0.3 resolved by ARP ($state)" ;;
esac

stop_tcpxd || fail "tcpxd exited with status $? on SIGTERM"
say "ok: ARP and ping answered by tcpxd ($mac), nothing else"

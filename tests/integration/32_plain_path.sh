#!/bin/bash
# The fallback link path: tcpxd with TCPXD_VNET=0 says it uses plain
# frames and switches the offloads off; 4 MB each way as client and as
# server, sha256 equal, under loss, duplication and reordering (every
# segment tcpx sends is one packet here, so each can be lost alone).
# Also: the default tcpxd says it uses the vnet path.
. tests/integration/lib/apps.sh
. tests/integration/lib/transfer.sh

start_daemon() { # env assignments for tcpxd
	local i
	$H env "$@" timeout 120 "$TOP/$BUILD/tcpxd" --foreground --idle-exit 0 \
		> "$T/tcpxd.log" 2>&1 9>&- &
	TCPXD_PID=$!
	BG_PIDS+=($TCPXD_PID)
	for i in $(seq 50); do
		grep -q serving "$T/tcpxd.log" && return 0
		sleep 0.1
	done
	cat "$T/tcpxd.log" >&2
	fail "tcpxd did not start"
}
stop_daemon() {
	kill "$TCPXD_PID"
	wait_exit 5 "$TCPXD_PID" || fail "tcpxd did not stop"
}

start_daemon TCPXD_VNET=1
grep -q "link: vnet path" "$T/tcpxd.log" ||
	fail "default tcpxd on veth does not use the vnet path: $(grep link: "$T/tcpxd.log")"
$H ethtool -k tcpx-h0 | grep -q "^tcp-segmentation-offload: on" ||
	fail "vnet path: TSO not switched back on"
say "ok: vnet path by default, offloads on"
stop_daemon

start_daemon TCPXD_VNET=0
grep -q "link: plain path" "$T/tcpxd.log" ||
	fail "TCPXD_VNET=0: no plain path in the log"
$H ethtool -k tcpx-h0 | grep -q "^generic-receive-offload: off" ||
	fail "plain path: GRO left on"
say "ok: TCPXD_VNET=0: plain path, offloads off"
impair_both 2 1 10
client_sends 9320 "plain path, loss 2% dup 1% reorder 10%: tcpx client sends"
client_receives 9321 "plain path, loss 2% dup 1% reorder 10%: tcpx client receives"
server_receives 9322 "plain path, loss 2% dup 1% reorder 10%: tcpx server receives"
server_sends 9323 "plain path, loss 2% dup 1% reorder 10%: tcpx server sends"
impair_off $LAB-host tcpx-h0
impair_off $LAB-peer tcpx-p0
finish_clean

#!/bin/bash
# The fallback link path: tcpxd with TCPXD_VNET=0 says it uses plain
# frames and switches the offloads off; 4 MB each way as client and as
# server, sha256 equal, under loss, duplication and reordering (every
# segment tcpx sends is one packet here, so each can be lost alone).
# Also: the default tcpxd says it uses the vnet path; and its
# super-segments keep within the interface's gso_max_size, as Linux's
# TCP does (`ip link set tcpx-h0 gso_max_size 16384`: 11 segments of
# 1448, not 45), also when it changes while tcpxd runs.
. tests/integration/lib/apps.sh
. tests/integration/lib/transfer.sh
trap '$H ip link set tcpx-h0 gso_max_size 65536 2>/dev/null
	impair_off $LAB-host tcpx-h0; impair_off $LAB-peer tcpx-p0; cleanup' EXIT

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

# wait_log PATTERN WHAT: the log says PATTERN within 5 s.
wait_log() {
	local i
	for i in $(seq 50); do
		grep -q "$1" "$T/tcpxd.log" && return 0
		sleep 0.1
	done
	fail "$2: $(grep super-segments "$T/tcpxd.log")"
}

start_daemon TCPXD_VNET=1
grep -q "link: vnet path" "$T/tcpxd.log" ||
	fail "default tcpxd on veth does not use the vnet path: $(grep link: "$T/tcpxd.log")"
$H ethtool -k tcpx-h0 | grep -q "^tcp-segmentation-offload: on" ||
	fail "vnet path: TSO not switched back on"
say "ok: vnet path by default, offloads on"
# Linux's payload limit: the size less MAX_TCP_HEADER + 1 (321).
grep -q "super-segments of up to 65215 bytes" "$T/tcpxd.log" ||
	fail "default gso_max_size 65536 not taken: $(grep super-segments "$T/tcpxd.log")"

# A change while tcpxd runs holds from its next segment on.
$H ip link set tcpx-h0 gso_max_size 16384 || fail "cannot set gso_max_size"
$H timeout 60 tcpdump -Z root --immediate-mode -U -i tcpx-h0 -nn -s 128 -w "$T/gso.pcap" \
	'tcp and src host 10.77.0.2' 2> "$T/tcpdump.err" &
dump=$!
BG_PIDS+=($dump)
for i in $(seq 30); do grep -q listening "$T/tcpdump.err" && break; sleep 0.1; done
client_sends 9324 "gso_max_size 16384: tcpx client sends"
sleep 0.3
kill -INT $dump
wait_exit 5 $dump || fail "tcpdump did not stop"
wait_log "from now on super-segments of up to 16063 bytes" \
	"gso_max_size 16384 set while running not taken"
# Payload lengths tcpdump saw leave: most bytes in super-segments
# (larger than one MSS), none beyond 11 MSS.  Larger ones would have
# been cut to 1448-byte frames by the kernel before tcpdump saw them.
read -r nbig bbig max <<< "$(tcpdump -nn -r "$T/gso.pcap" 2>/dev/null |
	awk '{ n = $NF + 0; if (n > 1448) { big++; b += n }; if (n > m) m = n }
	END { print big + 0, b + 0, m + 0 }')"
[ "$bbig" -ge $((SIZE_MB * 1048576 / 2)) ] ||
	fail "gso_max_size 16384: only $bbig bytes in $nbig super-segments (largest $max)"
[ "$max" -le 15928 ] || fail "gso_max_size 16384: a $max-byte segment left tcpxd"
say "ok: gso_max_size 16384 set while running: $bbig bytes in $nbig super-segments, the largest $max"
$H ip link set tcpx-h0 gso_max_size 65536 || fail "cannot restore gso_max_size"
sleep 0.2	# tcpxd asks again 100 ms after it last did
$H "$TOP/$BUILD/tcpx" ss > /dev/null || fail "tcpx ss failed"
wait_log "from now on super-segments of up to 65215 bytes" \
	"gso_max_size 65536 restored while running not taken"
say "ok: gso_max_size 65536 restored: 65215-byte super-segments again"
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

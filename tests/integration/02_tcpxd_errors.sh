#!/bin/bash
# tcpxd's errors say what is wrong and what to do, with exit status 1:
# no such interface; the address already belongs to the kernel; no
# CAP_NET_RAW (run as nobody with no capabilities); nothing configured
# (outside the lab); a malformed TCPX_ADDR.  A second tcpxd for the same
# interface exits 0 quietly; one whose interface is deleted exits saying
# so; an idle tcpxd exits by itself.
. tests/integration/lib/daemon.sh

# expect_err DESC REGEX CMD...: CMD must exit 1 within 10 s, its
# stderr matching REGEX.
expect_err() {
	local desc=$1 re=$2 rc
	shift 2
	timeout 10 "$@" > "$T/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] || fail "$desc: exit status $rc, want 1: $(cat "$T/out")"
	grep -qE "$re" "$T/out" ||
		fail "$desc: message '$(cat "$T/out")' does not match /$re/"
	say "ok: $desc: $(head -1 "$T/out" | sed 's/^.*tcpxd\[[0-9]*\]: //')"
}

expect_err "bad interface" "no such interface 'nosuch0'" \
	$H "$TCPXD" -f --iface nosuch0 --addr 10.9.9.9/24

$H ip addr add 10.77.0.9/24 dev tcpx-h0
expect_err "kernel-owned address" \
	"10\.77\.0\.9 already belongs to the kernel \(on tcpx-h0\)" \
	$H "$TCPXD" -f --addr 10.77.0.9/24
$H ip addr del 10.77.0.9/24 dev tcpx-h0

command -v setpriv > /dev/null || skip "setpriv not found (util-linux)"
cp "$TCPXD" "$T/tcpxd"	# reachable by nobody whatever the tree's modes
chmod 755 "$T/tcpxd"
expect_err "no CAP_NET_RAW" \
	"no CAP_NET_RAW; run as root or 'setcap cap_net_raw\+ep" \
	$H setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps=-all "$T/tcpxd" -f

expect_err "nothing configured" "no interface configured: set TCPX_IFACE" \
	$P env -u TCPX_IFACE -u TCPX_ADDR TCPX_CONFIG=/dev/null "$TCPXD" -f

expect_err "malformed TCPX_ADDR" \
	"TCPX_ADDR: bad value '10\.77\.0\.300' for addr \(expected a\.b\.c\.d/len\)" \
	$H env TCPX_ADDR=10.77.0.300 "$TCPXD" -f

# A second tcpxd on the same interface: exit 0, the first one stays.
start_tcpxd
timeout 10 $H "$TCPXD" -f > "$T/out" 2>&1 ||
	fail "second tcpxd exited with $?: $(cat "$T/out")"
grep -q "another tcpxd already serves tcpx-h0" "$T/out" ||
	fail "second tcpxd said: $(cat "$T/out")"
kill -0 "$TCPXD_PID" 2>/dev/null || fail "the first tcpxd died"
say "ok: second tcpxd: $(sed 's/^.*tcpxd\[[0-9]*\]: //' "$T/out")"
stop_tcpxd || fail "tcpxd exited with $? on SIGTERM"

# The interface disappears under a running tcpxd: it says so and exits.
$H ip link add tcpxv0 type veth peer name tcpxv1
$H ip link set tcpxv0 up
$H timeout 10 "$TCPXD" -f --iface tcpxv0 --addr 10.79.0.2/24 --idle-exit 0 \
	> "$T/out" 2>&1 &
gone=$!
sleep 0.5
$H ip link del tcpxv0
for i in $(seq 30); do kill -0 $gone 2>/dev/null || break; sleep 0.1; done
kill -0 $gone 2>/dev/null && fail "tcpxd kept running after its interface went away"
grep -q "interface tcpxv0 is gone: exiting" "$T/out" ||
	fail "interface removed: $(cat "$T/out")"
say "ok: interface removed: tcpxd said so and exited"

# Idle exit: nothing connects, so --idle-exit 2 ends it in 2-4 s.
start=$(date +%s)
timeout 10 $H "$TCPXD" -f --idle-exit 2 > "$T/out" 2>&1 ||
	fail "idle tcpxd exited with $?: $(cat "$T/out")"
secs=$(( $(date +%s) - start ))
grep -q "idle for 2 s" "$T/out" || fail "no idle message: $(cat "$T/out")"
[ $secs -ge 2 ] && [ $secs -le 4 ] || fail "idle exit after $secs s, want 2-4"
say "ok: idle exit after $secs s"

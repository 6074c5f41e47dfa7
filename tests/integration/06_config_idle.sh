#!/bin/bash
# Configuration from a file ($TCPX_CONFIG: iface, addr, a tunable) and
# the idle exit that waits for TIME-WAIT: with TIME-WAIT shortened to 3 s
# by the file and --idle-exit 2, a tcpxd whose last connection we closed
# first stays for the TIME-WAIT (3 s) plus the idle period (2 s), then
# exits 0.  Bad config lines are refused with the file and line named.
. tests/integration/lib/daemon.sh
CTLCAT=$TOP/$BUILD/helpers/ctlcat
[ -x "$CTLCAT" ] || fail "$CTLCAT not built"

cat > "$T/bad.conf" <<'CONF'
iface = tcpx-h0
bogus = 1
CONF
$H env TCPX_CONFIG="$T/bad.conf" timeout 5 "$TCPXD" -f > "$T/out" 2>&1 &&
	fail "a config with an unknown key was accepted"
grep -q "bad.conf:2: unknown setting 'bogus'" "$T/out" ||
	fail "unknown key: $(cat "$T/out")"
printf 'net.ipv4.no_such_thing = 1\n' > "$T/bad2.conf"
$H env TCPX_CONFIG="$T/bad2.conf" timeout 5 "$TCPXD" -f > "$T/out" 2>&1 &&
	fail "a config with an unknown tunable was accepted"
grep -q "net.ipv4.no_such_thing = 1: unknown tunable" "$T/out" ||
	fail "unknown tunable: $(cat "$T/out")"
say "ok: bad config lines refused"

cat > "$T/tcpx.conf" <<'CONF'
# the lab, spelled out
iface = tcpx-h0
addr = 10.77.0.2/24
gateway = 10.77.0.1
net.ipv4.tcpx_timewait_len = 3
CONF
export TCPX_CONFIG=$T/tcpx.conf
start_tcpxd --idle-exit 2

$P timeout 20 nc -l 10.77.0.1 9801 > /dev/null < /dev/null &
BG_PIDS+=($!)
sleep 0.3
echo hi | $H timeout 10 "$CTLCAT" tcpx-h0 connect 10.77.0.1 9801 ||
	fail "ctlcat connect failed"
closed=$(date +%s%N)
for i in $(seq 100); do
	kill -0 "$TCPXD_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$TCPXD_PID" 2>/dev/null && fail "tcpxd still running 10 s after the last close"
wait "$TCPXD_PID"; rc=$?
ms=$(( ($(date +%s%N) - closed) / 1000000 ))
[ $rc = 0 ] || fail "tcpxd exit status $rc after idling"
grep -q "idle for 2 s" "$T/tcpxd.log" || fail "no idle message"
[ $ms -ge 3800 ] && [ $ms -le 7500 ] ||
	fail "idle exit $ms ms after the close, want TIME-WAIT 3 s + idle 2 s"
say "ok: exited $ms ms after the close (TIME-WAIT 3 s from the config file + idle 2 s)"

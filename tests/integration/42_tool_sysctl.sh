#!/bin/bash
# tcpx sysctl: a change that changes behaviour (tcp_syn_retries=1: a SYN
# nobody answers gives ETIMEDOUT after 1+2 s), and bad names and values
# rejected with a clear message and nothing changed, even when they come
# after a good setting in the same command.
. tests/integration/lib/tools.sh
start_tcpxd

get() { $H "$TCPX" sysctl -n "$1"; }
[ "$(get net.ipv4.tcp_syn_retries)" = 6 ] || fail "tcp_syn_retries does not start at 6"
[ "$(get net.ipv4.tcp_fin_timeout)" = 60 ] || fail "tcp_fin_timeout does not start at 60"
n=$($H "$TCPX" sysctl -a | grep -c ' = ')
[ "$n" -ge 10 ] || fail "sysctl -a lists only $n tunables"
$H "$TCPX" sysctl -a | grep -qx 'net.ipv4.tcp_syncookies = 1' || fail "sysctl -a: no tcp_syncookies = 1"

out=$($H "$TCPX" sysctl -w net.ipv4.tcp_syn_retries=1) || fail "sysctl -w failed"
[ "$out" = "net.ipv4.tcp_syn_retries = 1" ] || fail "sysctl -w printed '$out'"
t0=$(date +%s%N)
got=$($H timeout 20 "$TCPX" run "$SCEN" connect 192.0.2.1 80)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "$got" | grep -q "timed out" || fail "connect gave '$got', want a time-out"
[ $ms -ge 2700 ] && [ $ms -lt 4500 ] || fail "ETIMEDOUT after $ms ms, want about 3000 (1+2 s)"
say "ok: tcp_syn_retries=1 -> ETIMEDOUT after $ms ms"
$H "$TCPX" sysctl -q net.ipv4.tcp_syn_retries=6 || fail "could not restore tcp_syn_retries"

err=$($H "$TCPX" sysctl -w net.ipv4.tcp_fin_timeout=30 net.ipv4.no_such_thing=1 2>&1 >/dev/null)
rc=$?
[ $rc = 1 ] || fail "a bad name: exit $rc, want 1"
echo "$err" | grep -q "net.ipv4.no_such_thing: no such tunable" || fail "bad name message: '$err'"
echo "$err" | grep -q "nothing changed" || fail "bad name message does not say nothing changed: '$err'"
[ "$(get net.ipv4.tcp_fin_timeout)" = 60 ] || fail "a bad name still changed tcp_fin_timeout"

err=$($H "$TCPX" sysctl -w net.ipv4.tcp_fin_timeout=30 net.ipv4.tcp_syn_retries=banana 2>&1 >/dev/null)
rc=$?
[ $rc = 1 ] || fail "a bad value: exit $rc, want 1"
echo "$err" | grep -q "net.ipv4.tcp_syn_retries: invalid value 'banana'; nothing changed" ||
	fail "bad value message: '$err'"
[ "$(get net.ipv4.tcp_fin_timeout)" = 60 ] || fail "a bad value left tcp_fin_timeout changed"
[ "$(get net.ipv4.tcp_syn_retries)" = 6 ] || fail "a bad value changed tcp_syn_retries"
say "ok: bad name and bad value rejected, nothing changed"

printf '# comment\nnet.ipv4.tcp_fin_timeout = 25\n' > "$T/conf"
$H "$TCPX" sysctl -p "$T/conf" > /dev/null || fail "sysctl -p failed"
[ "$(get net.ipv4.tcp_fin_timeout)" = 25 ] || fail "sysctl -p did not set tcp_fin_timeout"
$H "$TCPX" sysctl --help | grep -q "nothing is changed" || fail "sysctl --help"
say "ok: sysctl -p FILE"
finish_clean

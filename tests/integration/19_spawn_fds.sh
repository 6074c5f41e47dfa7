#!/bin/bash
# The tcpxd that libtcpx starts on first use outlives the program that
# started it, so it must keep none of that program's descriptors: an
# inherited pipe would keep a shell's $(...) waiting, an inherited lock
# would stay held.  Here the program has fds 7 and 8 open on marker files.
. tests/integration/lib/apps.sh

echo hi > "$T/small"
bg $P timeout 30 $PY -m http.server 8000 --bind 10.77.0.1 --directory "$T"
wait_port peer 10.77.0.1 8000
# No tcpxd yet (scripts/lab up stopped any): the curl below starts one.
for p in $(ip netns pids tcpx-host); do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = tcpxd ] && fail "a tcpxd is already running"
done
: > "$T/marker7"
: > "$T/marker8"
out=$($H timeout 20 bash -c "exec 7>'$T/marker7' 8>'$T/marker8'; \
    exec \"$TCPX\" run curl -sS http://10.77.0.1:8000/small") ||
	fail "curl under tcpx failed"
[ "$out" = hi ] || fail "curl printed '$out'"
pid=""
for p in $(ip netns pids tcpx-host); do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = tcpxd ] && pid=$p
done
[ -n "$pid" ] || fail "curl did not leave a tcpxd behind"
fds=$(ls -l /proc/$pid/fd | awk 'NR > 1 {print $NF}')
if echo "$fds" | grep -q "$T/marker"; then
	echo "$fds" >&2
	fail "tcpxd kept the program's descriptors: $(echo "$fds" | grep marker)"
fi
say "ok: the auto-started tcpxd holds none of the program's descriptors"
kill "$pid"
exit 0

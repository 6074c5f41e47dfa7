#!/bin/bash
# A daemonised tcpxd (the way libtcpx starts it) stops on SIGTERM within a
# second and removes its pidfile: `scripts/lab down` and service managers
# rely on it.  (A signalfd made before the daemonising fork never woke the
# daemon's epoll.)
. tests/integration/lib/daemon.sh

$H timeout 20 "$TCPXD" --idle-exit 0 > "$T/start.out" 2>&1 ||
	fail "tcpxd did not start in the background: $(cat "$T/start.out")"
pid=""
for p in $(ip netns pids tcpx-host); do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = tcpxd ] && pid=$p
done
[ -n "$pid" ] || fail "no daemonised tcpxd in tcpx-host"
ns=$($H stat -L -c %i /proc/self/ns/net)
pidfile=/run/tcpx/tcpxd-tcpx-h0-$ns.pid
[ -n "$pidfile" ] && [ "$(cat "$pidfile")" = "$pid" ] ||
	fail "pidfile does not name the daemon ($pidfile)"
# Alive = present and not a zombie waiting for init to reap it.
alive() { grep -q '^State:[[:space:]]*[^Z]' "/proc/$1/status" 2>/dev/null; }
kill -TERM "$pid"
for i in $(seq 20); do
	alive "$pid" || break
	sleep 0.1
done
if alive "$pid"; then
	kill -9 "$pid"
	fail "daemonised tcpxd ignored SIGTERM for 2 s"
fi
[ -e "$pidfile" ] && fail "pidfile $pidfile left behind"
say "daemon stopped on SIGTERM, pidfile removed"
exit 0

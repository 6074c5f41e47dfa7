#!/bin/bash
# The listen backlog drives the accept queue as on Linux: a listener
# with backlog 2 that accepts nothing holds backlog+1 = 3 connections;
# further clients' handshakes do not complete (their SYNs are dropped).
# Kernel server vs tcpx server, same kernel clients, same counts.
. tests/integration/lib/apps.sh
S=$TOP/$BUILD/helpers/sockapi
[ -x "$S" ] || fail "$S not built"

run() { # server-ns-prefix, connect-to, out, [tcpx run]
	$1 timeout 10 "${@:4}" "$S" backlog 9500 2 > "$3.srv" 2>&1 &
	local pid=$! i
	for i in $(seq 100); do grep -q ready "$3.srv" && break; sleep 0.1; done
	$P timeout 10 "$S" connect-many "$2" 9500 5 > "$3" 2>&1
	wait $pid
	cat "$3.srv" >> "$3"
}
run "$P" 10.77.0.1 "$T/kernel"
run "$H" 10.77.0.2 "$T/tcpx" "$TCPX" run
diff -u "$T/kernel" "$T/tcpx" >&2 || fail "accept queue differs from Linux"
say "ok: $(head -1 "$T/tcpx"), as Linux"
finish_clean

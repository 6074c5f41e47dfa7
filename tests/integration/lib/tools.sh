# tests/integration/lib/tools.sh - shared by the tool tests (4N_*.sh):
# the lab lock, then apps.sh (lab up, helpers), then a tcpxd of our own.
#
# The lock (/run/tcpx/lab.lock, as daemon.sh takes it) is held by a
# flock(1) process that runs this test as its child with the lock's fd
# closed (-o), so nothing the test starts (a tcpxd that daemonizes)
# keeps the lab locked after the test.  The test then runs with
# TCPX_LAB_LOCKED=1, which scripts/compare also honours.
if [ "${LAB:-tcpx}" = tcpx ] && [ "${TCPX_LAB_LOCKED:-0}" != 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "needs root for network namespaces"
		exit 77
	fi
	mkdir -p /run/tcpx
	TCPX_LAB_LOCKED=1 exec flock -o -E 77 -w 300 /run/tcpx/lab.lock \
		bash "$0" "$@"
fi
export TCPX_LAB_LOCKED=1
. tests/integration/lib/apps.sh
SCEN=$TOP/$BUILD/helpers/scen
[ -x "$SCEN" ] || fail "$SCEN not built"
export TCPX_NSTAT_HISTORY=$T/nstat.history

# start_tcpxd: a foreground tcpxd in the host namespace, log in $T.  It
# is stopped last, so that finish_clean can still ask it what is left.
TCPXD_PID=
tools_cleanup() {
	[ -n "$TCPXD_PID" ] && kill "$TCPXD_PID" 2>/dev/null
	cleanup
}
trap tools_cleanup EXIT
start_tcpxd() {
	local i
	$H timeout 170 "$TOP/$BUILD/tcpxd" --foreground -v --idle-exit 0 \
		> "$T/tcpxd.log" 2>&1 &
	TCPXD_PID=$!
	for i in $(seq 50); do
		grep -q serving "$T/tcpxd.log" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$T/tcpxd.log" >&2
	fail "tcpxd did not start within 5 s"
}

# peer_serve PORT MODE: a kernel server (tests/helpers/scen) in the peer.
peer_serve() {
	local i
	bg $P timeout 120 "$SCEN" serve "$1" "$2" > "$T/serve.$1" 2>&1
	for i in $(seq 50); do
		grep -q serving "$T/serve.$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "scen serve $1 $2 did not start"
}

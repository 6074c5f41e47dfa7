# tests/integration/lib/daemon.sh - shared by the daemon-level lab tests
# (0N_*.sh): tcpxd itself, without the preload library.
#
# Runner contract (scripts/run-tests): each tests/integration/NN_name.sh
# runs as root from the top of the tree with BUILD set; exit 0 = pass,
# 77 = skipped (the reason as the last line of output, e.g. no network
# namespaces here), anything else = fail.  Each test bounds every
# command with `timeout` and cleans up what it started.
#
# Sets TOP, BUILD, TCPXD (override with TCPXD=...), T (scratch dir), H/P
# (run in tcpx-host / tcpx-peer) and brings the lab up.
set -u
TOP=$(pwd)
BUILD=${BUILD:-build}
TCPXD=${TCPXD:-$TOP/$BUILD/tcpxd}
T=$(mktemp -d /tmp/tcpx-dtest.XXXXXX)
chmod 755 "$T"
BG_PIDS=()
H="ip netns exec tcpx-host"
P="ip netns exec tcpx-peer"

say() { echo "$(basename "$0" .sh): $*" >&2; }
skip() { say "skip: $*"; echo "$*"; exit 77; }
fail() {
	say "FAIL: $*"
	if [ -s "$T/tcpxd.log" ]; then
		say "tcpxd log (last 30 lines):"
		tail -30 "$T/tcpxd.log" >&2
	fi
	exit 1
}

cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	sleep 0.2
	for p in "${BG_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

bg() { "$@" 9>&- & BG_PIDS+=($!); }

[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
ip netns add "tcpx-probe-$$" 2>/dev/null ||
	skip "cannot create network namespaces here"
ip netns del "tcpx-probe-$$"
[ -x "$TCPXD" ] || fail "$TCPXD not built"
# One lab per machine: a second `make check` (another checkout, another
# user) waits here instead of tearing our lab down mid-test.  The lock is
# held on fd 9 until this script exits; background jobs do not keep it.
# A caller that holds it already (fd 9 open on the lock: tools.sh, a lab
# script running tests) is not waited for.
if [ "$(readlink /proc/$$/fd/9 2>/dev/null)" != /run/tcpx/lab.lock ]; then
	mkdir -p /run/tcpx
	exec 9> /run/tcpx/lab.lock
	flock -w 300 9 || say "warning: the lab is busy for 5 min; going ahead"
fi
scripts/lab up >/dev/null 2>&1 || fail "scripts/lab up failed"

# start_tcpxd [ARGS...]: tcpxd in tcpx-host, foreground, log in
# $T/tcpxd.log; waits until it serves.  Sets TCPXD_PID.
start_tcpxd() {
	local i
	$H timeout 300 "$TCPXD" --foreground -v --idle-exit 0 "$@" \
		>> "$T/tcpxd.log" 2>&1 9>&- &
	TCPXD_PID=$!
	BG_PIDS+=($TCPXD_PID)
	for i in $(seq 50); do
		grep -q "serving" "$T/tcpxd.log" 2>/dev/null && return 0
		kill -0 "$TCPXD_PID" 2>/dev/null || fail "tcpxd exited at start"
		sleep 0.1
	done
	fail "tcpxd did not start within 5 s"
}

# stop_tcpxd: SIGTERM, and it must exit 0 within 5 s.
stop_tcpxd() {
	local i
	kill -TERM "$TCPXD_PID" 2>/dev/null
	for i in $(seq 50); do
		if ! kill -0 "$TCPXD_PID" 2>/dev/null; then
			wait "$TCPXD_PID"
			return $?
		fi
		sleep 0.1
	done
	fail "tcpxd did not exit within 5 s of SIGTERM"
}

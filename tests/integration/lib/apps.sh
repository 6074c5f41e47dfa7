# tests/integration/lib/apps.sh - shared by the application-level lab
# tests (2N_*.sh): lab setup, skip/fail helpers, waiting for ports.
# Source it from the top of the tree; it sets TOP, BUILD, TCPX, T (a
# scratch directory removed on exit) and brings the lab up.
set -u
TOP=$(pwd)
BUILD=${BUILD:-build}
TCPX=$TOP/$BUILD/tcpx
PY=/usr/bin/python3
# Helpers built with ASan (make check SAN=1) run under LD_PRELOAD too.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
T=$(mktemp -d /tmp/tcpx-test.XXXXXX)
chmod 755 "$T"
BG_PIDS=()

say() { echo "$(basename "$0" .sh): $*" >&2; }
skip() { say "skip: $*"; echo "$*"; exit 77; }
fail() { say "FAIL: $*"; exit 1; }

cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	sleep 0.2
	for p in "${BG_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	if [ -f /run/tcpx/tcpxd-tcpx-h0.log ] && [ "${KEEP_LOG:-0}" = 1 ]; then
		tail -20 /run/tcpx/tcpxd-tcpx-h0.log >&2
	fi
	rm -rf "$T"
}
trap cleanup EXIT

# Background a command; its pid is killed on exit.  With $H/$P the pid
# is the command's own (ip netns exec execs it), so the kill reaches it.
bg() { "$@" & BG_PIDS+=($!); }

# LAB=name runs in a private copy of the lab (namespaces name-host and
# name-peer, same interfaces and addresses), so that a developer can test
# while someone else uses the shared one.
LAB=${LAB:-tcpx}
H="ip netns exec $LAB-host"
P="ip netns exec $LAB-peer"

[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
ip netns add "tcpx-probe-$$" 2>/dev/null || skip "cannot create network namespaces here"
ip netns del "tcpx-probe-$$"
[ -x "$TCPX" ] || fail "$TCPX not built"
[ "${NEED_TCPXD:-1}" = 0 ] || [ -x "$TOP/$BUILD/tcpxd" ] ||
	fail "$TOP/$BUILD/tcpxd not built"
[ -f "$TOP/$BUILD/libtcpx.so" ] || fail "$TOP/$BUILD/libtcpx.so not built"
# LAB_REUSE=1 keeps a lab that is already up (and the tcpxd in it).
private_lab() {
	local pn=$LAB-peer hn=$LAB-host ns
	for ns in $pn $hn; do
		for pid in $(ip netns pids $ns 2>/dev/null); do kill $pid 2>/dev/null; done
		ip netns del $ns 2>/dev/null
	done
	ip netns add $pn && ip netns add $hn || return 1
	ip link add $LAB-a type veth peer name $LAB-b || return 1
	ip link set $LAB-a netns $pn && ip link set $LAB-b netns $hn
	ip -n $pn link set $LAB-a name tcpx-p0 && ip -n $hn link set $LAB-b name tcpx-h0
	ip -n $pn link set lo up; ip -n $hn link set lo up
	ip -n $pn addr add 10.77.0.1/24 dev tcpx-p0
	ip -n $pn link set tcpx-p0 up; ip -n $hn link set tcpx-h0 up
	ip netns exec $hn sysctl -qw net.ipv4.ip_forward=0
	ip netns exec $hn ethtool -K tcpx-h0 gro off gso off tso off tx off rx off >/dev/null 2>&1
	ip netns exec $pn ethtool -K tcpx-p0 gro off gso off tso off tx off rx off >/dev/null 2>&1
	return 0
}
if [ "$LAB" != tcpx ]; then
	[ "${LAB_REUSE:-0}" = 1 ] && ip netns list | grep -q "^$LAB-host" ||
		private_lab || skip "cannot build the private lab $LAB"
elif [ "${LAB_REUSE:-0}" = 1 ] && ip netns list | grep -q '^tcpx-host'; then
	:
else
	# One shared lab per machine: wait for whoever uses it (the lock is
	# held on fd 9 until this script exits), unless the caller holds it
	# already (tools.sh runs its test under flock -o, TCPX_LAB_LOCKED=1).
	if [ "${TCPX_LAB_LOCKED:-0}" != 1 ] &&
	    [ "$(readlink /proc/$$/fd/9 2>/dev/null)" != /run/tcpx/lab.lock ]; then
		mkdir -p /run/tcpx
		exec 9> /run/tcpx/lab.lock
		flock -w 300 9 ||
			say "warning: the lab is busy for 5 min; going ahead"
	fi
	scripts/lab up >/dev/null 2>&1 || fail "scripts/lab up failed"
fi

# wait_port NS ADDR PORT: until a TCP connect from namespace NS succeeds.
wait_port() {
	local i
	for i in $(seq 100); do
		if ip netns exec "$LAB-$1" timeout 1 bash -c \
		    "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	fail "nothing listens on $2:$3 (seen from $1) after 10 s"
}

# wait_port_listen PORT: a LISTEN socket on PORT in the peer, seen with
# ss (a probe connection would be taken as the server's client).
wait_port_listen() {
	local i
	for i in $(seq 100); do
		$P ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	fail "peer: nothing listens on port $1"
}

sha() { sha256sum < "$1" | cut -d' ' -f1; }

# Wait for every background job given, failing after N seconds.
wait_exit() {
	local secs=$1 pid=$2 i
	for i in $(seq $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# Wait until a tcpx listener exists in tcpx-host (its AF_UNIX socket),
# without connecting to it (nc -l would take the probe as its client).
wait_tcpx_listener() {
	local i
	for i in $(seq 100); do
		if $H grep -q '@tcpx/tcpx-h0/l/' /proc/net/unix 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	fail "no tcpx listener in tcpx-host after 10 s"
}

# Stop the background programs, then tcpxd's table must come down to
# nothing but TIME-WAIT entries within a few seconds (closes completed,
# nothing leaked).  Call at the end of a test.
finish_clean() {
	local p i left
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	BG_PIDS=()
	for i in $(seq 50); do
		left=$($H "$TCPX" ss -a -H 2>/dev/null | grep -v '^TIME-WAIT' || true)
		[ -z "$left" ] && return 0
		sleep 0.2
	done
	echo "$left" >&2
	fail "tcpxd still holds more than TIME-WAIT entries 10 s after the test"
}

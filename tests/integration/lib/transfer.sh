# tests/integration/lib/transfer.sh - 4 MB transfers between tcpx (in
# tcpx-host, under `tcpx run`) and the kernel (tcpx-peer) with netcat,
# sha256-checked, while impair.sh spoils both directions of the link.
# Sourced after apps.sh by the 3N tests.
. tests/integration/lib/impair.sh

impair_ok || skip "clang (BPF target) or tc missing: cannot impair the link"
SIZE_MB=${SIZE_MB:-4}
head -c "${SIZE_MB}M" /dev/urandom > "$T/in"
WANT=$(sha "$T/in")
trap 'impair_off $LAB-host tcpx-h0; impair_off $LAB-peer tcpx-p0; cleanup' EXIT

# impair_both LOSS DUP REORDER: what tcpx sends and what it receives.
impair_both() {
	impair_on $LAB-host tcpx-h0 "$@" || fail "impair_on tcpx-h0 failed"
	impair_on $LAB-peer tcpx-p0 "$@" || fail "impair_on tcpx-p0 failed"
}

# A kernel netcat connecting to tcpx: retried while the tcpx listener
# is not up yet (refused connections consume none of the input).
peer_nc() {
	local i
	for i in $(seq 50); do
		$P timeout 40 nc "$@" && return 0
		sleep 0.2
	done
	return 1
}

check_out() { # file what
	[ "$(sha "$1")" = "$WANT" ] ||
		fail "$2: ${SIZE_MB} MB differ ($(stat -c %s "$1") bytes arrived)"
	say "ok: $2, ${SIZE_MB} MB, sha256 equal"
}

# tcpx client sends to a kernel nc -l.
client_sends() { # port what
	$P timeout 60 nc -l 10.77.0.1 $1 > "$T/out" < /dev/null &
	local srv=$!
	BG_PIDS+=($srv)
	wait_port_listen $1
	$H timeout 40 "$TCPX" run nc -N 10.77.0.1 $1 < "$T/in" > /dev/null ||
		fail "$2: tcpx nc exited $?"
	wait_exit 30 $srv || fail "$2: kernel nc -l did not see the end"
	check_out "$T/out" "$2"
}

# tcpx client receives from a kernel nc -l.
client_receives() { # port what
	$P timeout 60 nc -N -l 10.77.0.1 $1 < "$T/in" &
	BG_PIDS+=($!)
	wait_port_listen $1
	$H timeout 40 "$TCPX" run nc -d 10.77.0.1 $1 > "$T/out" ||
		fail "$2: tcpx nc exited $?"
	check_out "$T/out" "$2"
}

# tcpx nc -l receives from a kernel client.
server_receives() { # port what
	$H timeout 60 "$TCPX" run nc -l $1 > "$T/out" < /dev/null &
	local srv=$!
	BG_PIDS+=($srv)
	peer_nc -N 10.77.0.2 $1 < "$T/in" > /dev/null ||
		fail "$2: kernel nc could not send"
	wait_exit 30 $srv || fail "$2: tcpx nc -l did not see the end"
	check_out "$T/out" "$2"
}

# tcpx nc -l sends to a kernel client.
server_sends() { # port what
	$H timeout 60 "$TCPX" run nc -N -l $1 < "$T/in" > /dev/null &
	BG_PIDS+=($!)
	peer_nc -d 10.77.0.2 $1 > "$T/out" ||
		fail "$2: kernel nc could not receive"
	check_out "$T/out" "$2"
}

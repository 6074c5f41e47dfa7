#!/bin/bash
# Applications need no privilege: as nobody, `tcpx run curl` works
# against a tcpxd started by root, and binding port 80 fails with EACCES
# exactly as the kernel would (while 8765 works).
. tests/integration/lib/apps.sh
command -v setpriv >/dev/null || skip "setpriv not installed"

# nobody must reach the binaries: copy them to a world-readable place.
mkdir -p "$T/bin" && cp "$TOP/$BUILD/tcpx" "$TOP/$BUILD/tcpxd" \
	"$TOP/$BUILD/libtcpx.so" "$T/bin/" && chmod -R a+rX "$T"
NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all"

head -c 1024 /dev/urandom > "$T/small"
chmod a+r "$T/small"
bg $P timeout 60 $PY -m http.server 8000 --bind 10.77.0.1 --directory "$T"
wait_port peer 10.77.0.1 8000

# No tcpxd yet: nobody's program cannot start one (no CAP_NET_RAW); it
# gets one line saying so and EACCES, not a hang.
got=$($H timeout 10 $NOBODY "$T/bin/tcpx" run $PY -c '
import socket
try:
    socket.create_connection(("10.77.0.1", 8000))
except OSError as e:
    print(e.errno)' 2> "$T/err")
[ "$got" = 13 ] || { cat "$T/err" >&2; fail "nobody, no tcpxd: errno '$got', want EACCES (13)"; }
[ "$(grep -c '^tcpx: cannot start tcpxd: .*CAP_NET_RAW' "$T/err")" = 1 ] ||
	{ cat "$T/err" >&2; fail "nobody, no tcpxd: want one line naming CAP_NET_RAW"; }
say "ok: nobody cannot start tcpxd: $(cut -c1-60 "$T/err")..."

# root starts tcpxd (it needs CAP_NET_RAW) by using the stack once.
$H timeout 20 "$T/bin/tcpx" run curl -sS -o /dev/null http://10.77.0.1:8000/small ||
	fail "root: tcpx run curl failed"

mkdir -m 1777 "$T/out"
$H timeout 20 $NOBODY "$T/bin/tcpx" run curl -sS -o "$T/out/got" \
	http://10.77.0.1:8000/small 2> "$T/err" ||
	{ cat "$T/err" >&2; fail "nobody: tcpx run curl failed"; }
cmp -s "$T/small" "$T/out/got" || fail "nobody: file differs"
say "ok: nobody fetched through tcpx"

cat > "$T/bind.py" <<'PYEOF'
import errno, socket, sys
s = socket.socket()
try:
    s.bind(("0.0.0.0", int(sys.argv[1])))
    s.listen(1)
    print("bound")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
PYEOF
chmod a+r "$T/bind.py"
got=$($H timeout 10 $NOBODY "$T/bin/tcpx" run $PY "$T/bind.py" 80)
[ "$got" = EACCES ] || fail "nobody: bind port 80 gave '$got', want EACCES"
got=$($H timeout 10 $NOBODY "$T/bin/tcpx" run $PY "$T/bind.py" 8765)
[ "$got" = bound ] || fail "nobody: bind port 8765 gave '$got', want bound"
say "ok: nobody cannot bind port 80 (EACCES), can bind 8765"
finish_clean

#!/bin/bash
# A kernel curl in tcpx-peer fetches from `tcpx run python3 -m
# http.server` in tcpx-host (bound to the wildcard: the listen goes to
# tcpx): a 1 KB and a 100 MB file, sha256 equal.
. tests/integration/lib/apps.sh

head -c 1024 /dev/urandom > "$T/small"
head -c 100M /dev/urandom > "$T/big"
bg $H timeout 120 "$TCPX" run $PY -m http.server 8000 --bind 0.0.0.0 \
	--directory "$T"
wait_port peer 10.77.0.2 8000

$P timeout 20 curl -sS -o "$T/got_small" http://10.77.0.2:8000/small ||
	fail "curl of 1 KB failed (exit $?)"
cmp -s "$T/small" "$T/got_small" || fail "1 KB file differs"
$P timeout 90 curl -sS -o "$T/got_big" http://10.77.0.2:8000/big ||
	fail "curl of 100 MB failed (exit $?)"
[ "$(sha "$T/big")" = "$(sha "$T/got_big")" ] || fail "100 MB file differs"
say "ok: python http.server under tcpx served 1 KB and 100 MB intact"
finish_clean

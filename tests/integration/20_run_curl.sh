#!/bin/bash
# `tcpx run curl` in tcpx-host fetches a 1 KB and a 100 MB file from a
# kernel HTTP server (python3 -m http.server) in tcpx-peer; the bytes
# must arrive intact (sha256), and curl must exit 0.
. tests/integration/lib/apps.sh

head -c 1024 /dev/urandom > "$T/small"
head -c 100M /dev/urandom > "$T/big"
bg $P timeout 120 $PY -m http.server 8000 --bind 10.77.0.1 --directory "$T"
wait_port peer 10.77.0.1 8000

$H timeout 20 "$TCPX" run curl -sS -o "$T/got_small" http://10.77.0.1:8000/small ||
	fail "curl of 1 KB failed (exit $?)"
cmp -s "$T/small" "$T/got_small" || fail "1 KB file differs"

start=$(date +%s.%N)
$H timeout 90 "$TCPX" run curl -sS -o "$T/got_big" http://10.77.0.1:8000/big ||
	fail "curl of 100 MB failed (exit $?)"
end=$(date +%s.%N)
[ "$(sha "$T/big")" = "$(sha "$T/got_big")" ] || fail "100 MB file differs"
say "ok: 1 KB and 100 MB intact ($(awk "BEGIN {printf \"%.2f\", $end - $start}") s for 100 MB)"
finish_clean

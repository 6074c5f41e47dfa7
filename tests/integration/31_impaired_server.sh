#!/bin/bash
# tcpx as the server (nc -l under tcpx run), both directions, 4 MB each,
# sha256 equal, with loss, duplication and reordering on both ends of
# the link.
. tests/integration/lib/apps.sh
. tests/integration/lib/transfer.sh

[ "$LAB" = tcpx ] && scripts/lab offloads on >/dev/null
impair_both 2 1 10
server_receives 9310 "loss 2% dup 1% reorder 10%: tcpx server receives"
server_sends 9311 "loss 2% dup 1% reorder 10%: tcpx server sends"
impair_off $LAB-host tcpx-h0
impair_off $LAB-peer tcpx-p0
[ "$LAB" = tcpx ] && scripts/lab offloads off >/dev/null
finish_clean

#!/bin/bash
# tcpx as the client, both directions, 4 MB each with nc, sha256 equal,
# while both ends of the link lose, duplicate and reorder packets (the
# kernel peer sending 64 KB TSO bursts, tcpxd GSO ones); then loss
# alone at 5% with the peer's offloads off, so that it loses single
# MTU-sized segments.
. tests/integration/lib/apps.sh
. tests/integration/lib/transfer.sh

[ "$LAB" = tcpx ] && scripts/lab offloads on >/dev/null
impair_both 2 1 10
client_sends 9300 "loss 2% dup 1% reorder 10%: tcpx client sends"
client_receives 9301 "loss 2% dup 1% reorder 10%: tcpx client receives"
[ "$LAB" = tcpx ] && scripts/lab offloads off >/dev/null
impair_both 5 0 0
client_sends 9302 "loss 5%: tcpx client sends"
client_receives 9303 "loss 5%: tcpx client receives"
impair_off $LAB-host tcpx-h0
impair_off $LAB-peer tcpx-p0
finish_clean

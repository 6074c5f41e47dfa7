#!/bin/bash
# tcpx trace: a fetch traced with a port filter stops by itself when the
# connection reaches TIME-WAIT (--until-closed); the live lines are
# tcpdump's; the pcap (--pcap) is read by tcpdump -r with the expected
# packets and flags and nothing from the filtered-out port; the mermaid
# file (--mermaid) has the expected participants, arrows (one per
# packet) and state notes; -c stops after COUNT events.
. tests/integration/lib/tools.sh
start_tcpxd
peer_serve 7301 http

$H timeout 20 "$TCPX" trace -u --pcap "$T/c.pcap" --mermaid "$T/c.md" port 7301 \
	> "$T/trace.out" 2> "$T/trace.err" &
tr=$!
BG_PIDS+=($tr)
for i in $(seq 30); do grep -q listening "$T/trace.err" && break; sleep 0.1; done
# Traffic on another port first: the filter must keep it out.
$H timeout 10 "$TCPX" run "$SCEN" connect 10.77.0.1 7302 > /dev/null
$H timeout 10 "$TCPX" run curl -sS -o /dev/null http://10.77.0.1:7301/ || fail "curl failed"
wait_exit 5 $tr || { cat "$T/trace.out" "$T/trace.err" >&2; fail; } || fail "trace -u did not stop by itself when the connection closed"
grep -q "diagram written to $T/c.md" "$T/trace.err" || fail "trace did not say where the diagram went"

grep -Eq '^[0-9:.]+ > IP 10\.77\.0\.2\.[0-9]+ > 10\.77\.0\.1\.7301: Flags \[S\], seq [0-9]+, win 64240, options \[mss 1460,sackOK,TS val [0-9]+ ecr 0,nop,wscale 10\], length 0$' "$T/trace.out" ||
	{ cat "$T/trace.out" >&2; fail "no tcpdump-style SYN line"; }
grep -q 'SYN-SENT -> ESTABLISHED (rcv SYN+ACK)' "$T/trace.out" ||
	{ cat "$T/trace.out" >&2; fail "no state line with its cause"; }
grep -q '7302' "$T/trace.out" && fail "the port filter let port 7302 through"
say "ok: live trace lines, filtered, stopped at TIME-WAIT"

tcpdump -nr "$T/c.pcap" > "$T/pcap.txt" 2> "$T/pcap.err" || { cat "$T/pcap.err" >&2; fail "tcpdump -r cannot read the pcap"; }
flags=$(sed -nE 's/.*Flags \[([^]]*)\].*/\1/p' "$T/pcap.txt" | tr '\n' ' ')
# curl closes first after the response: S, S., ., P. (request), ., P. (response), ., F., ., F.? ...
case "$flags" in
"S S. . P. . P. . F. "*) ;;
*) cat "$T/pcap.txt" >&2; fail "pcap flags '$flags' do not start with the handshake, request, response, FIN" ;;
esac
echo "$flags" | grep -q 'F\. .*F\.' || fail "pcap: want a FIN each way, got '$flags'"
grep -q 7302 "$T/pcap.txt" && fail "pcap holds port 7302 packets"
npkts=$(wc -l < "$T/pcap.txt")
say "ok: tcpdump -r reads $npkts packets: $flags"

md=$T/c.md
head -1 "$md" | grep -qx sequenceDiagram || { cat "$md" >&2; fail "mermaid: no sequenceDiagram"; }
grep -Eq '^    participant T as tcpx 10\.77\.0\.2:[0-9]+<br/>\(CLOSED\)$' "$md" &&
grep -Eq '^    participant P as peer 10\.77\.0\.1:7301<br/>\(LISTEN\)$' "$md" ||
	{ cat "$md" >&2; fail "mermaid: participants with their states"; }
grep -Eq '^    T->>P: ① SYN<br/>seq=0<br/>mss 1460, sackOK, TS, wscale 10$' "$md" &&
grep -Eq '^    P->>T: ② SYN\+ACK<br/>seq=0, ack=1<br/>mss 1460, sackOK, TS, wscale [0-9]+$' "$md" &&
grep -Eq '^    T->>P: ③ ACK<br/>seq=1, ack=1<br/>TS$' "$md" &&
grep -Eq '^    T->>P: .* FIN\+ACK<br/>seq=' "$md" ||
	{ cat "$md" >&2; fail "mermaid: arrows for SYN, SYN+ACK, ACK, FIN"; }
narrows=$(grep -c -- '->>' "$md")
[ "$narrows" = "$npkts" ] || { cat "$md" >&2; fail "mermaid: $narrows arrows for $npkts packets"; }
grep -q '^    Note over T: ESTABLISHED<br/>(rcv SYN+ACK)$' "$md" &&
grep -q '^    Note over T: TIME-WAIT' "$md" &&
grep -q '^    Note over P: LAST-ACK<br/>(inferred)$' "$md" ||
	{ cat "$md" >&2; fail "mermaid: state notes (ESTABLISHED, TIME-WAIT, the peer's LAST-ACK)"; }
say "ok: mermaid: participants, $narrows arrows, state notes"

$H timeout 10 "$TCPX" trace -s -c 2 > "$T/c2.out" 2>/dev/null &
c2=$!
sleep 0.3
$H timeout 10 "$TCPX" run curl -sS -o /dev/null http://10.77.0.1:7301/ || fail "curl 2 failed"
wait_exit 5 $c2 || fail "trace -c 2 did not stop after 2 events"
[ "$(wc -l < "$T/c2.out")" = 2 ] || fail "trace -c 2 printed $(wc -l < "$T/c2.out") lines"
$H "$TCPX" trace 'port and' > /dev/null 2>&1 && fail "a bad filter was accepted"
say "ok: -c COUNT, bad filter refused"
# A bulk send: super-segments show whole, with their length, although
# the trace event has their headers only (tcpxd sends the payload from
# the send queue where it lies, and the event carries 128 bytes).
peer_serve 7303 drain
$H timeout 20 "$TCPX" trace port 7303 > "$T/bulk.out" 2> "$T/bulk.err" &
tb=$!
BG_PIDS+=($tb)
for i in $(seq 30); do grep -q listening "$T/bulk.err" && break; sleep 0.1; done
head -c 400000 /dev/zero | $H timeout 10 "$TCPX" run nc -N 10.77.0.1 7303 \
	> /dev/null || fail "nc upload failed"
sleep 0.3
kill $tb
big=$(awk '/ > IP 10\.77\.0\.2\.[0-9]+ > 10\.77\.0\.1\.7303: Flags \[[^]]*\], seq [0-9]+:[0-9]+,.*, length [0-9]+$/ {
	split($0, a, "seq "); split(a[2], b, "[:,]"); n = $NF
	if (n > 1448 && b[2] - b[1] == n) big++ } END { print big + 0 }' "$T/bulk.out")
[ "$big" -gt 0 ] || { cat "$T/bulk.out" >&2; fail "no super-segment line with its seq range and length"; }
say "ok: $big super-segments traced whole from their headers"
finish_clean

# tests/integration/lib/impair.sh - loss, duplication and reordering on
# a lab interface, as `tc qdisc ... netem` would do them; this kernel has
# no sch_netem, so impair.bpf.c does it from a tc egress hook (see there).
#
#   impair_on NS DEV LOSS% DUP% REORDER%   e.g. impair_on tcpx-peer tcpx-p0 1 0 10
#   impair_off NS DEV
#
# Impairs what DEV sends.  Needs clang (BPF target) and tc with libbpf;
# impair_ok says whether they are there.  Objects are built once per
# setting under ${IMPAIR_DIR:-/tmp/tcpx-impair}.
IMPAIR_SRC=${IMPAIR_SRC:-$(dirname "${BASH_SOURCE[0]}")/impair.bpf.c}
IMPAIR_DIR=${IMPAIR_DIR:-/tmp/tcpx-impair}

impair_ok() {
	command -v clang >/dev/null && command -v tc >/dev/null &&
		[ -f /usr/include/linux/bpf.h ]
}

# Percent (may be fractional) to parts per million.
impair_ppm() { awk -v p="$1" 'BEGIN { printf "%d", p * 10000 }'; }

impair_on() {
	local ns=$1 dev=$2 loss dup reo obj inc
	loss=$(impair_ppm "$3"); dup=$(impair_ppm "$4"); reo=$(impair_ppm "$5")
	mkdir -p "$IMPAIR_DIR"
	obj=$IMPAIR_DIR/impair-$loss-$dup-$reo.o
	inc=/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
	if [ ! -s "$obj" ] || [ "$IMPAIR_SRC" -nt "$obj" ]; then
		clang -O2 -target bpf -I"$inc" -DLOSS_PPM="$loss" \
		    -DDUP_PPM="$dup" -DREORDER_PPM="$reo" \
		    -c "$IMPAIR_SRC" -o "$obj.tmp" && mv "$obj.tmp" "$obj" ||
			return 1
	fi
	impair_off "$ns" "$dev"
	ip netns exec "$ns" tc qdisc add dev "$dev" root handle 1: htb &&
	ip netns exec "$ns" tc class add dev "$dev" parent 1: classid 1:2 \
	    htb rate 1gbit quantum 1500 &&
	ip netns exec "$ns" tc qdisc add dev "$dev" clsact &&
	ip netns exec "$ns" tc filter add dev "$dev" egress bpf da \
	    obj "$obj" sec tc
}

impair_off() {
	ip netns exec "$1" tc qdisc del dev "$2" clsact 2>/dev/null
	ip netns exec "$1" tc qdisc del dev "$2" root 2>/dev/null
	return 0
}

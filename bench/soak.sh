#!/bin/bash
# Soak test (a measurement, not part of CI): netsift probe -i meters a
# steady stream for a long time; memory must stay flat.  A capture made by
# `netsift gen` is replayed in a loop (tcpreplay --loop 0) at a fixed rate
# onto a veth pair between two network namespaces made here; the probe
# captures on the other end with --metrics on the namespace's loopback.
# Every minute: the probe's resident memory (VmRSS), its peak so far
# (VmHWM), and from a /metrics scrape the packets metered, kernel drops
# and active flows.  At the end the probe is stopped with SIGTERM and its
# summary printed.
#
#   bench/soak.sh [SECONDS] [PPS] [FLOWS]     defaults 600 10000 20000
#
# Nothing leaves the namespaces.  Results: bench/README.md ("Soak").
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-600}
PPS=${2:-10000}
FLOWS=${3:-20000}
OUT=${BENCH_OUT:-bench/out}
mkdir -p "$OUT"
NS=$PWD/build/netsift
[ -x "$NS" ] || make >/dev/null
PCAP="$OUT/soak-$FLOWS.pcap"
[ -f "$PCAP" ] || $NS gen -w "$PCAP" --flows "$FLOWS" --snaplen 128 --seed 7 >/dev/null 2>&1
ONE=$($NS probe -r "$PCAP" -w /dev/null 2>&1 | sed -n 's/^netsift probe: \([0-9]*\) packets.*/\1/p')
echo "input: $PCAP, $ONE packets, $FLOWS flows, looped at $PPS packets/s for $SECS s"

P="nsk$$"
S=${P}s R=${P}r
TMPD=$(mktemp -d)
cleanup() {
    [ -n "${rep:-}" ] && kill "$rep" 2>/dev/null || true
    [ -n "${probe:-}" ] && kill "$probe" 2>/dev/null || true
    ip netns del $S 2>/dev/null || true
    ip netns del $R 2>/dev/null || true
    rm -rf "$TMPD"
}
trap cleanup EXIT
ip netns add $S
ip netns add $R
for n in $S $R; do
    ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec $n sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    ip netns exec $n ip link set lo up
done
ip netns exec $S ip link add s0 mtu 9000 type veth peer name r0 mtu 9000 netns $R
ip netns exec $S ip link set s0 up
ip netns exec $R ip link set r0 up

ip netns exec $R "$NS" probe -i r0 -w /dev/null --metrics 127.0.0.1:19300 2>"$TMPD/probe.log" &
probe=$!
for _ in $(seq 100); do
    [ "$(ip netns exec $R tail -n +2 /proc/net/packet | wc -l)" -ge 1 ] && break
    sleep 0.1
done
ip netns exec $S tcpreplay -q -i s0 --pps "$PPS" --loop 0 "$PCAP" >"$TMPD/replay.log" 2>&1 &
rep=$!

metric() { # name -> value
    ip netns exec $R curl -sf http://127.0.0.1:19300/metrics | awk -v k="$1" '$1 == k {print $2}'
}
kib() { awk -v k="$1:" '$1 == k {print $2}' /proc/$probe/status; }
printf "%6s %12s %10s %12s %10s %10s\n" minute packets drops "flows active" "RSS MiB" "peak MiB"
start=$(date +%s)
min=0
while :; do
    sleep $((start + (min + 1) * 60 - $(date +%s) > 0 ? start + (min + 1) * 60 - $(date +%s) : 0))
    min=$((min + 1))
    printf "%6d %12s %10s %12s %10.1f %10.1f\n" $min "$(metric netsift_packets_total)" \
        "$(metric netsift_kernel_drops_total)" "$(metric netsift_flows_active)" \
        "$(awk -v v="$(kib VmRSS)" 'BEGIN {print v / 1024}')" \
        "$(awk -v v="$(kib VmHWM)" 'BEGIN {print v / 1024}')"
    [ $((min * 60)) -lt "$SECS" ] || break
done
kill "$rep" 2>/dev/null || true
wait "$rep" 2>/dev/null || true
rep=
kill -TERM "$probe"
wait "$probe" || echo "probe exit $?"
probe=
grep -E "^netsift probe:|kernel|records by end" "$TMPD/probe.log"

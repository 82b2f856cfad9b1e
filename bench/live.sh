#!/bin/bash
# Live capture load test (not a test: a measurement).  Replays a generated
# capture with tcpreplay at increasing packet rates onto a veth pair
# between two network namespaces made here, while one program captures on
# the other end, and reports for each program the highest rate at which it
# saw every packet sent (zero drops):
#
#   netsift probe -i     (kernel drops from its summary, and packets counted)
#   netsift2: netsift probe -i --workers 2 (two sockets in one PACKET_FANOUT
#                        group, two flow caches; drops summed over both)
#   argus -i             (packets in its flow records)
#   softflowd -i         (softflowctl statistics: received and dropped by libpcap)
#
#   bench/live.sh [RATES] [FLOWS] [LOOPS]
#       defaults "25000 50000 100000 200000 400000 topspeed", 2000 flows
#       (83 779 packets), replayed 5 times in a row (tcpreplay --loop) so
#       that no program's buffer can hold a whole run
#
# Each program runs with its defaults (netsift: 64 MiB ring; NS_OPTS adds
# options, e.g. NS_OPTS="--ring-blocks 2" for a 2 MiB ring like libpcap's
# default buffer; TOOLS picks the programs).  The sender
# shares the machine's cores with the capturing program, so on a small VM
# tcpreplay itself tops out: the achieved rate (tcpreplay's own report) is
# printed next to the requested one.  Nothing leaves the namespaces;
# softflowd exports to a closed port on the receiving namespace's loopback.
set -eu
cd "$(dirname "$0")/.."
RATES=${1:-"25000 50000 100000 200000 400000 topspeed"}
FLOWS=${2:-2000}
LOOPS=${3:-5}
OUT=${BENCH_OUT:-bench/out}
mkdir -p "$OUT"
NS=${NS_BIN:-$PWD/build/netsift} # a copy keeps a rebuild from changing it mid-run
[ -x "$NS" ] || make >/dev/null
PCAP="$OUT/live-$FLOWS.pcap"
[ -f "$PCAP" ] || $NS gen -w "$PCAP" --flows "$FLOWS" --snaplen 128 --seed 42 >/dev/null 2>&1
ONE=$($NS probe -r "$PCAP" -w /dev/null 2>&1 | sed -n 's/^netsift probe: \([0-9]*\) packets.*/\1/p')
SENT=$((ONE * LOOPS))
echo "input: $PCAP, $ONE packets of at most 128 bytes, $FLOWS flows, sent $LOOPS times: $SENT packets"

P="nlb$$"
S=${P}s R=${P}r
TMPD=$(mktemp -d)
cleanup() {
    [ -n "${cap:-}" ] && kill "$cap" 2>/dev/null || true
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

# start <tool>: capture on r0 in the background
start() {
    case $1 in
    netsift)
        # shellcheck disable=SC2086
        ip netns exec $R "$NS" probe -i r0 ${NS_OPTS:-} -w /dev/null 2>"$TMPD/log" &
        ;;
    netsift2)
        # shellcheck disable=SC2086
        ip netns exec $R "$NS" probe -i r0 --workers 2 ${NS_OPTS:-} -w /dev/null 2>"$TMPD/log" &
        ;;
    argus)
        rm -f "$TMPD/a.argus"
        ip netns exec $R argus -i r0 -w "$TMPD/a.argus" 2>"$TMPD/log" &
        ;;
    softflowd)
        rm -f "$TMPD/ctl"
        ip netns exec $R softflowd -d -i r0 -c "$TMPD/ctl" -v 10 -n 127.0.0.1:9 >"$TMPD/log" 2>&1 &
        ;;
    esac
    cap=$!
    sleep 1.5
}
# stop <tool>: sets seen and drops
stop() {
    sleep 1
    case $1 in
    netsift | netsift2)
        kill -TERM $cap
        wait $cap || true
        seen=$(sed -n 's/^netsift probe: \([0-9]*\) packets.*/\1/p' "$TMPD/log")
        # the interface's line: the kernel's drops summed over the workers
        drops=$(sed -n 's/^  kernel r0 (.* received, \([0-9]*\) dropped.*/\1/p' "$TMPD/log")
        ;;
    argus)
        kill -TERM $cap
        wait $cap || true
        seen=$(ra -r "$TMPD/a.argus" -n -s pkts -c , - not man 2>/dev/null | awk -F, '{s+=$1} END {print s+0}')
        drops=$((SENT > seen ? SENT - seen : 0))
        ;;
    softflowd)
        st=$(ip netns exec $R softflowctl -c "$TMPD/ctl" statistics 2>&1 || true)
        ip netns exec $R softflowctl -c "$TMPD/ctl" shutdown >/dev/null 2>&1 || kill $cap
        wait $cap || true
        # its own counters: what libpcap handed over and what was dropped
        seen=$(echo "$st" | sed -n 's/^Packets received by libpcap: \([0-9]*\).*/\1/p')
        seen=${seen:-0}
        d1=$(echo "$st" | sed -n 's/^Packets dropped by libpcap: \([0-9]*\).*/\1/p')
        d2=$(echo "$st" | sed -n 's/^Packets dropped by interface: \([0-9]*\).*/\1/p')
        drops=$((${d1:-0} + ${d2:-0}))
        [ "$seen" -ge "$SENT" ] || drops=$((drops > SENT - seen ? drops : SENT - seen))
        ;;
    esac
    cap=
}

printf '%-10s %10s %12s %10s %10s %s\n' program requested achieved seen drops zero-loss
declare -A best worst
for tool in ${TOOLS:-netsift netsift2 argus softflowd}; do
    command -v "${tool%% *}" >/dev/null || [ "${tool#netsift}" != "$tool" ] || { echo "$tool: not installed"; continue; }
    best[$tool]="0 pps"
    for rate in $RATES; do
        start $tool
        if [ "$rate" = topspeed ]; then opt=--topspeed; else opt=--pps=$rate; fi
        rep=$(ip netns exec $S tcpreplay -i s0 --loop=$LOOPS $opt "$PCAP" 2>&1)
        achieved=$(echo "$rep" | sed -n 's/.*Rated: [0-9.]* Bps, [0-9.]* Mbps, \([0-9.]*\) pps.*/\1/p' | head -1)
        stop $tool
        ok=no
        a=${achieved%.*}
        a=${a:-0}
        if [ "$drops" = 0 ] && [ "$seen" -ge "$SENT" ]; then
            ok=yes
            [ "$a" -le "${best[$tool]%% *}" ] 2>/dev/null || best[$tool]="$a pps"
        elif [ -z "${worst[$tool]:-}" ] || [ "$a" -lt "${worst[$tool]%% *}" ]; then
            worst[$tool]="$a pps"
        fi
        printf '%-10s %10s %12s %10s %10s %s\n' "$tool" "$rate" "${achieved%.*}" "$seen" "$drops" $ok
    done
done
echo
echo "highest achieved rate with zero drops (lowest rate that lost packets):"
for tool in ${TOOLS:-netsift netsift2 argus softflowd}; do
    [ -n "${best[$tool]:-}" ] && printf '  %-10s %s (%s)\n' "$tool" "${best[$tool]}" "${worst[$tool]:-none}"
done

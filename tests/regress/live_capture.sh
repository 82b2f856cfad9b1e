#!/bin/bash
# netsift probe -i: live capture on a veth pair between two network
# namespaces made here.  Real captures are replayed with tcpreplay onto one
# end while the probe captures on the other; its flows must equal those of
# reading the same capture from the file (keys, packets and octets per key
# and direction, summed over records; times differ and are left out), with
# both back ends (tpacket ring, libpcap).  Also checked:
#   - VLAN-tagged captures (802.1Q, QinQ) give the same VLAN keys: the
#     kernel strips the outer tag and the tpacket back end puts it back;
#   - two interfaces at once (-i twice), each packet once;
#   - the kernel filter (same expression as for files) keeps what the file
#     filter keeps;
#   - the kernel counters are reported: every replayed frame received,
#     0 dropped at this rate, the ingress ifindex named;
#   - SIGTERM in the middle of a replay: exit 0, every packet the summary
#     counted is in the output, which ipfixDump reads to the end (flow
#     records, type records, and the statistics options records with the
#     kernel counters);
#   - --count and --duration end the run by themselves.
# Skipped (77) only when namespaces cannot be made.
. "$(dirname "$0")/lib/common.sh"
need_shared
need tcpreplay
. "$(dirname "$0")/lib/netns.sh"
P="nlc$$"
netns_pair "$P"
# two links: s0 -> r0 and s1 -> r1; large MTU so no captured frame is refused
for i in 0 1; do
    ip netns exec $S ip link add s$i mtu 9000 type veth peer name r$i mtu 9000 netns $R
    ip netns exec $S ip link set s$i up
    ip netns exec $R ip link set r$i up
done
ins() { ip netns exec $S "$@"; }
inr() { ip netns exec $R "$@"; }

# per key and direction: packets and octets, summed over records
FIELDS=proto,saddr,sport,daddr,dport,vlan,spkts,dpkts,sbytes,dbytes
flows() {
    "$NS_BIN" read -r "$1" -s $FIELDS -F csv | tail -n +2 |
        awk -F, '{k=$1","$2","$3","$4","$5","$6; p[k]+=$7; q[k]+=$8; b[k]+=$9; c[k]+=$10}
                 END {for (k in p) print k","p[k]","q[k]","b[k]","c[k]}' | sort
}
TIMEOUTS=(--status 0 --idle 1h --tcp-idle 1h)

start_probe() { # out log args...
    local out=$1 log=$2
    shift 2
    ip netns exec $R "$NS_BIN" probe "${TIMEOUTS[@]}" -w "$out" --ring-blocks 8 "$@" 2>"$log" &
    probe=$!
    pids+=("$probe")
    netns_wait_sockets $probe "$(grep -o -- '-i ' <<<"$*" | wc -l)" "$log"
}
stop_probe() { # log
    # on SIGTERM the probe still takes what the kernel has (the last ring
    # block is handed over within --block-timeout, 100 ms)
    kill -TERM $probe
    local rc=0
    wait $probe || rc=$?
    [ $rc -eq 0 ] || { cat "$1" >&2; fail "probe exited $rc after SIGTERM"; }
}
replay() { # iface pcap [pps]
    ins tcpreplay -q -i "$1" --pps "${3:-3000}" "$2" >"$TMP/replay.log" 2>&1 ||
        { cat "$TMP/replay.log" >&2; fail "tcpreplay $2"; }
}
ifindex() { inr cat /sys/class/net/$1/ifindex; }

EXTRA=() # more probe options for both runs (packet selection)
compare() { # name pcap backend [filter...]
    local name=$1 pcap=$2 be=$3
    shift 3
    "$NS_BIN" probe -q "${TIMEOUTS[@]}" "${EXTRA[@]}" -r "$pcap" -w "$TMP/$name.file.ipfix" -- "$@"
    start_probe "$TMP/$name.live.ipfix" "$TMP/$name.log" --capture "$be" "${EXTRA[@]}" -i r0 -- "$@"
    replay s0 "$pcap"
    stop_probe "$TMP/$name.log"
    flows "$TMP/$name.file.ipfix" >"$TMP/$name.file"
    flows "$TMP/$name.live.ipfix" >"$TMP/$name.live"
    [ -s "$TMP/$name.file" ] || fail "$name: no flows from the file"
    diff "$TMP/$name.file" "$TMP/$name.live" >"$TMP/$name.diff" ||
        { head -20 "$TMP/$name.diff" "$TMP/$name.log" >&2; fail "$name ($be): live flows differ from the file's"; }
    # the kernel saw exactly the frames sent (after the filter), none dropped
    local sent
    sent=$("$NS_BIN" probe "${TIMEOUTS[@]}" -r "$pcap" -w /dev/null -- "$@" 2>&1 |
        sed -n 's/^netsift probe: \([0-9]*\) packets.*/\1/p')
    local want="kernel r0 (ifindex $(ifindex r0)): $sent received, 0 dropped"
    grep -qF "$want" "$TMP/$name.log" ||
        { cat "$TMP/$name.log" >&2; fail "$name ($be): no '$want' in the summary"; }
    local metered=$sent
    [ ${#EXTRA[@]} = 0 ] || metered=$("$NS_BIN" probe "${TIMEOUTS[@]}" "${EXTRA[@]}" -r "$pcap" \
        -w /dev/null -- "$@" 2>&1 | sed -n 's/^netsift probe: \([0-9]*\) packets.*/\1/p')
    grep -q "^netsift probe: $metered packets" "$TMP/$name.log" ||
        { cat "$TMP/$name.log" >&2; fail "$name ($be): summary does not count $metered packets"; }
    echo "ok $name ($be): $(wc -l <"$TMP/$name.file") flow keys, $sent packets"
}

for be in tpacket pcap; do
    compare web "$PCAPS/zeek-http-bro-org.pcap" $be
    compare teams "$PCAPS/ndpi-teams.pcap" $be
    compare vlan "$PCAPS/zeek-vlan-http.pcap" $be
    compare dot1q "$PCAPS/zeek-icmp-dot1q.pcap" $be
    compare qinq "$PCAPS/zeek-qinq.pcap" $be
    compare vlancoll "$PCAPS/zeek-vlan-collisions.pcap" $be
    compare filtered "$PCAPS/ndpi-teams.pcap" $be udp and not port 53
done
# PSAMP selection runs in the live reader as in the file reader: a match
# then a 1-in-3 count selector pick the same packets from the wire
EXTRA=(--select 'match:tcp' --select count:1/3)
compare selected "$PCAPS/zeek-http-bro-org.pcap" tpacket
EXTRA=()
# the VLAN keys are really there: VLAN 123, 13 (outer of QinQ), and one
# 5-tuple seen on VLANs 0, 10 and 42 is three flows
for t in dot1q:123 qinq:13 vlancoll:10 vlancoll:42; do
    awk -F, -v v="${t#*:}" '$6 == v {n++} END {exit n ? 0 : 1}' "$TMP/${t%%:*}.live" ||
        fail "no VLAN ${t#*:} key in ${t%%:*}.live"
done
[ "$(wc -l <"$TMP/vlancoll.live")" -eq 3 ] || fail "vlan-collisions: not 3 keys"

# two interfaces: each capture on its own link, at the same time
A="$PCAPS/zeek-http-bro-org.pcap" B="$PCAPS/ndpi-dns-doh.pcap"
"$NS_BIN" probe -q "${TIMEOUTS[@]}" -r "$A" "$B" -w "$TMP/two.file.ipfix"
start_probe "$TMP/two.live.ipfix" "$TMP/two.log" -i r0 -i r1
replay s0 "$A" &
r1=$!
replay s1 "$B"
wait $r1
stop_probe "$TMP/two.log"
flows "$TMP/two.file.ipfix" >"$TMP/two.file"
flows "$TMP/two.live.ipfix" >"$TMP/two.live"
diff "$TMP/two.file" "$TMP/two.live" >/dev/null || { cat "$TMP/two.log" >&2; fail "two interfaces: flows differ"; }
grep -q "kernel r0 (ifindex $(ifindex r0)): 751 received, 0 dropped" "$TMP/two.log" ||
    { cat "$TMP/two.log" >&2; fail "two interfaces: r0 counters"; }
grep -q "kernel r1 (ifindex $(ifindex r1)): 142 received, 0 dropped" "$TMP/two.log" ||
    { cat "$TMP/two.log" >&2; fail "two interfaces: r1 counters"; }
echo "ok two interfaces"

# SIGTERM in the middle of a replay (751 packets at 250/s: 3 s)
start_probe "$TMP/term.ipfix" "$TMP/term.log" -i r0
replay s0 "$A" 250 &
r1=$!
sleep 1.2
kill -TERM $probe
rc=0
wait $probe || rc=$?
wait $r1
[ $rc -eq 0 ] || { cat "$TMP/term.log" >&2; fail "SIGTERM mid-run: exit $rc"; }
n=$(sed -n 's/^netsift probe: \([0-9]*\) packets.*/\1/p' "$TMP/term.log")
[ -n "$n" ] && [ "$n" -gt 50 ] && [ "$n" -lt 751 ] ||
    { cat "$TMP/term.log" >&2; fail "SIGTERM mid-run: $n packets, wanted part of 751"; }
got=$("$NS_BIN" read -r "$TMP/term.ipfix" -s spkts,dpkts -F csv | tail -n +2 |
    awk -F, '{s+=$1+$2} END {print s+0}')
[ "$got" -eq "$n" ] || fail "SIGTERM mid-run: records hold $got packets, summary says $n"
if command -v ipfixDump >/dev/null; then
    # an independent reader gets to the end without complaint, and finds
    # every record (plus the RFC 5610 type records that open the stream)
    ipfixDump -i "$TMP/term.ipfix" >"$TMP/term.dump" 2>&1 || fail "ipfixDump cannot read it"
    ! grep -qiE 'error|warn|invalid|malformed' "$TMP/term.dump" || fail "ipfixDump complained"
    recs=$("$NS_BIN" read -r "$TMP/term.ipfix" -F csv | tail -n +2 | wc -l)
    nti=$(grep -c 'informationElementName : ' "$TMP/term.dump")
    # and the statistics options records (live: kernel drops, optrec.h)
    nst=$(grep -cE '^\s*count: +[0-9]+ +tid: +[0-9]+ \(0xff1[0-4]\)' "$TMP/term.dump" || true)
    [ "$nst" -ge 4 ] || fail "ipfixDump: $nst statistics records (0xff10-0xff14), wanted 4 or more"
    grep -qE "File Stats: [0-9]+ Messages, $((recs + nti + nst)) Data Records" "$TMP/term.dump" ||
        fail "ipfixDump: $(grep 'File Stats' "$TMP/term.dump"), wanted $recs + $nti + $nst"
fi
echo "ok SIGTERM mid-run: $n packets, all in the output"

# --count and --duration end by themselves
ip netns exec $R "$NS_BIN" probe "${TIMEOUTS[@]}" -w "$TMP/count.ipfix" --ring-blocks 8 -i r0 --count 100 \
    2>"$TMP/count.log" &
probe=$!
pids+=("$probe")
netns_wait_sockets $probe 1 "$TMP/count.log"
replay s0 "$A"
wait $probe || fail "--count: exit $?"
grep -q "^netsift probe: 100 packets" "$TMP/count.log" || { cat "$TMP/count.log" >&2; fail "--count 100"; }
t0=$(date +%s%N)
inr "$NS_BIN" probe -q -w "$TMP/dur.ipfix" --ring-blocks 8 -i r0 --duration 1s
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
[ $ms -ge 1000 ] && [ $ms -lt 5000 ] || fail "--duration 1s took $ms ms"
echo "ok --count, --duration (${ms} ms)"

# errors: no such interface, both -r and -i
if inr "$NS_BIN" probe -w /dev/null -i nosuch0 2>"$TMP/err.log"; then fail "nosuch0 accepted"; fi
grep -q "nosuch0: no such interface" "$TMP/err.log" || fail "nosuch0 message: $(cat "$TMP/err.log")"
if "$NS_BIN" probe -w /dev/null -i lo -r "$A" 2>/dev/null; then fail "-i with -r accepted"; fi
echo "ok errors"

#!/bin/bash
# netsift probe -i IFACE --workers 2: two TPACKET_V3 sockets per interface
# in one PACKET_FANOUT group (capture/live.h), one flow cache per worker,
# records through one writer.  Real captures are replayed with tcpreplay
# onto a veth in a network namespace made here; the live flows must equal
# those of reading the same capture from the file with one worker: per key
# (proto, addresses, ports, VLAN) the number of records and the packets and
# octets of each direction (times differ and are left out).  Checked:
#   - the default fan-out (a cBPF hash of the outer addresses, the same
#     function as for files) on web, Teams, fragmented DNS (IPv4
#     fragments), a 6in4 tunnel, VLAN, QinQ and IPv6 captures;
#   - the kernel counters: per worker, and summed they are every replayed
#     frame, 0 dropped (nothing seen twice while a socket joins its group);
#   - both workers had packets where the capture has several host pairs;
#   - the capture filter still runs in the kernel on every member socket;
#   - two interfaces with two workers each;
#   - --fanout hash (PACKET_FANOUT_HASH | FLAG_DEFRAG) equals the file on
#     unfragmented traffic, and, as capture/live.h says, hands fragmented
#     IPv4 datagrams over reassembled: fewer packets than the file has.
# Skipped (77) only when namespaces cannot be made.
. "$(dirname "$0")/lib/common.sh"
need_shared
need tcpreplay
. "$(dirname "$0")/lib/netns.sh"
P="nlw$$"
netns_pair "$P"
for i in 0 1; do
    ip netns exec $S ip link add s$i mtu 9000 type veth peer name r$i mtu 9000 netns $R
    ip netns exec $S ip link set s$i up
    ip netns exec $R ip link set r$i up
done
inr() { ip netns exec $R "$@"; }

# per key: records, and packets and octets of each direction
FIELDS=proto,saddr,sport,daddr,dport,vlan,spkts,dpkts,sbytes,dbytes
flows() {
    "$NS_BIN" read -r "$1" -s $FIELDS -F csv | tail -n +2 |
        awk -F, '{k=$1","$2","$3","$4","$5","$6; n[k]++; p[k]+=$7; q[k]+=$8; b[k]+=$9; c[k]+=$10}
                 END {for (k in p) print k","n[k]","p[k]","q[k]","b[k]","c[k]}' | sort
}
T=(--status 0 --idle 1h --tcp-idle 1h)
start_probe() { # out log nsockets args...
    local out=$1 log=$2 want=$3
    shift 3
    ip netns exec $R "$NS_BIN" probe "${T[@]}" -w "$out" --ring-blocks 8 "$@" 2>"$log" &
    probe=$!
    pids+=("$probe")
    netns_wait_sockets $probe "$want" "$log"
}
stop_probe() { # log
    kill -TERM $probe
    local rc=0
    wait $probe || rc=$?
    [ $rc -eq 0 ] || { cat "$1" >&2; fail "probe exited $rc"; }
}
replay() { # iface pcap
    ip netns exec $S tcpreplay -q -i "$1" --pps 3000 "$2" >"$TMP/replay.log" 2>&1 ||
        { cat "$TMP/replay.log" >&2; fail "tcpreplay $2"; }
}
packets_of() { sed -n 's/^netsift probe: \([0-9]*\) packets.*/\1/p' "$1"; }

compare() { # name pcap fanout [filter...]
    local name=$1 pcap=$PCAPS/$2 fo=$3
    shift 3
    "$NS_BIN" probe -q "${T[@]}" -r "$pcap" -w "$TMP/$name.file.ipfix" -- "$@"
    start_probe "$TMP/$name.live.ipfix" "$TMP/$name.log" 2 --workers 2 $fo -i r0 -- "$@"
    replay s0 "$pcap"
    stop_probe "$TMP/$name.log"
    flows "$TMP/$name.file.ipfix" >"$TMP/$name.file"
    flows "$TMP/$name.live.ipfix" >"$TMP/$name.live"
    [ -s "$TMP/$name.file" ] || fail "$name: no flows from the file"
    diff "$TMP/$name.file" "$TMP/$name.live" >"$TMP/$name.diff" ||
        { head -20 "$TMP/$name.diff" "$TMP/$name.log" >&2; fail "$name ($fo): live flows differ from the file's"; }
    local sent
    sent=$("$NS_BIN" probe "${T[@]}" -r "$pcap" -w /dev/null -- "$@" 2>&1 |
        sed -n 's/^netsift probe: \([0-9]*\) packets.*/\1/p')
    grep -qF "kernel r0 (ifindex $(inr cat /sys/class/net/r0/ifindex)): $sent received, 0 dropped" "$TMP/$name.log" ||
        { cat "$TMP/$name.log" >&2; fail "$name: kernel total is not $sent received, 0 dropped"; }
    local per
    per=$(sed -n 's/^  worker [0-9]*: .*; kernel \([0-9]*\) received, 0 dropped$/\1/p' "$TMP/$name.log" |
        awk '{s+=$1; n++} END {print n" "s}')
    [ "$per" = "2 $sent" ] || { cat "$TMP/$name.log" >&2; fail "$name: per-worker kernel counters '$per', wanted 2 workers, $sent"; }
    echo "ok $name ($fo): $(wc -l <"$TMP/$name.file") flow keys, $sent packets"
}

for c in web:zeek-http-bro-org.pcap teams:ndpi-teams.pcap frag:ndpi-dns-fragmented.pcap \
    sixin4:ndpi-6in4.pcap vlan:zeek-vlan-http.pcap qinq:zeek-qinq.pcap v6:ndpi-http-ipv6.pcap; do
    compare "${c%%:*}" "${c#*:}" --fanout=addr
done
# several host pairs: both workers metered some
n=$(grep -cE '^  worker [01]: [1-9][0-9]* packets' "$TMP/teams.log" || true)
[ "$n" -eq 2 ] || { cat "$TMP/teams.log" >&2; fail "teams: not both workers had packets"; }
compare filtered ndpi-teams.pcap --fanout=addr udp and not port 53
compare hashweb zeek-http-bro-org.pcap --fanout=hash
compare hashteams ndpi-teams.pcap --fanout=hash

# the kernel's hash reassembles IPv4 fragments before it picks a socket
"$NS_BIN" probe -q "${T[@]}" -r "$PCAPS/ndpi-dns-fragmented.pcap" -w /dev/null 2>"$TMP/hf.file.log" || true
start_probe "$TMP/hf.ipfix" "$TMP/hf.log" 2 --workers 2 --fanout hash -i r0
replay s0 "$PCAPS/ndpi-dns-fragmented.pcap"
stop_probe "$TMP/hf.log"
fp=$("$NS_BIN" probe "${T[@]}" -r "$PCAPS/ndpi-dns-fragmented.pcap" -w /dev/null 2>&1 | sed -n 's/^netsift probe: \([0-9]*\) packets.*/\1/p')
lp=$(packets_of "$TMP/hf.log")
[ -n "$lp" ] && [ "$lp" -lt "$fp" ] ||
    { cat "$TMP/hf.log" >&2; fail "--fanout hash on fragments: $lp packets, expected fewer than the file's $fp"; }
echo "ok --fanout hash hands over reassembled datagrams ($lp packets live, $fp in the file)"

# two interfaces, two workers: four sockets in two groups
A="$PCAPS/zeek-http-bro-org.pcap" Bc="$PCAPS/ndpi-dns-doh.pcap"
"$NS_BIN" probe -q "${T[@]}" -r "$A" "$Bc" -w "$TMP/two.file.ipfix"
start_probe "$TMP/two.live.ipfix" "$TMP/two.log" 4 --workers 2 -i r0 -i r1
replay s0 "$A" &
r1=$!
replay s1 "$Bc"
wait $r1
stop_probe "$TMP/two.log"
diff <(flows "$TMP/two.file.ipfix") <(flows "$TMP/two.live.ipfix") >/dev/null ||
    { cat "$TMP/two.log" >&2; fail "two interfaces, two workers: flows differ"; }
grep -q "kernel r0 .*: 751 received, 0 dropped" "$TMP/two.log" || fail "two interfaces: r0 counters"
grep -q "kernel r1 .*: 142 received, 0 dropped" "$TMP/two.log" || fail "two interfaces: r1 counters"
echo "ok two interfaces, two workers"

# what is refused, and said
if inr "$NS_BIN" probe -w /dev/null --workers 2 --capture pcap -i r0 --duration 1 2>"$TMP/e"; then
    fail "--workers with --capture pcap accepted"
fi
grep -q "tpacket" "$TMP/e" || fail "pcap+workers message: $(cat "$TMP/e")"
echo "ok errors"

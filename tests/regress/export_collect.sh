#!/bin/bash
# Export then collect, netsift on both ends, over UDP (IPv4 and IPv6) and
# TCP at once: probe real captures with -w and two --export destinations;
# each collector's file must hold exactly the records of the -w files
# (every field `netsift read` knows), with no sequence gaps.  The UDP
# stream, captured with tcpdump, must decode in tshark without a malformed
# packet or expert warning, and messages stay within the MTU.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need tshark
need tcpdump
need python3

caps="$NS_SRC/samples/sample.pcap"
for f in ndpi-1kxun.pcap zeek-smb3-multichannel.pcap ndpi-http-ipv6.pcap ndpi-dns-fragmented.pcap; do
    [ -f "$PCAPS/$f" ] && caps="$caps $PCAPS/$f"
done

start_collect cu 2 --listen udp://127.0.0.1:0,udp://[::1]:0 -w "$TMP/cu/%Y/%m/%d/netsift-%H%M.ipfix" --rotate 0
start_collect ct 1 --listen tcp://127.0.0.1:0 -w "$TMP/ct/netsift-%H%M%S.ipfix.zst" --zstd --rotate 0
pu=$(port_of cu udp)
pu6=$(port_of cu udp '\[::1\]')
pt=$(port_of ct tcp)
[ -n "$pu" ] && [ -n "$pu6" ] && [ -n "$pt" ] || fail "no ports: $(cat "$TMP"/c?.log)"

tcpdump -i lo -s 0 -B 16384 --immediate-mode -U -w "$TMP/udp.pcap" "udp port $pu" 2>"$TMP/tcpdump.log" &
tdpid=$!
PIDS="$PIDS $tdpid"
for _ in $(seq 100); do grep -q listening "$TMP/tcpdump.log" && break; sleep 0.05; done

i=0
for c in $caps; do
    i=$((i + 1))
    mtu=1500
    [ $i -eq 2 ] && mtu=576
    "$NS_BIN" probe -q -r "$c" -w "$TMP/ref$i.ipfix" --export "udp://127.0.0.1:$pu" \
        --export "tcp://127.0.0.1:$pt" --export "udp://[::1]:$pu6" --mtu $mtu \
        --export-rate 20000 2>"$TMP/probe$i.log" || fail "probe $c: $(cat "$TMP/probe$i.log")"
    grep -q dropped "$TMP/probe$i.log" && fail "probe $c dropped records: $(cat "$TMP/probe$i.log")"
done
sleep 0.5
kill -INT $tdpid
wait $tdpid 2>/dev/null
stop_collect cu
stop_collect ct

records "$TMP"/ref*.ipfix >"$TMP/want.csv"
n=$(wc -l <"$TMP/want.csv")
[ "$n" -gt 100 ] || fail "only $n reference records"
# UDP: two sessions per probe run (IPv4 and IPv6), so every record twice
records $(find "$TMP/cu" -name '*.ipfix') >"$TMP/udp.csv"
sort -m "$TMP/want.csv" "$TMP/want.csv" >"$TMP/want2.csv"
cmp -s "$TMP/want2.csv" "$TMP/udp.csv" || fail "UDP: collected records differ ($(wc -l <"$TMP/udp.csv") vs $((2 * n))): $(diff "$TMP/want2.csv" "$TMP/udp.csv" | head -4)"
records $(find "$TMP/ct" -name '*.ipfix.zst') >"$TMP/tcp.csv"
cmp -s "$TMP/want.csv" "$TMP/tcp.csv" || fail "TCP: collected records differ ($(wc -l <"$TMP/tcp.csv") vs $n): $(diff "$TMP/want.csv" "$TMP/tcp.csv" | head -4)"
# the collectors saw no loss and nothing malformed
for c in cu ct; do
    grep -q "total: .* lost 0 in 0 gaps, 0 resets, 0 late; malformed 0, not IPFIX 0" "$TMP/$c.log" ||
        fail "$c: $(grep total: "$TMP/$c.log")"
done
# the current file was renamed when complete
[ -z "$(find "$TMP/cu" "$TMP/ct" -name '*.part')" ] || fail "a .part file was left"

# tshark: the UDP stream decodes cleanly; messages fit the MTU
tshark -r "$TMP/udp.pcap" -d "udp.port==$pu,cflow" -Y '_ws.malformed || _ws.expert.severity >= 4194304' \
    -T fields -e frame.number >"$TMP/bad.txt" 2>"$TMP/tshark.err" || fail "tshark: $(head -3 "$TMP/tshark.err")"
[ ! -s "$TMP/bad.txt" ] || fail "tshark flags frames $(head -5 "$TMP/bad.txt" | tr '\n' ' ')"
frames=$(tshark -r "$TMP/udp.pcap" -d "udp.port==$pu,cflow" -Y cflow -T fields -e ip.len | sort -n)
[ -n "$frames" ] || fail "tshark saw no IPFIX"
big=$(tail -1 <<<"$frames")
[ "$big" -le 1500 ] || fail "an IP datagram of $big octets > MTU 1500"
# tshark's own decoding of the packet counters (forward and RFC 5103
# reverse, both shown as cflow.packets) sums to the packets of the records
tp=$(tshark -r "$TMP/udp.pcap" -d "udp.port==$pu,cflow" -T fields -e cflow.packets 2>/dev/null |
    tr ',' '\n' | awk '{s += $1} END {print s + 0}')
wp=$("$NS_BIN" read -r "$TMP"/ref*.ipfix -s pkts -F csv | awk 'NR > 1 {s += $1} END {print s + 0}')
[ "$tp" -eq "$wp" ] || fail "tshark decodes $tp packets in the UDP stream, the records hold $wp"
echo "ok: $n records over UDP (IPv4, IPv6) and TCP identical to -w; tshark clean on $(wc -l <<<"$frames") datagrams (largest $big octets), $tp packets"

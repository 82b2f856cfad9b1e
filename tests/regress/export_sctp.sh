#!/bin/bash
# IPFIX over SCTP (RFC 7011 §10.2, RFC 6526) with the userspace stack over
# UDP encapsulation (sctp+udp://, works on kernels without SCTP): probe
# real captures with -w and --export sctp+udp://; the collector's file
# must hold exactly the records of the -w files, with no sequence gap.
# Peer check: tcpdump on lo, then tshark decodes the UDP-encapsulated
# SCTP (CRC-32c checked) and the IPFIX inside without a malformed packet
# or expert warning, and its packet counters sum to those of the records.
# Collector restarts during an export (outages of 0.2 s and 1 s): the
# exporter reconnects, its templates go before anything it had queued or
# was building, and the two collectors store exactly the metered records
# (a short outage once sent the message in formation ahead of the new
# association's templates: the collector counted its sets unknown while
# the exporter counted them delivered).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need tshark
need tcpdump
need python3

caps="$NS_SRC/samples/sample.pcap"
for f in ndpi-1kxun.pcap zeek-smb3-multichannel.pcap ndpi-http-ipv6.pcap; do
    [ -f "$PCAPS/$f" ] && caps="$caps $PCAPS/$f"
done

start_collect cs 1 --listen 'sctp+udp://127.0.0.1:0' -w "$TMP/cs/netsift-%H%M%S.ipfix" --rotate 0
ps=$(port_of cs 'sctp+udp')
[ -n "$ps" ] || fail "no port: $(cat "$TMP/cs.log")"

tcpdump -i lo -s 0 -B 16384 --immediate-mode -U -w "$TMP/sctp.pcap" "udp port $ps" 2>"$TMP/tcpdump.log" &
tdpid=$!
PIDS="$PIDS $tdpid"
for _ in $(seq 100); do grep -q listening "$TMP/tcpdump.log" && break; sleep 0.05; done

i=0
for c in $caps; do
    i=$((i + 1))
    "$NS_BIN" probe -q -r "$c" -w "$TMP/ref$i.ipfix" --export "sctp+udp://127.0.0.1:$ps" \
        2>"$TMP/probe$i.log" || fail "probe $c: $(cat "$TMP/probe$i.log")"
    grep -q -E 'dropped|abandoned' "$TMP/probe$i.log" && fail "probe $c dropped records: $(cat "$TMP/probe$i.log")"
done
sleep 0.5
kill -INT $tdpid
wait $tdpid 2>/dev/null || true
stop_collect cs

records "$TMP"/ref*.ipfix >"$TMP/want.csv"
n=$(wc -l <"$TMP/want.csv")
[ "$n" -gt 100 ] || fail "only $n reference records"
records $(find "$TMP/cs" -name '*.ipfix') >"$TMP/got.csv"
cmp -s "$TMP/want.csv" "$TMP/got.csv" || fail "SCTP: collected records differ ($(wc -l <"$TMP/got.csv") vs $n): $(diff "$TMP/want.csv" "$TMP/got.csv" | head -4)"
grep -q "total: .* lost 0 in 0 gaps, 0 resets, 0 late; malformed 0, not IPFIX 0" "$TMP/cs.log" ||
    fail "collector: $(grep total: "$TMP/cs.log")"
sessions=$(grep -c 'new session' "$TMP/cs.log")
[ "$sessions" -eq "$i" ] || fail "$sessions associations for $i probe runs"

# tshark: UDP port → SCTP (RFC 6951), SCTP port → IPFIX (cflow)
dec=(-o sctp.checksum:CRC-32c -d "udp.port==$ps,sctp" -d "sctp.port==$ps,cflow")
tshark -r "$TMP/sctp.pcap" "${dec[@]}" -Y '_ws.malformed || _ws.expert.severity >= 4194304' \
    -T fields -e frame.number >"$TMP/bad.txt" 2>"$TMP/tshark.err" || fail "tshark: $(head -3 "$TMP/tshark.err")"
[ ! -s "$TMP/bad.txt" ] || fail "tshark flags frames $(head -5 "$TMP/bad.txt" | tr '\n' ' ')"
inits=$(tshark -r "$TMP/sctp.pcap" "${dec[@]}" -Y 'sctp.chunk_type == 1' -T fields -e frame.number 2>/dev/null | wc -l)
[ "$inits" -eq "$i" ] || fail "tshark sees $inits SCTP INITs for $i associations"
tp=$(tshark -r "$TMP/sctp.pcap" "${dec[@]}" -T fields -e cflow.packets 2>/dev/null |
    tr ',' '\n' | awk '{s += $1} END {print s + 0}')
wp=$("$NS_BIN" read -r "$TMP"/ref*.ipfix -s pkts -F csv | awk 'NR > 1 {s += $1} END {print s + 0}')
[ "$tp" -eq "$wp" ] || fail "tshark decodes $tp packets in the SCTP stream, the records hold $wp"
echo "ok: $n records over sctp+udp in $i associations identical to -w; tshark decodes SCTP over UDP and IPFIX cleanly, $tp packets"

# collector restarts
"$NS_BIN" gen -w "$TMP/g.pcap" --flows 6000 --seed 5 --snaplen 64 2>/dev/null || fail "gen"
"$NS_BIN" probe -q -r "$TMP/g.pcap" -w "$TMP/g.ipfix" || fail "probe -w"
total=$("$NS_BIN" read -r "$TMP/g.ipfix" -s flowid -F csv | tail -n +2 | wc -l)
count() { # records in the files under a directory (0 when none)
    local f
    f=$(find "$1" -name '*.ipfix*' 2>/dev/null)
    [ -n "$f" ] || { echo 0; return; }
    "$NS_BIN" read -r $f -s flowid -F csv | tail -n +2 | wc -l
}
for outage in 0.2 1; do
    n=r${outage/./}
    port=$(free_port)
    start_collect ${n}a 1 --listen "sctp+udp://127.0.0.1:$port" -w "$TMP/${n}a/f.ipfix" --rotate 0
    "$NS_BIN" probe -r "$TMP/g.pcap" --export "sctp+udp://127.0.0.1:$port" --export-rate 3000 \
        --export-linger 10s 2>"$TMP/$n.probe" &
    pp=$!
    PIDS="$PIDS $pp"
    for _ in $(seq 200); do grep -q writing "$TMP/${n}a.log" && break; sleep 0.05; done
    sleep 0.5
    stop_collect ${n}a TERM
    sleep $outage
    start_collect ${n}b 1 --listen "sctp+udp://127.0.0.1:$port" -w "$TMP/${n}b/f.ipfix" --rotate 0
    wait $pp || fail "restart $outage s: probe failed: $(cat "$TMP/$n.probe")"
    stop_collect ${n}b TERM
    a=$(count "$TMP/${n}a")
    b=$(count "$TMP/${n}b")
    dropped=$(sed -n 's/.*dropped \([0-9]*\) flow records.*/\1/p' "$TMP/$n.probe")
    unknown=$(sed -n 's/.*unknown sets \([0-9]*\).*/\1/p' "$TMP/${n}b.log")
    [ "$a" -gt 0 ] && [ "$b" -gt 0 ] || fail "restart $outage s: stored $a then $b records"
    [ "${unknown:-x}" = 0 ] || fail "restart $outage s: the new collector saw ${unknown:-?} sets without templates"
    [ $((a + b + ${dropped:-0})) -eq "$total" ] ||
        fail "restart $outage s: stored $a + $b, dropped ${dropped:-0}, metered $total: $(head -1 "$TMP/$n.probe")"
    echo "ok: collector restart (${outage} s): stored $a + $b of $total, dropped ${dropped:-0}"
done

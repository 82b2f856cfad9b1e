#!/bin/bash
# PSAMP packet reports (netsift probe --select ... --report) on real
# captures, checked against independent decoders:
#  - golden: count:1/10 reports exactly frames 1, 11, 21, ... with the
#    addresses, TTL, length and IP header bytes tshark sees in them;
#  - libfixbuf's ipfixDump reads the file without a complaint and names
#    the PSAMP elements; the Selector Report Interpretation options records
#    carry the configuration given on the command line;
#  - tshark decodes the stream (each message in a UDP datagram) cleanly and
#    its digestHashValues are the ones netsift read prints;
#  - netsift read --selection-summary: R = (n-1)/(s_n-s_1) = 0.1 exactly
#    for 1-in-10 systematic sampling, the estimate within 3 standard errors
#    of the true packet count;
#  - the same reports exported over UDP to netsift collect read back alike.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need tshark
need ipfixDump
need python3
need_shared
cap="$PCAPS/ndpi-1kxun.pcap"
[ -f "$cap" ] || skip "no $cap"
total=$(tshark -r "$cap" -T fields -e frame.number 2>/dev/null | wc -l)

# ---- golden: 1 in 10, every 10th frame from the first ----
"$NS_BIN" probe -r "$cap" --select count:1/10 --report seq,time,addr,proto,len,ttl,ipsection=20 \
    -w "$TMP/c.ipfix" 2>"$TMP/c.log" || fail "probe: $(cat "$TMP/c.log")"
"$NS_BIN" read -r "$TMP/c.ipfix" --reports >"$TMP/c.txt" || fail "read --reports"
# netsift: frame number (input sequence number) src dst ttl len ipheader
sed -n 's/^report .* seq=\([0-9]*\) proto=[0-9]* \([^ ]*\) > \([^ ]*\) len=\([0-9]*\) ttl=\([0-9]*\) ip=20:\([0-9a-f]*\).*/\1 \2 \3 \5 \4 \6/p' \
    "$TMP/c.txt" >"$TMP/ns.txt"
# tshark: the IPv4 frames at 1, 11, 21, ... (the IP header bytes come from
# the capture itself, read by the Python below)
tshark -r "$cap" -Y ip -T fields -e frame.number -e ip.src -e ip.dst -e ip.ttl -e ip.len 2>/dev/null |
    awk '($1 - 1) % 10 == 0' >"$TMP/ts.txt"
n_v4=$(wc -l <"$TMP/ts.txt")
[ "$n_v4" -gt 50 ] || fail "only $n_v4 IPv4 frames"
# every IPv4 frame tshark lists at 1, 11, 21... is reported with the same fields
python3 - "$TMP/ns.txt" "$TMP/ts.txt" "$cap" <<'PY' || fail "reports differ from tshark"
import struct, sys
ns = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 6:
        ns[int(f[0])] = f[1:]
# frames of the capture (classic pcap, Ethernet), for the IP header bytes
data = open(sys.argv[3], "rb").read()
magic = struct.unpack("<I", data[:4])[0]
end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
off, k, frames = 24, 0, {}
while off + 16 <= len(data):
    _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
    k += 1
    frames[k] = data[off + 16:off + 16 + incl]
    off += 16 + incl
bad = 0
n = 0
for line in open(sys.argv[2]):
    f = line.split("\t")
    num, src, dst, ttl, ln = int(f[0]), f[1].split(",")[0], f[2].split(",")[0], f[3].split(",")[0], f[4].split(",")[0].strip()
    n += 1
    r = ns.get(num)
    if not r:
        print("frame %d not reported" % num); bad += 1; continue
    s_ip = r[0].rsplit(":", 1)[0] if r[0].count(":") == 1 else r[0]
    d_ip = r[1].rsplit(":", 1)[0] if r[1].count(":") == 1 else r[1]
    if (s_ip, d_ip, r[2], r[3]) != (src, dst, ttl, ln):
        print("frame %d: netsift %s, tshark %s" % (num, r, (src, dst, ttl, ln))); bad += 1
    fr = frames[num]
    i = fr.find(bytes.fromhex(r[4][:8]))  # the header starts after the link layer
    if i < 0 or fr[i:i + 20].hex() != r[4]:
        print("frame %d: IP header bytes differ" % num); bad += 1
if bad:
    sys.exit(1)
print("ok: %d IPv4 reports match tshark" % n)
PY
# every report's input sequence number is 1 mod 10, and there are ceil(total/10)
awk '{ if (($1 - 1) % 10) exit 1 }' "$TMP/ns.txt" || fail "a report off the 1-in-10 grid"
nrep=$(grep -c '^report' "$TMP/c.txt")
[ "$nrep" -eq $(((total + 9) / 10)) ] || fail "$nrep reports for $total packets"

# ---- the summary: R exactly 0.1, estimate within 3 standard errors ----
"$NS_BIN" read -r "$TMP/c.ipfix" --selection-summary >"$TMP/sum.txt" || fail "summary"
grep -q "attained fraction R = (n-1)/(s_n-s_1) = 0.1$" "$TMP/sum.txt" || fail "R: $(cat "$TMP/sum.txt")"
read -r est se < <(sed -n 's/.*estimated packets \([0-9.]*\) +- \([0-9.]*\),.*/\1 \2/p' "$TMP/sum.txt")
python3 -c "import sys; sys.exit(0 if abs($est - $total) <= 3 * $se else 1)" ||
    fail "estimate $est +- $se, true $total"
grep -q "statistics: $total packets observed, $nrep selected" "$TMP/sum.txt" ||
    fail "statistics record: $(cat "$TMP/sum.txt")"
echo "ok: $nrep reports of $total packets; estimate $est +- $se"

# ---- a chain with a hash selector: ipfixDump, options records, tshark ----
"$NS_BIN" probe -r "$cap" --select count:1/3,offset=1 --select 'hash:crc32,init=7,range=0-1073741823:3221225472-4294967295' \
    --report default,digest,ipid,tcpflags,framelen --report-id 42 -w "$TMP/h.ipfix" 2>"$TMP/h.log" ||
    fail "probe: $(cat "$TMP/h.log")"
ipfixDump -i "$TMP/h.ipfix" >"$TMP/dump.txt" 2>"$TMP/dump.err" || fail "ipfixDump: $(head -3 "$TMP/dump.err")"
if grep -qiE 'error|warn|invalid|malformed|alien' "$TMP/dump.err" "$TMP/dump.txt"; then
    fail "ipfixDump complained: $(grep -iE 'error|warn|invalid|malformed|alien' "$TMP/dump.err" "$TMP/dump.txt" | head -3)"
fi
for ie in selectionSequenceId selectorId selectorIdTotalPktsObserved selectorIdTotalPktsSelected \
    observationTimeMicroseconds digestHashValue ipHeaderPacketSection sectionOffset \
    sectionExportedOctets selectorAlgorithm samplingPacketInterval samplingPacketSpace \
    hashIPPayloadOffset hashIPPayloadSize hashInitialiserValue hashSelectedRangeMin \
    hashSelectedRangeMax hashOutputRangeMin hashOutputRangeMax hashDigestOutput selectorName \
    fragmentIdentification tcpControlBits dataLinkFrameSize; do
    grep -q "id: *[0-9]* *type: [a-z0-9]* *len: *[0-9]* *(S) $ie\$\|id: *[0-9]* *type: [a-z0-9]* *len: *[0-9]* *$ie\$" "$TMP/dump.txt" ||
        fail "ipfixDump does not name $ie"
done
# the options records say what was configured (the first of each kind)
opt() { # opt TEMPLATE-HEX IE: the value of IE in the first record of the template
    awk -v t="$1" -v ie="$2" '/^--- data record/ {p=0} $0 ~ "tid: *[0-9]+ \\(" t "\\)" {p=1}
        p && $0 ~ "\\) +" ie " : " {sub(/.* : /, ""); print; exit}' "$TMP/dump.txt"
}
[ "$(opt 0xf030 selectorAlgorithm)" = 1 ] || fail "selector 1 algorithm $(opt 0xf030 selectorAlgorithm)"
[ "$(opt 0xf030 samplingPacketInterval)" = 1 ] || fail "samplingPacketInterval"
[ "$(opt 0xf030 samplingPacketSpace)" = 2 ] || fail "samplingPacketSpace $(opt 0xf030 samplingPacketSpace)"
[ "$(opt 0xf031 selectorAlgorithm)" = 8 ] || fail "selector 2 algorithm (CRC is 8)"
[ "$(opt 0xf031 hashInitialiserValue)" = 7 ] || fail "hashInitialiserValue"
[ "$(opt 0xf031 hashIPPayloadSize)" = 16 ] || fail "hashIPPayloadSize"
[ "$(opt 0xf031 hashSelectedRangeMax)" = 1073741823 ] || fail "first range"
grep -q "hashSelectedRangeMin : 3221225472" "$TMP/dump.txt" || fail "second range"
[ "$(opt 0xf031 hashDigestOutput)" = 1 ] || fail "hashDigestOutput"
[ "$(opt 0xf020 selectionSequenceId)" = 42 ] || fail "selectionSequenceId"
# a keyed hash: its key never leaves the exporter
"$NS_BIN" probe -q -r "$cap" --select 'hash:sip,frac=0.1,key=00112233445566778899aabbccddeeff' \
    --report seq -w "$TMP/k.ipfix" || fail "probe sip"
! od -An -tx1 -v "$TMP/k.ipfix" | tr -d ' \n' | grep -q "00112233445566778899aabbccddeeff" || fail "key bytes exported"
"$NS_BIN" read -r "$TMP/k.ipfix" --reports | grep -q 'name="hash:sip,range=0-429496728,domain=ip+payload16,key=(given)"' ||
    fail "sip selector name: $("$NS_BIN" read -r "$TMP/k.ipfix" --reports | grep selector)"

# tshark on the stream, one message per datagram
python3 "$NS_SRC/tests/regress/lib/ipfix2pcap.py" "$TMP/h.ipfix" "$TMP/h.pcap" 4739 >/dev/null
tshark -r "$TMP/h.pcap" -d udp.port==4739,cflow -Y '_ws.malformed || _ws.expert.severity >= 4194304' \
    -T fields -e frame.number >"$TMP/bad.txt" 2>/dev/null || fail "tshark"
[ ! -s "$TMP/bad.txt" ] || fail "tshark flags frames $(head -3 "$TMP/bad.txt" | tr '\n' ' ')"
tshark -r "$TMP/h.pcap" -d udp.port==4739,cflow -T fields -e cflow.digest_hash_value 2>/dev/null |
    tr ',' '\n' | grep . | sort >"$TMP/ts_digest.txt"
"$NS_BIN" read -r "$TMP/h.ipfix" --reports | sed -n 's/.* digest=\([0-9a-f]*\).*/\1/p' |
    while read -r h; do echo $((16#$h)); done | sort >"$TMP/ns_digest.txt"
[ -s "$TMP/ns_digest.txt" ] || fail "no digests"
cmp -s "$TMP/ts_digest.txt" "$TMP/ns_digest.txt" || fail "digests differ: $(diff "$TMP/ts_digest.txt" "$TMP/ns_digest.txt" | head -3)"
# the digest selects: every value lies in one of the two ranges
awk '$1 > 1073741823 && $1 < 3221225472 {exit 1}' "$TMP/ns_digest.txt" || fail "a digest outside the ranges"
tsel=$(tshark -r "$TMP/h.pcap" -d udp.port==4739,cflow -T fields -e cflow.selector_name 2>/dev/null | tr ',' '\n' | grep -c crc32)
[ "$tsel" -ge 2 ] || fail "tshark sees $tsel selector names"
echo "ok: ipfixDump and tshark decode $(wc -l <"$TMP/ns_digest.txt") reports and the interpretation"

# ---- the same over UDP to netsift collect ----
start_collect cu 1 --listen udp://127.0.0.1:0 -w "$TMP/cu/f.ipfix" --rotate 0
pu=$(port_of cu udp)
"$NS_BIN" probe -q -r "$cap" --select count:1/3,offset=1 --select 'hash:crc32,init=7,range=0-1073741823:3221225472-4294967295' \
    --report default,digest,ipid,tcpflags,framelen --report-id 42 --export "udp://127.0.0.1:$pu" \
    --export-rate 20000 || fail "probe --export"
sleep 0.5
stop_collect cu
grep -q "lost 0 in 0 gaps" "$TMP/cu.log" || fail "collect: $(grep total: "$TMP/cu.log")"
"$NS_BIN" read -r "$TMP/h.ipfix" --reports | grep '^report' >"$TMP/want.txt"
"$NS_BIN" read -r "$TMP/cu/f.ipfix" --reports | grep '^report' >"$TMP/got.txt"
cmp -s "$TMP/want.txt" "$TMP/got.txt" || fail "collected reports differ: $(diff "$TMP/want.txt" "$TMP/got.txt" | head -3)"
echo "ok: $(wc -l <"$TMP/got.txt") reports exported over UDP and collected unchanged"

# ---- sampled flows carry the interpretation of their selection ----
"$NS_BIN" probe -q -r "$cap" --select count:1/10 -w "$TMP/f.ipfix" || fail "probe flows"
"$NS_BIN" read -r "$TMP/f.ipfix" --reports >"$TMP/f.txt" 2>/dev/null || fail "read --reports of flows"
grep -q '^# selector 1: algorithm 1 samplingPacketInterval=1 samplingPacketSpace=9 name="count:1/10"$' "$TMP/f.txt" ||
    fail "flow file without the selector interpretation: $(cat "$TMP/f.txt")"
grep -q "^# statistics of sequence 1 .*: selector 1 observed $total selected $nrep;" "$TMP/f.txt" ||
    fail "flow file statistics: $(grep statistics "$TMP/f.txt")"
! grep -q '^report' "$TMP/f.txt" || fail "packet reports in a flow file"
# the flows still read as flows, sampled 1 in 10
p=$("$NS_BIN" read -r "$TMP/f.ipfix" -s pkts,samprate -F csv | awk -F, 'NR > 1 {s += $1; if ($2 != "0.100000") bad = 1} END {print bad ? -1 : s}')
[ "$p" -eq "$nrep" ] || fail "sampled flows hold $p packets (want $nrep, samplingProbability 0.1)"
echo "ok: sampled flows carry samplingProbability and the selection's interpretation"

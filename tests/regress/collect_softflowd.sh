#!/bin/bash
# Interop, the other way round: softflowd (IPFIX, -v 10) meters real
# captures and exports them over UDP, once to `netsift collect` and once to
# nfdump's nfcapd; both collectors must store the same flows (5-tuple,
# packets, octets), with no sequence gaps in netsift's view.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need softflowd
need nfcapd
need nfdump
need python3
need_shared

caps=""
for f in ndpi-1kxun.pcap zeek-smb3-multichannel.pcap ndpi-http-ipv6.pcap ndpi-dns-fragmented.pcap; do
    [ -f "$PCAPS/$f" ] && caps="$caps $PCAPS/$f"
done
[ -n "$caps" ] || skip "none of the captures"

# softflowd reads the capture and exports everything at its end; -d keeps it
# in the foreground (it exits after the file), -A milli gives absolute times
softflow() {
    timeout 60 softflowd -d -r "$1" -v 10 -A milli -6 -n "127.0.0.1:$2" >"$TMP/softflowd.log" 2>&1 ||
        fail "softflowd $1: $(tail -3 "$TMP/softflowd.log")"
}

i=0
for c in $caps; do
    i=$((i + 1))
    start_collect c$i 1 --listen udp://127.0.0.1:0 -w "$TMP/ns$i/f.ipfix" --rotate 0
    softflow "$c" "$(port_of c$i udp)"
    sleep 0.3
    stop_collect c$i
    grep -q "lost 0 in 0 gaps" "$TMP/c$i.log" || fail "netsift collect: $(grep total: "$TMP/c$i.log")"

    port=$(free_port)
    mkdir -p "$TMP/nf$i"
    nfcapd -b 127.0.0.1 -p "$port" -w "$TMP/nf$i" -t 3600 -B 8388608 >"$TMP/nfcapd$i.log" 2>&1 &
    np=$!
    PIDS="$PIDS $np"
    for _ in $(seq 100); do grep -q "Startup" "$TMP/nfcapd$i.log" && break; sleep 0.05; done
    sleep 0.2
    softflow "$c" "$port"
    sleep 0.3
    kill -TERM $np
    wait $np 2>/dev/null || true
    nfdump -R "$TMP/nf$i" -o csv -q >"$TMP/nfdump$i.csv" 2>/dev/null || fail "nfdump -R"
    sed -i '1i ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt' "$TMP/nfdump$i.csv"
    { echo "sa,da,sp,dp,pr,ipkt,ibyt,opkt,obyt"
      "$NS_BIN" read -r "$TMP/ns$i/f.ipfix" -s saddr,daddr,sport,dport,protonum,spkts,sbytes,dpkts,dbytes -F csv | tail -n +2
    } >"$TMP/netsift$i.csv"
    out=$(python3 "$NS_SRC/tests/regress/lib/flowcmp.py" "$TMP/netsift$i.csv" "$TMP/nfdump$i.csv") ||
        fail "$(basename "$c"): netsift collect / nfcapd differ: $out"
    n=$(tail -n +2 "$TMP/netsift$i.csv" | wc -l)
    [ "$n" -gt 0 ] || fail "$(basename "$c"): no flows"
    echo "$(basename "$c"): $out"
done

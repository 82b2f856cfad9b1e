#!/bin/bash
# Interop with nfdump: netsift probe exports over UDP to nfdump's nfcapd;
# `nfdump -r` must show the same flows (5-tuple, packets and octets in
# both directions: nfdump maps RFC 5103 reverse counters to opkt/obyt)
# as `netsift read` of the -w file, with no sequence errors.  nfdump 1.7
# does not decode flowStartNanoseconds (its times read 1970), so times are
# not compared.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need nfcapd
need nfdump
need python3

caps="$NS_SRC/samples/sample.pcap"
for f in ndpi-1kxun.pcap zeek-smb3-multichannel.pcap ndpi-http-ipv6.pcap; do
    [ -f "$PCAPS/$f" ] && caps="$caps $PCAPS/$f"
done
i=0
for c in $caps; do
    i=$((i + 1))
    port=$(free_port)
    mkdir -p "$TMP/nf$i"
    nfcapd -b 127.0.0.1 -p "$port" -w "$TMP/nf$i" -t 3600 -B 8388608 >"$TMP/nfcapd$i.log" 2>&1 &
    np=$!
    PIDS="$PIDS $np"
    for _ in $(seq 100); do grep -q "Startup" "$TMP/nfcapd$i.log" && break; sleep 0.05; done
    sleep 0.2
    "$NS_BIN" probe -q -r "$c" -w "$TMP/ref$i.ipfix" --export "udp://127.0.0.1:$port" \
        --export-rate 20000 2>"$TMP/probe$i.log" || fail "probe: $(cat "$TMP/probe$i.log")"
    sleep 0.5
    kill -TERM $np
    wait $np 2>/dev/null || true
    grep -q "Sequence Errors: 0, Bad Packets: 0" "$TMP/nfcapd$i.log" ||
        fail "nfcapd: $(grep -E 'Sequence|Bad' "$TMP/nfcapd$i.log")"
    nfdump -R "$TMP/nf$i" -o csv -q >"$TMP/nfdump$i.csv" 2>/dev/null || fail "nfdump -R"
    sed -i '1i ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt' "$TMP/nfdump$i.csv"
    { echo "sa,da,sp,dp,pr,ipkt,ibyt,opkt,obyt"
      "$NS_BIN" read -r "$TMP/ref$i.ipfix" -s saddr,daddr,sport,dport,protonum,spkts,sbytes,dpkts,dbytes -F csv | tail -n +2
    } >"$TMP/netsift$i.csv"
    out=$(python3 "$NS_SRC/tests/regress/lib/flowcmp.py" "$TMP/netsift$i.csv" "$TMP/nfdump$i.csv") ||
        fail "$(basename "$c"): netsift / nfdump differ: $out"
    echo "$(basename "$c"): $out"
done

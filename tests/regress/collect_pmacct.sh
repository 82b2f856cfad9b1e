#!/bin/bash
# Interop: pmacct's pmacctd (nfprobe plugin, IPFIX) meters real captures
# and exports over UDP, once to `netsift collect` and once to nfdump's
# nfcapd; both must store the same flows (5-tuple, packets, octets), and
# netsift must see no sequence gap.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need pmacctd
need nfcapd
need nfdump
need python3
need_shared

caps=""
for f in ndpi-1kxun.pcap zeek-smb3-multichannel.pcap ndpi-http-ipv6.pcap; do
    [ -f "$PCAPS/$f" ] && caps="$caps $PCAPS/$f"
done
[ -n "$caps" ] || skip "none of the captures"

pmacct() { # CAPTURE PORT
    cat >"$TMP/pm.conf" <<EOC
daemonize: false
pcap_savefile: $1
plugins: nfprobe
nfprobe_receiver: 127.0.0.1:$2
nfprobe_version: 10
aggregate: src_host, dst_host, src_port, dst_port, proto
EOC
    pmacctd -f "$TMP/pm.conf" >"$TMP/pm.log" 2>&1 &
    local pp=$!
    PIDS="$PIDS $pp"
    # it sleeps 2 s, reads the file, exports and exits; should it stay
    # (PEERS.md: some builds wait for SIGINT), SIGINT makes it export
    for _ in $(seq 200); do kill -0 $pp 2>/dev/null || break; sleep 0.05; done
    kill -INT $pp 2>/dev/null || true
    wait $pp 2>/dev/null || true
}

i=0
for c in $caps; do
    i=$((i + 1))
    start_collect c$i 1 --listen udp://127.0.0.1:0 -w "$TMP/ns$i/f.ipfix" --rotate 0
    pmacct "$c" "$(port_of c$i udp)"
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
    pmacct "$c" "$port"
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
    [ "$(tail -n +2 "$TMP/netsift$i.csv" | wc -l)" -gt 0 ] || fail "$(basename "$c"): no flows"
    echo "$(basename "$c"): $out"
done

#!/bin/bash
# Done-means check: on every capture holding IP traffic, the sum of pkts and
# of bytes (IP octets) over `netsift read` equals what tshark counts for IP
# packets (outermost IP header: ip.len, or 40 + ipv6.plen), except for the
# documented cases in totals_vs_tshark.exceptions.
. "$(dirname "$0")/lib/common.sh"
need_shared; need tshark; need python3
exc="$NS_SRC/tests/regress/totals_vs_tshark.exceptions"
bad=0; checked=0
for f in "$PCAPS"/*.pcap "$PCAPS"/*.pcapng "$PCAPS"/*.cap; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    "$NS_BIN" probe -q -r "$f" -w "$TMP/o.ipfix" 2>"$TMP/err" || {
        grep -q "damaged" "$TMP/err" || { cat "$TMP/err"; fail "$name: probe failed"; }
    }
    ours=$("$NS_BIN" read -r "$TMP/o.ipfix" -F csv -s pkts,bytes | awk -F, 'NR>1{p+=$1;b+=$2} END{printf "%d %d\n", p, b}')
    theirs=$(tshark -r "$f" -T fields -E occurrence=f -e frame.protocols -e ip.len -e ipv6.plen 2>/dev/null | python3 -c '
import sys
p=b=0
for line in sys.stdin:
    protos,v4,v6=(line.rstrip("\n").split("\t")+["",""])[:3]
    layers=protos.split(":")
    first=next((l for l in layers if l in ("ip","ipv6")),None)
    if first=="ip" and v4: p+=1; b+=int(v4)
    elif first=="ipv6" and v6: p+=1; b+=40+int(v6)
print(p,b)')
    checked=$((checked+1))
    if [ "$ours" != "$theirs" ]; then
        if grep -q "^$name " "$exc" 2>/dev/null; then
            want=$(grep "^$name " "$exc" | awk '{print $2, $3}')
            # an exception pins our exact totals, so a change still shows
            [ "$want" = "$ours" ] || { echo "$name: netsift $ours, expected (exception) $want, tshark $theirs"; bad=$((bad+1)); }
        else
            echo "$name: netsift pkts/bytes $ours, tshark $theirs"; bad=$((bad+1))
        fi
    fi
done
echo "checked $checked captures, $bad disagreements"
[ "$bad" = 0 ]

#!/bin/bash
# Done-means: ipfixDump (libfixbuf, an independent IPFIX implementation)
# decodes every file netsift writes without error, showing the same
# records.  For the IPFIX file of every shared capture (plus a generated
# one with status records) ipfixDump must exit 0, complain about nothing,
# count the same data records (flow records + the RFC 5610 type records),
# and its per-field sums must equal netsift read's: packets and IP octets
# both ways, and signed loss (so negative corrections survive the trip).
. "$(dirname "$0")/lib/common.sh"
need_shared; need ipfixDump; need python3
"$NS_BIN" gen -w "$TMP/gen.pcap" --flows 2000 --loss 0.01 --reorder 0.01 --seed 3 2>/dev/null
checked=0
for f in "$PCAPS"/*.pcap "$PCAPS"/*.pcapng "$PCAPS"/*.cap "$TMP/gen.pcap"; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    status=0; [ "$name" = gen.pcap ] && status=1
    "$NS_BIN" probe -q -r "$f" --status "$status" -w "$TMP/o.ipfix" 2>/dev/null || true
    [ -s "$TMP/o.ipfix" ] || fail "$name: no output"
    if ! ipfixDump --rfc5610 -i "$TMP/o.ipfix" >"$TMP/dump" 2>"$TMP/err"; then
        fail "$name: ipfixDump failed: $(head -3 "$TMP/err")"
    fi
    if grep -qiE 'error|warn|invalid|malformed|alien' "$TMP/err" "$TMP/dump"; then
        fail "$name: ipfixDump complained: $(grep -iE 'error|warn|invalid|malformed|alien' "$TMP/err" "$TMP/dump" | head -2)"
    fi
    "$NS_BIN" read -r "$TMP/o.ipfix" -F csv -s spkts,dpkts,sbytes,dbytes,sloss,dloss >"$TMP/ours.csv"
    python3 - "$TMP/dump" "$TMP/ours.csv" "$name" <<'PY' || exit 1
import csv, re, sys
dump, ours, name = sys.argv[1:4]
rows = list(csv.DictReader(open(ours)))
want = {k: sum(int(r[k] or 0) for r in rows) for k in rows[0]} if rows else {}
fields = {"packetDeltaCount": "spkts", "reversePacketDeltaCount": "dpkts",
          "octetDeltaCount": "sbytes", "reverseOctetDeltaCount": "dbytes",
          "lossPackets": "sloss", "reverseLossPackets": "dloss"}
got = {v: 0 for v in fields.values()}
records = typeinfo = 0
for line in open(dump):
    if line.startswith("--- data record"):
        records += 1
    m = re.match(r"\s+\(\S+\)\s+(\w+) : (-?\d+)\s*$", line)
    if m and m.group(1) in fields:
        got[fields[m.group(1)]] += int(m.group(2))
    if "informationElementName :" in line:
        typeinfo += 1
if records - typeinfo != len(rows):
    sys.exit(f"{name}: ipfixDump shows {records - typeinfo} flow records, netsift read {len(rows)}")
for k in got:
    if rows and got[k] != want[k]:
        sys.exit(f"{name}: {k}: ipfixDump sums {got[k]}, netsift read {want[k]}")
PY
    checked=$((checked + 1))
done
echo "ipfixDump read all $checked files netsift wrote, records and sums identical"

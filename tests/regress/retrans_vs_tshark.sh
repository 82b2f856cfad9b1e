#!/bin/bash
# retrans_vs_tshark.sh — per TCP flow and direction, netsift's retransmission
# count against the frames tshark marks tcp.analysis.retransmission, on every
# capture in $NS_SHARED/pcaps and on a generated lossy, reordered capture
# (whose generator truth must also match netsift).
#
# One tshark pass per capture (`-T fields`, reassembly off so TCP is analysed
# on the frame netsift analyses).  lib/retrans_cmp.py replays netsift's TCP
# rule frame by frame as a reference model, checks it against the records,
# then classifies every frame where netsift and tshark disagree; only the
# documented classes are accepted, with their exact count per capture as
# listed in retrans_vs_tshark.exceptions.  Counts per capture are printed.
#
# Skips (77) without tshark or $NS_SHARED/pcaps.
. "$(dirname "$0")/lib/common.sh"
if [ "${1:-}" = "--one" ]; then
    # worker: $2 capture, $3 output directory, $4 tshark field arguments
    out="$3/$(basename "$2")"
    "$NS_BIN" probe -q -r "$2" -w "$out.ipfix" 2>"$out.err" || {
        grep -q "damaged" "$out.err" || { cat "$out.err" >&2; echo "probe failed on $2" >&2; exit 1; }
    }
    "$NS_BIN" read -r "$out.ipfix" -F csv \
        -s flowid,protonum,saddr,daddr,sport,dport,vlan,sretrans,dretrans,sooo,dooo >"$out.csv"
    "$NS_BUILD/ns_pktdump" -x "$2" >"$out.nsdump" 2>/dev/null || true
    # shellcheck disable=SC2086
    tshark -o ip.defragment:FALSE -o ipv6.defragment:FALSE -r "$2" -T fields \
        -E separator=/t -E occurrence=f $4 >"$out.ts" 2>/dev/null
    exit 0
fi
need_shared; need tshark; need python3
[ -x "$NS_BUILD/ns_pktdump" ] || fail "missing $NS_BUILD/ns_pktdump"
lib="$NS_SRC/tests/regress/lib"
exc="$NS_SRC/tests/regress/retrans_vs_tshark.exceptions"
fields=$(python3 "$lib/retrans_cmp.py" --fields)

"$NS_BIN" gen -w "$TMP/gen-lossy.pcap" --flows 3000 --loss 0.01 --down-loss 0.005 \
    --reorder 0.01 --truth "$TMP/gen-truth.json"
mkdir "$TMP/out"
{ ls "$PCAPS"/*.pcap "$PCAPS"/*.pcapng "$PCAPS"/*.cap 2>/dev/null; echo "$TMP/gen-lossy.pcap"; } |
    xargs -P "$(nproc 2>/dev/null || echo 2)" -I{} \
        bash "$0" --one {} "$TMP/out" "$fields" 2>&1 | sed 's/^/worker: /' | tee "$TMP/werr"
[ ! -s "$TMP/werr" ] || fail "a worker failed"
python3 "$lib/retrans_cmp.py" "$TMP/out" "$exc" "$TMP/gen-truth.json:gen-lossy.pcap"

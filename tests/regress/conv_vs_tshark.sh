#!/bin/bash
# conv_vs_tshark.sh — per conversation, packets and IP octets in each
# direction agree with tshark, on every capture in $NS_SHARED/pcaps and on a
# generated one (lossy, reordered: `netsift gen`).
#
# One tshark pass per capture (`-T fields`, reassembly off) gives each
# frame's outermost IP layer and transport; lib/conv_cmp.py builds tshark's
# conversations from them (tcp.stream/udp.stream; fragments attributed to
# their datagram as netsift does) and compares them with netsift's records
# merged by flowid, per 5-tuple in either orientation.  Frames netsift's
# decoder rejects (ns_pktdump) are keyed as the meter keys them and counted
# by reason.  Differences must be listed, with their reason, in
# conv_vs_tshark.exceptions; see conv_cmp.py.
#
# Skips (77) without tshark or $NS_SHARED/pcaps.
. "$(dirname "$0")/lib/common.sh"
if [ "${1:-}" = "--one" ]; then
    # worker: $2 capture, $3 output directory, $4 tshark field arguments
    set -- "$1" "$2" "$3/$(basename "$2")" "$4"
    "$NS_BIN" probe -q -r "$2" -w "$3.ipfix" 2>"$3.err" || {
        grep -q "damaged" "$3.err" || { cat "$3.err" >&2; echo "probe failed on $2" >&2; exit 1; }
    }
    "$NS_BIN" read -r "$3.ipfix" -F csv -s flowid,ipver,protonum,saddr,daddr,sport,dport,spkts,dpkts,sbytes,dbytes >"$3.csv"
    "$NS_BUILD/ns_pktdump" "$2" >"$3.nsdump" 2>/dev/null || true
    # shellcheck disable=SC2086
    tshark -o ip.defragment:FALSE -o ipv6.defragment:FALSE -r "$2" -T fields \
        -E separator=/t -E occurrence=f $4 >"$3.ts" 2>/dev/null
    exit 0
fi
need_shared; need tshark; need python3
[ -x "$NS_BUILD/ns_pktdump" ] || fail "missing $NS_BUILD/ns_pktdump"
lib="$NS_SRC/tests/regress/lib"
exc="$NS_SRC/tests/regress/conv_vs_tshark.exceptions"
fields=$(python3 "$lib/conv_cmp.py" --fields)

"$NS_BIN" gen -w "$TMP/gen-lossy.pcap" --seed 1 --flows 3000 --loss 0.01 --down-loss 0.005 \
    --reorder 0.01 2>/dev/null
mkdir "$TMP/out"
{ ls "$PCAPS"/*.pcap "$PCAPS"/*.pcapng "$PCAPS"/*.cap 2>/dev/null; echo "$TMP/gen-lossy.pcap"; } |
    xargs -P "$(nproc 2>/dev/null || echo 2)" -I{} \
        bash "$0" --one {} "$TMP/out" "$fields" 2>&1 | sed 's/^/worker: /' | tee "$TMP/werr"
[ ! -s "$TMP/werr" ] || fail "a worker failed"
python3 "$lib/conv_cmp.py" "$TMP/out" "$exc"

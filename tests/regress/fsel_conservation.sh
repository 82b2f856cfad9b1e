#!/bin/bash
# Flow selection under resource limits (issue 6, RFC 7014,
# draft-molina-flow-selection-00): with a cache of 10 % of the flows under
# every policy, on real captures and on generated traffic,
#  - the conservation identities hold exactly as the collector sees them
#    (netsift read --check on the options records and the records read);
#  - the report of what was left out equals the truth, computed apart: the
#    packets/octets of an unlimited run's records minus those of the limited
#    run's records (so a meter that lost packets without counting them, or
#    counted some twice, fails here even if its own sums agree);
#  - the observed totals the meter reports equal the unlimited run's.
# And --check can fail: two runs' records under one run's statistics.
. "$(dirname "$0")/lib/common.sh"
need_shared
NS=$NS_BIN

sums() { # ipfix -> "packets octets" of its flow records
    $NS read -r "$1" -F csv -s spkts,dpkts,sbytes,dbytes 2>/dev/null |
        awk -F, 'NR>1 {p+=$1+$2; o+=$3+$4} END {printf "%d %d\n", p, o}'
}
flows() { # final records of an ipfix
    $NS read -r "$1" -F csv -s flowid 2>/dev/null | tail -n +2 | sort -u | wc -l
}
field() { # check-output label -> the number after "label"
    sed -n "s/.*$2 \([0-9]*\).*/\1/p" <<<"$1" | head -1
}

POLICIES="emergency-expire drop-new evict-lru evict-smallest evict-oldest sample-hold:3000"

run() { # name pcap [extra probe options]
    local name=$1 pcap=$2
    shift 2
    $NS probe -q -r "$pcap" -w "$TMP/full.ipfix" --process-stats
    read -r tp to <<<"$(sums "$TMP/full.ipfix")"
    local nf
    nf=$(flows "$TMP/full.ipfix")
    local cache=$(((nf + 9) / 10))
    for pol in $POLICIES "evict-lru --multistage 3,64,2000" "drop-new --export-policy smart:5000"; do
        # shellcheck disable=SC2086
        $NS probe -q -r "$pcap" -w "$TMP/lim.ipfix" --cache-size $cache --cache-policy $pol "$@"
        local out
        out=$($NS read -r "$TMP/lim.ipfix" --check) ||
            fail "$name/$pol: read --check: $out"
        [ "$(tail -1 <<<"$out")" = OK ] || fail "$name/$pol: $out"
        read -r lp lo <<<"$(sums "$TMP/lim.ipfix")"
        local obs_p obs_o ign_p ev_p ign_o ev_o ns_p=0 ns_o=0
        obs_p=$(field "$out" "observed packets *")
        obs_o=$(field "$out" "observed octets *")
        ign_p=$(sed -n 's/.*observed packets .*= ignored \([0-9]*\) + evicted \([0-9]*\).*/\1 \2/p' <<<"$out")
        ign_o=$(sed -n 's/.*observed octets .*= ignored \([0-9]*\) + evicted \([0-9]*\).*/\1 \2/p' <<<"$out")
        ev_p=${ign_p#* } ign_p=${ign_p% *} ev_o=${ign_o#* } ign_o=${ign_o% *}
        if grep -q "exporting process" <<<"$out"; then
            ns_p=$(sed -n 's/.*metered packets .*not sent \([0-9]*\) .*/\1/p' <<<"$out")
            ns_o=$(sed -n 's/.*metered octets .*not sent \([0-9]*\) .*/\1/p' <<<"$out")
        fi
        [ "$obs_p" = "$tp" ] && [ "$obs_o" = "$to" ] ||
            fail "$name/$pol: observed $obs_p packets $obs_o octets, the unlimited run's records hold $tp $to"
        [ $((tp - lp)) -eq $((ign_p + ev_p + ns_p)) ] ||
            fail "$name/$pol: $((tp - lp)) packets missing from the records, the report says $ign_p + $ev_p + $ns_p"
        [ $((to - lo)) -eq $((ign_o + ev_o + ns_o)) ] ||
            fail "$name/$pol: $((to - lo)) octets missing from the records, the report says $ign_o + $ev_o + $ns_o"
        printf '%-14s cache %6d %-36s left out %7d pkts %10d octets: exact\n' "$name" "$cache" \
            "$pol" $((tp - lp)) $((to - lo))
    done
}

run 1kxun "$PCAPS/ndpi-1kxun.pcap"
run smb3 "$PCAPS/zeek-smb3-multichannel.pcap"
run netflix "$PCAPS/ndpi-netflix.pcap"
run alexa "$PCAPS/ndpi-alexa-app.pcapng"
run frag "$PCAPS/ndpi-dns-fragmented.pcap"
$NS gen -w "$TMP/gen.pcap" --flows 20000 --seed 7 2>/dev/null
run gen "$TMP/gen.pcap" --status 2 --idle 5
# periodic statistics records (every second of packet time): the newest wins
run gen-periodic "$TMP/gen.pcap" --process-stats=1

# --check fails when the records do not match the statistics
$NS probe -q -r "$PCAPS/ndpi-1kxun.pcap" -w "$TMP/a.ipfix" --cache-size 20 --cache-policy drop-new
$NS probe -q -r "$PCAPS/ndpi-netflix.pcap" -w "$TMP/b.ipfix" --process-stats
cat "$TMP/a.ipfix" "$TMP/b.ipfix" >"$TMP/ab.ipfix"
if out=$($NS read -r "$TMP/ab.ipfix" --check); then
    fail "--check said OK on two runs' records under one run's statistics: $out"
fi
grep -q DIFFERS <<<"$out" || fail "--check did not show the difference: $out"
echo "ok: --check shows the difference on mixed files"

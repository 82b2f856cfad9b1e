#!/bin/bash
# The seed problem from the Argus list: "racluster -m proto - tcp" reported
# less loss than the records it merged.  Here, on a real capture whose status
# records carry a sequence-gap loss and, in a later record of the same flow,
# its negative correction (ndpi-tor.pcap metered with 50 ms status records),
# and on a generated capture with injected loss:
#   aggregate -m proto - tcp  ==  sum of read -s loss - tcp
# and the same through pipes (aggregate -w - | aggregate), per-flow merging
# (the default key), and time bins of several widths.
. "$(dirname "$0")/lib/common.sh"
need_shared
NS=$NS_BIN

check() { # name ipfix
    local f=$2
    local want got
    want=$($NS read -r "$f" -s loss -F csv - tcp | awk -F, 'NR>1 && $1!="" {s+=$1} END {print s+0}')
    got=$($NS aggregate -r "$f" -m proto -s loss -F csv - tcp | awk -F, 'NR>1 {s+=$1} END {print s+0}')
    [ "$want" = "$got" ] || fail "$1: aggregate -m proto - tcp says loss $got, the records sum to $want"
    got=$($NS aggregate -r "$f" -w - | $NS aggregate -r - -m proto -s loss -F csv - tcp |
        awk -F, 'NR>1 {s+=$1} END {print s+0}')
    [ "$want" = "$got" ] || fail "$1: per-flow then per-proto aggregation says $got, want $want"
    got=$($NS aggregate -r "$f" -m none -s loss -F csv - tcp | awk -F, 'NR>1 {s+=$1} END {print s+0}')
    [ "$want" = "$got" ] || fail "$1: -m none says $got, want $want"
    for w in 0.01 0.1 1 60; do
        got=$($NS bins -r "$f" -M time $w -s loss -F csv - tcp | awk -F, 'NR>1 && $1!="" {s+=$1} END {print s+0}')
        [ "$want" = "$got" ] || fail "$1: bins -M time $w says $got, want $want"
    done
    echo "$1: total TCP loss $want in every view"
}

# Real capture: a gap reported in one status record, corrected in the next.
$NS probe -q -r "$PCAPS/ndpi-tor.pcap" --status 0.05 -w "$TMP/tor.ipfix"
neg=$($NS read -r "$TMP/tor.ipfix" -s loss -F csv - tcp and loss lt 0 | tail -n +2 | wc -l)
pos=$($NS read -r "$TMP/tor.ipfix" -s loss -F csv - tcp and loss gt 0 | tail -n +2 | wc -l)
[ "$neg" -ge 1 ] && [ "$pos" -ge 1 ] ||
    fail "precondition: ndpi-tor.pcap should give status records with loss and with negative loss ($pos, $neg)"
# the correction and the loss it corrects belong to one flow: merged by flow, it nets out
fid=$($NS read -r "$TMP/tor.ipfix" -s flowid -F csv - tcp and loss lt 0 | sed -n 2p)
flow_loss=$($NS aggregate -r "$TMP/tor.ipfix" -s flowid,loss -F csv - tcp |
    awk -F, -v id="$fid" '$1==id {print $2}')
parts=$($NS read -r "$TMP/tor.ipfix" -s flowid,loss -F csv - tcp |
    awk -F, -v id="$fid" '$1==id && $2!="" {s+=$2} END {print s+0}')
[ "$flow_loss" = "$parts" ] || fail "flow $fid: merged loss $flow_loss, its records sum to $parts"
check ndpi-tor "$TMP/tor.ipfix"
# with no key, the status records of each flow merge back into one record
flows=$($NS read -r "$TMP/tor.ipfix" -s flowid -F csv | tail -n +2 | sort -u | wc -l)
recs=$($NS read -r "$TMP/tor.ipfix" -s flowid -F csv | tail -n +2 | wc -l)
agg=$($NS aggregate -r "$TMP/tor.ipfix" -s flowid,trans -F csv | tail -n +2)
[ "$(echo "$agg" | wc -l)" = "$flows" ] || fail "aggregate gave $(echo "$agg" | wc -l) records for $flows flows"
[ "$(echo "$agg" | cut -d, -f1 | sort -u | wc -l)" = "$flows" ] || fail "a flow was split"
[ "$(echo "$agg" | awk -F, '{s+=$2} END {print s}')" = "$recs" ] || fail "trans does not add up to $recs records"
[ "$recs" -gt "$flows" ] || fail "precondition: status records expected ($recs records, $flows flows)"

# Generated capture: injected upstream and downstream loss, reordering.
$NS gen -w "$TMP/gen.pcap" --flows 2000 --seed 11 --loss 0.01 --down-loss 0.005 --reorder 0.01 \
    --truth "$TMP/truth.json"
$NS probe -q -r "$TMP/gen.pcap" --status 1 -w "$TMP/gen.ipfix"
check generated "$TMP/gen.ipfix"

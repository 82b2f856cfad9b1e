#!/bin/bash
# filter_vs_bpf.sh — the record filter selects the same flows as libpcap's
# BPF compiler (an independent implementation of the same vocabulary).
#
# Per capture and expression, two sets of flow keys (proto, saddr, sport,
# daddr, dport) must be equal:
#   ours:  netsift probe -r CAP -w - | netsift read -r - -s KEY -F csv - EXPR
#   BPF:   netsift probe -r CAP -w - 'BPF-EXPR' | netsift read -r - -s KEY -F csv
# Only terms that hold for every packet of a flow or for none are used
# (protocol, host, net, port, portrange without src/dst): BPF's src and dst
# are per packet, a record's are the flow's initiator and responder, so
# `dst port 443` legitimately selects different things.
#
# VLAN: libpcap matches tagged frames only after `vlan`, so each BPF
# expression E runs as `E or (vlan and (E or (vlan and E)))` (one or two
# tags).  That form is wrong for expressions with `not` (an outer `not tcp`
# is true for any tagged frame), so those are skipped on captures with
# tagged frames.  Link types without VLANs refuse the form; E is used as is.
#
# Real differences are listed, with their reason, in
# filter_vs_bpf.exceptions; any other difference fails the test.
. "$(dirname "$0")/lib/common.sh"
need_shared
need python3
set -f # expressions are expanded unquoted, as a user types them
exc="$NS_SRC/tests/regress/filter_vs_bpf.exceptions"
[ -f "$exc" ] || fail "missing $exc"
ns() { "$NS_BIN" "$@"; }
KEY=proto,saddr,sport,daddr,dport

CAPS="ndpi-1kxun.pcap ndpi-http-ipv6.pcap zeek-http-bro-org.pcap ndpi-dns-doh.pcap
ndpi-quic.pcap ndpi-teams.pcap ndpi-zoom.pcap zeek-icmp6-ping.pcap zeek-icmp-5-pings.pcap
ndpi-sctp.cap ndpi-esp.pcapng zeek-ip6-esp.pcap zeek-vlan-http.pcap zeek-qinq.pcap
tcpdump-icmpv6.pcap zeek-ipv4-fragmented-1.pcap zeek-ipv4-fragmented-2.pcap
zeek-ipv4-fragmented-3.pcap zeek-ipv4-fragmented-4.pcap zeek-ipv6-fragmented-dns.pcap
ndpi-dns-fragmented.pcap ndpi-alexa-app.pcapng zeek-ssh-long.pcap ndpi-synscan.pcap
tcpdump-linktype-raw-ipv4.pcap"

# ours|BPF; @H is a host and @N a network of the capture (its first record's
# initiator, /16 or /48).
EXPRS='tcp|tcp
udp|udp
icmp|icmp
icmp6|icmp6
ip|ip
ip6|ip6
sctp|sctp
proto 50|ip proto 50 or ip6 proto 50
udp and port 53|udp and port 53
tcp and port 443|tcp port 443
port 80 or 443|port 80 or port 443
tcp port 80 or 443|tcp and (port 80 or port 443)
portrange 1-1023|portrange 1-1023
host @H|host @H
net @N|net @N
host @H and (udp or icmp or icmp6)|host @H and (udp or icmp or icmp6)
not tcp|not tcp
(udp or icmp) and not host @H|(udp or icmp) and not host @H
tcp and not (port 80 or 443)|tcp and not (port 80 or port 443)'

checked=0 explained=0 skipped=0
: >"$TMP/used"
for cap in $CAPS; do
    c="$PCAPS/$cap"
    [ -f "$c" ] || { echo "note: $cap missing"; continue; }
    ns probe -q -r "$c" -w "$TMP/all.ipfix" 2>/dev/null || true
    H=$(ns read -r "$TMP/all.ipfix" -F csv -s saddr | sed -n 2p)
    [ -n "$H" ] || fail "$cap: no records"
    N=$(python3 -c "import ipaddress,sys; a=sys.argv[1]; print(ipaddress.ip_network(a+('/48' if ':' in a else '/16'), strict=False))" "$H")
    ns probe -q -r "$c" -w "$TMP/vlan.ipfix" vlan 2>/dev/null || true
    tagged=$(ns read -r "$TMP/vlan.ipfix" -F csv -s proto 2>/dev/null | tail -n +2 | wc -l)
    while IFS='|' read -r ours bpf; do
        ours=${ours//@H/$H} ours=${ours//@N/$N} bpf=${bpf//@H/$H} bpf=${bpf//@N/$N}
        if [ "$tagged" -gt 0 ] && [[ $bpf == *not* ]]; then
            skipped=$((skipped + 1))
            continue
        fi
        ns probe -q -r "$c" -w - 2>/dev/null | ns read -r - -s "$KEY" -F csv - $ours |
            tail -n +2 | sort -u >"$TMP/ours" || fail "$cap: netsift read - $ours failed"
        w="($bpf) or (vlan and (($bpf) or (vlan and ($bpf))))"
        if ! ns probe -q -r "$c" -w "$TMP/bpf.ipfix" "$w" 2>/dev/null; then
            ns probe -q -r "$c" -w "$TMP/bpf.ipfix" "$bpf" 2>"$TMP/err" ||
                grep -q damaged "$TMP/err" || fail "$cap: BPF '$bpf': $(cat "$TMP/err")"
        fi
        ns read -r "$TMP/bpf.ipfix" -s "$KEY" -F csv | tail -n +2 | sort -u >"$TMP/bpf"
        checked=$((checked + 1))
        # '<' only ours, '>' only BPF's
        diff "$TMP/ours" "$TMP/bpf" | grep '^[<>]' | while read -r side key; do
            line=$(awk -F'\t' -v c="$cap" -v e="$ours" -v k="$side $key" \
                '$1==c && $2==e && $3==k {print NR": "$4; exit}' "$exc")
            if [ -n "${NS_FILTER_BPF_LIST:-}" ]; then # print exception lines to fill in
                [ -n "$line" ] || printf '%s\t%s\t%s %s\t?\n' "$cap" "$ours" "$side" "$key"
                continue
            fi
            [ -n "$line" ] || fail "$cap [$ours]: unexplained difference $side $key (< only netsift, > only BPF)"
            echo "${line%%:*}" >>"$TMP/used"
        done
    done <<<"$EXPRS"
done
explained=$(sort -u "$TMP/used" | grep -c . || true)
total=$(grep -vc '^#' "$exc" || true)
[ "$explained" = "$total" ] || echo "note: $((total - explained)) exceptions in $(basename "$exc") no longer needed"
[ "$checked" -gt 300 ] || fail "only $checked comparisons ran"
echo "filter_vs_bpf: $checked comparisons equal up to $explained explained differences ($skipped skipped: not on tagged captures)"

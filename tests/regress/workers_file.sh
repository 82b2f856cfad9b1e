#!/bin/bash
# netsift probe -r FILE --workers N: the packets are spread over N flow
# caches by a symmetric hash of the outer addresses (probe/dispatch.h), the
# workers' clocks follow every packet's time, and the records meet in one
# writer.  On real captures chosen for what could split a flow — fragments
# (IPv4 and IPv6), tunnels (GRE, 6in4, 4in6, Teredo, VXLAN), VLAN/QinQ,
# MPLS, PPPoE, ICMP errors, long TCP and DNS captures with idle and status
# expiry, damaged and pcapng (libpcap, copied frames) inputs, and stdin —
# --workers 2 and 3 must write the same records as --workers 1: every field
# `netsift read` knows, times included, sorted; only flowId legitimately
# differs (worker i of N numbers its k-th flow (k-1)*N+i+1).  Also:
#   - flowIds stay unique in the multi-worker output;
#   - the summary's totals are equal and the workers' packets add up to them,
#     and more than one worker had packets (the test means something);
#   - the IPFIX file of 3 workers is one stream: ipfixDump reads it, and each
#     message's sequence number is the count of data records before it
#     (RFC 7011 §3.1: one sequence space per observation domain);
#   - status and idle records with short timeouts (--status 5 --idle 2);
#   - exported over TCP and UDP to netsift collect from 3 workers: each
#     collector gets exactly the records of the -w file, flowIds included,
#     with no sequence gap (one exporting process);
#   - flow selection policies per worker cache: the summed statistics
#     records pass read --check, left-out equals what is missing.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need_shared
B=$NS_BIN
ALL=$("$B" read --help 2>&1 | sed -n '/^  [a-z]/p' | awk '{print $1}' | grep -vE '^(netsift|flowid)$')
# `read -s` takes at most 64 fields: two halves, pasted (same record order)
F1=$(echo "$ALL" | head -60 | paste -sd,)
F2=$(echo "$ALL" | tail -n +61 | paste -sd,)
[ -n "$F1" ] && [ -n "$F2" ] || fail "no field list from netsift read --help"
recs() { # ipfix
    paste -d, <("$B" read -r "$1" -F csv --epoch -s "$F1") <("$B" read -r "$1" -F csv --epoch -s "$F2") | sort
}
total() { sed -n 's/^netsift probe: \([0-9]*\) packets.*, \([0-9]*\) flows, \([0-9]*\) records$/\1 \2 \3/p' "$1"; }

CAPS=(zeek-http-bro-org.pcap ndpi-dns-fragmented.pcap ndpi-ip-fragmented-garbage.pcap
    zeek-quic-chromium-fragmented.pcap ndpi-gre.pcapng ndpi-6in4.pcap zeek-tunnel-4in6.pcap
    zeek-teredo.pcap zeek-vxlan.pcap zeek-vlan-collisions.pcap zeek-qinq.pcap
    zeek-trunc-mpls-6in6.pcap zeek-pppoe.pcap ndpi-malformed-icmp.pcap ndpi-teams.pcap
    ndpi-ipsec-isakmp-esp.pcap ndpi-rtp.pcapng ndpi-fuzz-2006.pcap zeek-ticks-dns-1hr.pcap
    ndpi-http-ipv6.pcap zeek-ssh-long.pcap)
multi=0
for c in "${CAPS[@]}"; do
    P=$PCAPS/$c
    [ -f "$P" ] || fail "missing capture $c"
    for opts in "" "--status 5 --idle 2"; do
        # shellcheck disable=SC2086
        "$B" probe $opts --workers 1 -r "$P" -w "$TMP/1.ipfix" 2>"$TMP/1.log" || true
        recs "$TMP/1.ipfix" >"$TMP/1.txt"
        [ "$(wc -l <"$TMP/1.txt")" -gt 1 ] || fail "$c: no records"
        for n in 2 3; do
            # shellcheck disable=SC2086
            "$B" probe $opts --workers $n -r "$P" -w "$TMP/$n.ipfix" 2>"$TMP/$n.log" || true
            recs "$TMP/$n.ipfix" >"$TMP/$n.txt"
            diff "$TMP/1.txt" "$TMP/$n.txt" >"$TMP/diff" ||
                { head -c 3000 "$TMP/diff" >&2; fail "$c $opts: --workers $n records differ from one worker's"; }
            [ "$(total "$TMP/1.log")" = "$(total "$TMP/$n.log")" ] ||
                fail "$c: totals $(total "$TMP/$n.log") with $n workers, $(total "$TMP/1.log") with one"
            sum=$(sed -n 's/^  worker [0-9]*: \([0-9]*\) packets.*/\1/p' "$TMP/$n.log" | awk '{s+=$1} END {print s+0}')
            [ "$sum" = "$(total "$TMP/1.log" | cut -d' ' -f1)" ] || fail "$c: workers' packets add up to $sum"
            busy=$(grep -cE '^  worker [0-9]*: [1-9]' "$TMP/$n.log" || true)
            [ "$busy" -lt 2 ] || multi=$((multi + 1))
            dups=$("$B" read -r "$TMP/$n.ipfix" -F csv -s flowid,reason | awk -F, 'NR>1 && $2!="status"{print $1}' | sort | uniq -d | wc -l)
            [ "$dups" -eq 0 ] || fail "$c: $dups flowIds given to more than one flow with $n workers"
        done
    done
    echo "ok $c: $(($(wc -l <"$TMP/1.txt") - 1)) records, same with 2 and 3 workers"
done
[ $multi -ge 20 ] || fail "only $multi runs spread packets over more than one worker"

# stdin (libpcap, frames copied into the batches)
"$B" probe -q --workers 1 -r - -w "$TMP/s1.ipfix" <"$PCAPS/ndpi-teams.pcap"
"$B" probe -q --workers 3 -r - -w "$TMP/s3.ipfix" <"$PCAPS/ndpi-teams.pcap"
diff <(recs "$TMP/s1.ipfix") <(recs "$TMP/s3.ipfix") >/dev/null || fail "stdin: records differ"
echo "ok stdin"

# one exporting process: one IPFIX stream, sequence numbers continuous
if command -v ipfixDump >/dev/null; then
    "$B" probe -q --workers 3 -r "$PCAPS/ndpi-teams.pcap" "$PCAPS/zeek-http-bro-org.pcap" -w "$TMP/seq.ipfix"
    ipfixDump -i "$TMP/seq.ipfix" >"$TMP/seq.dump" 2>&1 || fail "ipfixDump cannot read the 3-worker file"
    awk '/sequence number:/ {seq=$NF; sub(/.*sequence number: /, ""); split($0, a, " "); s=a[1];
                             if (s != want) {print "message " m ": sequence " s ", expected " want; bad=1} m++}
         /Msg Stats:/ {for (i=1;i<=NF;i++) if ($i=="Data") want += $(i-1)}
         END {exit bad}' "$TMP/seq.dump" || fail "sequence numbers are not continuous"
    echo "ok one stream: $(grep -c 'Message Header' "$TMP/seq.dump") messages, sequence numbers continuous"
fi

# the exporters hang off the same single writer: what each collector gets
# is the -w file, record for record, and no sequence number is skipped
start_collect cu 1 --listen udp://127.0.0.1:0 -w "$TMP/cu/u-%H%M%S.ipfix" --rotate 0
start_collect ct 1 --listen tcp://127.0.0.1:0 -w "$TMP/ct/t-%H%M%S.ipfix" --rotate 0
pu=$(port_of cu udp)
pt=$(port_of ct tcp)
[ -n "$pu" ] && [ -n "$pt" ] || fail "no collector ports"
"$B" probe -q --workers 3 -r "$PCAPS/ndpi-teams.pcap" "$PCAPS/zeek-ssh-long.pcap" -w "$TMP/x.ipfix" \
    --export "udp://127.0.0.1:$pu" --export "tcp://127.0.0.1:$pt" --export-rate 20000 2>"$TMP/x.log" ||
    fail "probe with exporters: $(cat "$TMP/x.log")"
sleep 0.5
stop_collect cu
stop_collect ct
records "$TMP/x.ipfix" >"$TMP/x.csv"
[ "$(wc -l <"$TMP/x.csv")" -gt 100 ] || fail "few records to export"
for c in cu ct; do
    records $(find "$TMP/$c" -name '*.ipfix') >"$TMP/$c.csv"
    cmp -s "$TMP/x.csv" "$TMP/$c.csv" || fail "$c: collected records differ: $(diff "$TMP/x.csv" "$TMP/$c.csv" | head -4)"
    grep -q "total: .* lost 0 in 0 gaps" "$TMP/$c.log" || fail "$c: $(grep total: "$TMP/$c.log")"
done
echo "ok export from 3 workers: $(wc -l <"$TMP/x.csv") records over UDP and TCP, no sequence gap"

# flow selection per worker cache (cache policies, multistage admission,
# export policy): the statistics records are summed over the workers, and
# the collector-side identities must hold exactly (read --check); the
# observed totals equal the capture's, and what the report says was left
# out equals what is missing from the records against an unlimited run.
pk() { "$B" read -r "$1" -s spkts,dpkts -F csv 2>/dev/null | awk -F, 'NR>1 {s+=$1+$2} END {print s+0}'; }
FS_PCAP="$PCAPS/ndpi-1kxun.pcap"
"$B" probe -q -r "$FS_PCAP" -w "$TMP/fs_full.ipfix"
full=$(pk "$TMP/fs_full.ipfix")
for wk in 2 3; do
    for pol in evict-lru drop-new evict-smallest sample-hold:3000 "evict-lru --multistage 3,64,2000" \
        "drop-new --export-policy smart:5000"; do
        # shellcheck disable=SC2086
        "$B" probe -q -r "$FS_PCAP" -w "$TMP/fs.ipfix" --workers $wk --cache-size 30 --cache-policy $pol
        out=$("$B" read -r "$TMP/fs.ipfix" --check) || fail "workers $wk $pol: read --check: $out"
        [ "$(tail -1 <<<"$out")" = OK ] || fail "workers $wk $pol: $out"
        obs=$(sed -n 's/.*observed packets *\([0-9]*\) = ignored \([0-9]*\) + evicted \([0-9]*\).*/\1 \2 \3/p' <<<"$out")
        read -r o ig ev <<<"$obs"
        nsp=$(sed -n 's/.*metered packets .*not sent \([0-9]*\) .*/\1/p' <<<"$out")
        [ "$o" = "$full" ] || fail "workers $wk $pol: observed $o packets, the capture has $full"
        lim=$(pk "$TMP/fs.ipfix")
        [ $((full - lim)) -eq $((ig + ev + ${nsp:-0})) ] ||
            fail "workers $wk $pol: $((full - lim)) packets missing from the records, the report says $ig + $ev + ${nsp:-0}"
    done
done
echo "ok flow selection with 2 and 3 workers: read --check OK, left-out = missing"

# refusals that must be said, not ignored
if "$B" probe --workers 0 -r "$PCAPS/ndpi-teams.pcap" -w /dev/null 2>"$TMP/e"; then fail "--workers 0 accepted"; fi
grep -q "workers wants" "$TMP/e" || fail "--workers 0 message: $(cat "$TMP/e")"
echo "ok errors"

#!/bin/bash
# Interop: a file written by netsift's IPFIX writer must be read without
# error by libfixbuf's ipfixDump, with the same number of data records and
# the exact values we wrote; our enterprise (PEN 32473) and RFC 5103
# reverse (PEN 29305) elements must decode too (as unknown enterprise IEs).
set -u
command -v ipfixDump >/dev/null 2>&1 || { echo "ipfixDump not installed"; exit 77; }
tool="${NS_BUILD:-build}/ipfix_randgen"
[ -x "$tool" ] || { echo "missing $tool"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

n=3000
info=$("$tool" "$tmp/f.ipfix" "$n" 42) || fail "writer failed"
flow_id=$(sed -n 's/.*flowId=\([0-9]*\).*/\1/p' <<<"$info")
pkts=$(sed -n 's/.*packetDeltaCount=\([0-9]*\).*/\1/p' <<<"$info")
octets=$(sed -n 's/.*octetDeltaCount=\([0-9]*\).*/\1/p' <<<"$info")

ipfixDump -i "$tmp/f.ipfix" >"$tmp/dump.txt" 2>"$tmp/err.txt"
rc=$?
[ "$rc" -eq 0 ] || fail "ipfixDump exit $rc: $(head -5 "$tmp/err.txt")"
if grep -qiE 'error|warn|invalid|malformed' "$tmp/err.txt" "$tmp/dump.txt"; then
    fail "ipfixDump complained: $(grep -iE 'error|warn|invalid|malformed' "$tmp/err.txt" "$tmp/dump.txt" | head -3)"
fi
# plus the RFC 5610 type records that open every netsift stream
nti=$(grep -c 'informationElementName : ' "$tmp/dump.txt")
[ "$nti" -gt 20 ] || fail "RFC 5610 type records missing ($nti)"
grep -qE "File Stats: [0-9]+ Messages, $((n + nti)) Data Records" "$tmp/dump.txt" ||
    fail "record count: $(grep 'File Stats' "$tmp/dump.txt")"
[ "$(grep -c '^--- data record' "$tmp/dump.txt")" -eq "$((n + nti))" ] || fail "data record headers"
# the first data record carries our first record's values
k=$((nti + 1))
first=$(awk -v h="--- data record $k ---" '$0==h{p=1;next} p&&/^--- /{exit} p' "$tmp/dump.txt")
grep -qE "flowId : $flow_id\$" <<<"$first" || fail "flowId $flow_id not in first record"
grep -qE "\(2\) +packetDeltaCount : $pkts\$" <<<"$first" || fail "packetDeltaCount $pkts"
grep -qE "\(1\) +octetDeltaCount : $octets\$" <<<"$first" || fail "octetDeltaCount $octets"
# enterprise and reverse elements present and decoded
grep -q '(32473/16385)' "$tmp/dump.txt" || fail "reverse enterprise IE (lossPackets|0x4000) missing"
grep -q '(29305/2) ' "$tmp/dump.txt" || fail "reversePacketDeltaCount missing"
grep -q 'flowStartNanoseconds' "$tmp/dump.txt" || fail "flowStartNanoseconds missing"
echo "ok: ipfixDump read $n records"

# With --rfc5610 ipfixDump learns our elements' names and types in-band.
ipfixDump --rfc5610 -i "$tmp/f.ipfix" >"$tmp/dump2.txt" 2>&1 || fail "ipfixDump --rfc5610 failed"
grep -qE '\(32473/1\) +lossPackets : -?[0-9]+$' "$tmp/dump2.txt" || fail "lossPackets not named via RFC 5610"
grep -qE '\(32473/16385\) +reverseLossPackets : -?[0-9]+$' "$tmp/dump2.txt" || fail "reverseLossPackets not named"
! grep -q '_alienInformationElement' "$tmp/dump2.txt" || fail "alien elements remain with --rfc5610"
echo "ok: ipfixDump --rfc5610 names every netsift element"

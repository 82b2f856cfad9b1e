#!/bin/bash
# select_hash.sh — hash-based selection (RFC 5475 §6.2):
#  1. consistency: a capture and the same traffic one router further on
#     (tests/tools/ns_reroute: new MACs, a VLAN tag added or removed,
#     TTL/hop limit decremented with the checksum fixed, DSCP re-marked)
#     select exactly the same packets, with the same digest, for every
#     hash function and domain; a selector that hashed the TTL (a raw
#     rule, as a control) does not;
#  2. the keyed variant (SipHash) selects a different set per key, of the
#     same size within a 99.9 % binomial interval, and the same set for
#     the same key at both points;
#  3. the hash values agree with an independent implementation: CRC-32
#     with Python's zlib.crc32 (initializer included), BOB with a Python
#     transcription of Bob Jenkins' lookup2 written from its description
#     (RFC 5475 Appendix A.1), on random inputs of every length 0-80.
. "$(dirname "$0")/lib/common.sh"
need_shared
need python3
SEL="$NS_BUILD/ns_select"
RR="$NS_BUILD/ns_reroute"
[ -x "$SEL" ] && [ -x "$RR" ] || fail "missing test tools in $NS_BUILD"

caps="zeek-http-bro-org.pcap ndpi-1kxun.pcap ndpi-http-ipv6.pcap zeek-vlan-http.pcap ndpi-quic.pcap
zeek-ipv4-fragmented-1.pcap ndpi-synscan.pcap zeek-icmp6-ping.pcap"
total=0
for cap in $caps; do
    c="$PCAPS/$cap"
    [ -f "$c" ] || continue
    "$RR" "$c" "$TMP/b.pcap" || fail "ns_reroute $cap"
    for spec in "hash:bob,frac=0.1" "hash:ipsx,init=7,frac=0.2" "hash:crc32,init=99,range=0-858993459" \
        "hash:bob,frac=0.3,domain=ip" "hash:crc32,frac=0.3,domain=ip+payload64" \
        "hash:sip,frac=0.1,key=00112233445566778899aabbccddeeff"; do
        "$SEL" -d -s "$spec" "$c" >"$TMP/a.sel" 2>/dev/null
        "$SEL" -d -s "$spec" "$TMP/b.pcap" >"$TMP/b.sel" 2>/dev/null
        cmp -s "$TMP/a.sel" "$TMP/b.sel" || fail "$cap [$spec]: the two observation points select differently:
$(diff "$TMP/a.sel" "$TMP/b.sel" | head -5)"
        total=$((total + $(wc -l <"$TMP/a.sel")))
    done
    # control: a rule on the TTL sees the router's change
    "$SEL" -s 'match:ip[8] & 1 == 0' "$c" >"$TMP/a.sel" 2>/dev/null
    "$SEL" -s 'match:ip[8] & 1 == 0' "$TMP/b.pcap" >"$TMP/b.sel" 2>/dev/null
    if [ -s "$TMP/a.sel" ] && cmp -s "$TMP/a.sel" "$TMP/b.sel"; then
        fail "$cap: the rewritten capture did not change the TTL (control)"
    fi
done
[ "$total" -gt 2000 ] || fail "only $total selected packets compared"
echo "select_hash: consistent at both observation points ($total selections compared)"

# keyed: per key a different set of equal size
c="$PCAPS/zeek-http-bro-org.pcap"
"$NS_BIN" gen -w "$TMP/g.pcap" --flows 2000 --seed 3 >/dev/null 2>&1
n=$("$SEL" -s count:1/1 "$TMP/g.pcap" 2>/dev/null | wc -l)
for k in 1 2 3 4 5; do
    key=$(printf '%032x' $((k * 104729)))
    "$SEL" -s "hash:sip,frac=0.05,key=$key" "$TMP/g.pcap" 2>/dev/null >"$TMP/k$k"
done
python3 - "$TMP" "$n" <<'PY'
import math, sys
tmp, n = sys.argv[1], int(sys.argv[2])
sets = [set(open(f"{tmp}/k{k}").read().split()) for k in range(1, 6)]
mean, sd = n * 0.05, math.sqrt(n * 0.05 * 0.95)
for i, s in enumerate(sets):
    if abs(len(s) - mean) > 3.29 * sd:
        sys.exit(f"FAIL: key {i+1} selected {len(s)} of {n}, expected {mean:.0f} +- {3.29*sd:.0f}")
for i in range(5):
    for j in range(i + 1, 5):
        o = len(sets[i] & sets[j])
        # independent keys: overlap like two independent 5 % samples (0.25 %),
        # loosely: far below either set
        if o > 0.2 * len(sets[i]):
            sys.exit(f"FAIL: keys {i+1} and {j+1} share {o} packets")
print(f"keyed: 5 keys select {[len(s) for s in sets]} of {n} (expected {mean:.0f} +- {3.29*sd:.0f}), "
      f"overlaps {[len(sets[i] & sets[j]) for i in range(5) for j in range(i+1,5)]}")
PY

# hash values against independent implementations
python3 - "$SEL" <<'PY'
import random, subprocess, sys, zlib
sel = sys.argv[1]
def bob(k, init):
    M = 0xffffffff
    def mix(a, b, c):
        a = (a - b - c) & M; a ^= c >> 13
        b = (b - c - a) & M; b ^= (a << 8) & M
        c = (c - a - b) & M; c ^= b >> 13
        a = (a - b - c) & M; a ^= c >> 12
        b = (b - c - a) & M; b ^= (a << 16) & M
        c = (c - a - b) & M; c ^= b >> 5
        a = (a - b - c) & M; a ^= c >> 3
        b = (b - c - a) & M; b ^= (a << 10) & M
        c = (c - a - b) & M; c ^= b >> 15
        return a, b, c
    a = b = 0x9e3779b9; c = init
    i, n = 0, len(k)
    while n - i >= 12:
        a = (a + int.from_bytes(k[i:i+4], 'little')) & M
        b = (b + int.from_bytes(k[i+4:i+8], 'little')) & M
        c = (c + int.from_bytes(k[i+8:i+12], 'little')) & M
        a, b, c = mix(a, b, c)
        i += 12
    t = k[i:] + bytes(12)
    c = (c + n) & M
    a = (a + int.from_bytes(t[0:4], 'little')) & M
    b = (b + int.from_bytes(t[4:8], 'little')) & M
    c = (c + (int.from_bytes(t[8:11], 'little') << 8)) & M
    return mix(a, b, c)[2]
rnd = random.Random(5475)
bad = 0
for n in range(81):
    data = bytes(rnd.randrange(256) for _ in range(n))
    init = rnd.randrange(1 << 32)
    for fn, ref in (("crc32", zlib.crc32(data, init)), ("bob", bob(data, init))):
        got = int(subprocess.run([sel, "-H", fn, str(init), data.hex() or "00"[:0]],
                                 capture_output=True, text=True, check=True).stdout, 16)
        if got != ref:
            bad += 1
            print(f"{fn} len {n} init {init}: netsift {got:08x}, reference {ref:08x}")
if bad:
    sys.exit("FAIL: hash values differ from the reference implementations")
print("hash values: CRC-32 equals zlib.crc32 and BOB equals the Python lookup2 on 81 lengths")
PY

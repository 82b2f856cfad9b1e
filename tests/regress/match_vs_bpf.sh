#!/bin/bash
# match_vs_bpf.sh — the property-match compiler (src/select/match.c)
# selects the same packets as libpcap's BPF compiler given the same
# expression, on every shared capture.
#
# Per capture and expression, two sets of frame numbers must be equal:
#   ours:  ns_select -M exprs CAP      (ns_match_compile + ns_match_eval)
#   BPF:   ns_select -B exprs CAP      (pcap_compile + pcap_offline_filter)
# VLAN and MPLS: netsift's decoded view sees through tags and labels; BPF
# must be told (`vlan and (E)`), so ns_select -B tests each frame with the
# form for its encapsulation (see tests/tools/ns_select.c).
#
# The third column of an expression, when present, is a BPF scope: only
# frames it accepts are compared, because outside it the two languages
# legitimately differ (the reason is given beside it).  Differences left
# are listed, with their reason, in match_vs_bpf.exceptions (capture,
# expression, "< FRAME" only netsift / "> FRAME" only BPF, or "< *" / "> *"
# for every frame of that capture, reason); any other fails the test.
# NS_MATCH_BPF_LIST=1 prints the unexplained ones in that format.
. "$(dirname "$0")/lib/common.sh"
need_shared
need python3
SEL="$NS_BUILD/ns_select"
DUMP="$NS_BUILD/ns_pktdump"
[ -x "$SEL" ] || fail "missing $SEL"
exc="$NS_SRC/tests/regress/match_vs_bpf.exceptions"
[ -f "$exc" ] || fail "missing $exc"

# ours|BPF|scope; @H a host, @N a network of the capture.
# Scopes:
#  - tcp[]/udp[] in BPF read only IPv4 (libpcap: "IPv6 upper-layer protocol
#    is not supported by proto[x]"); netsift reads IPv6 transport headers too.
#  - BPF port/portrange/tcp/udp on IPv6 read only the fixed header's next
#    header (and one fragment header); netsift follows the extension header
#    chain: compared on IPv4 and on IPv6 without extension headers.
#  - BPF host/net also match ARP and RARP sender/target addresses; netsift's
#    are IP addresses only: compared on frames that are neither.
cat >"$TMP/exprs" <<'EOF'
tcp|tcp|ip or (ip6 and (ip6[6] = 6 or ip6[6] = 17 or ip6[6] = 58 or ip6[6] = 132 or ip6[6] = 50 or ip6[6] = 59))
udp|udp|ip or (ip6 and (ip6[6] = 6 or ip6[6] = 17 or ip6[6] = 58 or ip6[6] = 132 or ip6[6] = 50 or ip6[6] = 59))
icmp|icmp
icmp6|icmp6|ip or (ip6 and (ip6[6] = 6 or ip6[6] = 17 or ip6[6] = 58 or ip6[6] = 132 or ip6[6] = 50 or ip6[6] = 59))
ip|ip
ip6|ip6
sctp|sctp
esp|esp
gre|ip proto 47 or ip6 proto 47
proto 50|ip proto 50 or ip6 proto 50
udp and port 53|udp and port 53|ip or (ip6 and (ip6[6] = 6 or ip6[6] = 17 or ip6[6] = 132))
tcp and port 443|tcp port 443|ip or (ip6 and (ip6[6] = 6 or ip6[6] = 17 or ip6[6] = 132))
port 80 or 443|port 80 or 443|ip or (ip6 and (ip6[6] = 6 or ip6[6] = 17 or ip6[6] = 132))
src port 53|src port 53|ip or (ip6 and (ip6[6] = 6 or ip6[6] = 17 or ip6[6] = 132))
dst portrange 1024-65535|dst portrange 1024-65535|ip or (ip6 and (ip6[6] = 6 or ip6[6] = 17 or ip6[6] = 132))
portrange 1-1023|portrange 1-1023|ip or (ip6 and (ip6[6] = 6 or ip6[6] = 17 or ip6[6] = 132))
host @H|host @H|not (arp or rarp)
src host @H|src host @H|not (arp or rarp)
dst net @N|dst net @N|not (arp or rarp)
net @N and tcp|net @N and tcp|ip or (ip6 and (ip6[6] = 6 or ip6[6] = 17 or ip6[6] = 132))
len > 1000|len > 1000
greater 1000|greater 1000
less 100|less 100
tcp[13] & 2 != 0|tcp[13] & 2 != 0|ip
tcp[13] & 0x12 == 0x12|tcp[13] & 0x12 == 0x12|ip
ip[8] < 64|ip[8] < 64
udp[2:2] = 53|udp[2:2] = 53|ip
ether[0] & 1 != 0|ether[0] & 1 != 0
not tcp|not tcp|ip or (ip6 and (ip6[6] = 6 or ip6[6] = 17 or ip6[6] = 58 or ip6[6] = 132 or ip6[6] = 50 or ip6[6] = 59)) or not (ip or ip6)
not (udp or icmp) and ip|not (udp or icmp) and ip
tcp and not (port 80 or 443)|tcp and not (port 80 or 443)|ip or (ip6 and (ip6[6] = 6 or ip6[6] = 17 or ip6[6] = 132))
host @H and (udp or icmp or icmp6)|host @H and (udp or icmp or icmp6)|ip or (ip6 and (ip6[6] = 6 or ip6[6] = 17 or ip6[6] = 58 or ip6[6] = 132))
EOF

mkdir -p "$TMP/out"
n=0
for c in "$PCAPS"/*.pcap "$PCAPS"/*.pcapng "$PCAPS"/*.cap; do
    [ -f "$c" ] || continue
    n=$((n + 1))
    cap=$(basename "$c")
    H=$("$DUMP" "$c" 2>/dev/null | awk -F'\t' '$3=="4"||$3=="6" {print $4; exit}' || true)
    [ -n "$H" ] || H=192.0.2.1
    N=$(python3 -c "import ipaddress,sys; a=sys.argv[1]; print(ipaddress.ip_network(a+('/48' if ':' in a else '/16'), strict=False))" "$H")
    sed "s|@H|$H|g; s|@N|$N|g" "$TMP/exprs" >"$TMP/out/$cap.exprs"
    cut -d'|' -f1 "$TMP/out/$cap.exprs" >"$TMP/ours.txt"
    # BPF: the expressions, then the scopes (empty scope: every frame)
    { cut -d'|' -f2 "$TMP/out/$cap.exprs"
      awk -F'|' '{print ($3 == "" ? "len >= 0" : $3)}' "$TMP/out/$cap.exprs"; } >"$TMP/bpf.txt"
    "$SEL" -M "$TMP/ours.txt" "$c" >"$TMP/out/$cap.ours" 2>"$TMP/err" ||
        fail "$cap: ns_select -M: $(cat "$TMP/err")"
    "$SEL" -B "$TMP/bpf.txt" "$c" >"$TMP/out/$cap.bpf" 2>/dev/null || true
done
[ "$n" -gt 100 ] || fail "only $n captures"

python3 - "$TMP/out" "$exc" <<'PY'
import os, sys
out, exc = sys.argv[1], sys.argv[2]
rules = {}
for ln, line in enumerate(open(exc), 1):
    if line.startswith('#') or not line.strip():
        continue
    f = line.rstrip('\n').split('\t')
    if len(f) < 4 or not f[3].strip():
        sys.exit(f"FAIL: {exc}:{ln}: want capture, expression, side+frame, reason")
    rules[(f[0], f[1], f[2])] = ln
used, bad, checked, frames = set(), [], 0, 0
listing = bool(os.environ.get('NS_MATCH_BPF_LIST'))
for name in sorted(os.listdir(out)):
    if not name.endswith('.exprs'):
        continue
    cap = name[:-6]
    exprs = [l.rstrip('\n').split('|') for l in open(os.path.join(out, name))]
    ne = len(exprs)
    ours = [set() for _ in range(ne)]
    bpf = [set() for _ in range(2 * ne)]
    for l in open(os.path.join(out, cap + '.ours')):
        i, fr = l.split(); ours[int(i)].add(int(fr))
    for l in open(os.path.join(out, cap + '.bpf')):
        i, fr = l.split(); bpf[int(i)].add(int(fr))
    for i, e in enumerate(exprs):
        scope = bpf[ne + i]
        a, b = ours[i] & scope, bpf[i] & scope
        checked += 1
        frames += len(scope)
        for side, diff in (('<', a - b), ('>', b - a)):
            for fr in sorted(diff):
                k = None
                for key in ((cap, e[0], f'{side} {fr}'), (cap, e[0], f'{side} *')):
                    if key in rules:
                        k = rules[key]
                if k:
                    used.add(k)
                elif listing:
                    print(f"{cap}\t{e[0]}\t{side} {fr}\t?")
                else:
                    bad.append(f"{cap} [{e[0]}]: {side} frame {fr}")
if bad:
    print("FAIL: unexplained differences (< only netsift, > only BPF):")
    print("\n".join(bad[:40]))
    sys.exit(1)
if len(used) != len(rules):
    print(f"note: {len(rules) - len(used)} exceptions no longer needed:",
          sorted(set(rules.values()) - used)[:20])
if checked < 3000:
    sys.exit(f"FAIL: only {checked} comparisons")
print(f"match_vs_bpf: {checked} comparisons ({frames} frame tests) equal up to {len(used)} explained differences")
PY

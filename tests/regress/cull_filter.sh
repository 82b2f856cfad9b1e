#!/bin/bash
# netsift cull filter (RFC 8327 involuntary-teardown filters):
#  1. golden output per platform (tests/cull/<platform>.expected) for a fixed
#     LAN of two IPv4 and two IPv6 prefixes and two ports;
#  2. the RFC's Appendix A examples reproduced byte for byte from its example
#     prefixes (A.1 with eos, A.2 with sros), and ios/iosxr equal to A.1 up to
#     their documented dialect differences;
#  3. every platform's rules evaluated on probe packets by an independent
#     checker (lib/cull_rules.py, Python's ipaddress) against the RFC's MUSTs,
#     for several LANs (both families, one family, one prefix);
#  4. the nftables output accepted by `nft -c` in a network namespace made here;
#  5. bad input: exit 2 and a message naming the problem.
. "$(dirname "$0")/lib/common.sh"
G="$NS_SRC/tests/cull"
ns() { "$NS_BIN" "$@"; }
LAN="--lan 192.0.2.0/24 --lan 198.51.100.0/25 --lan 2001:db8:2::/64 --lan 2001:db8:ffff::/48"
RFC="--lan 192.0.2.0/24 --lan 2001:db8:2::/64"

# 1. golden files
declare -A ports=(
    [ios]="--port GigabitEthernet1/0/1 --port GigabitEthernet1/0/2"
    [iosxr]="--port TenGigE0/0/0/1 --port Bundle-Ether7"
    [eos]="--port Ethernet33 --port Port-Channel7"
    [sros]="--port 1/1/1 --port lag-7"
    [junos]="--port xe-0/0/46 --port ae7.0"
    [nftables]="--port veth1 --port bond7")
for p in ios iosxr eos sros junos nftables; do
    # shellcheck disable=SC2086
    ns cull filter --platform $p $LAN ${ports[$p]} >"$TMP/$p.out"
    diff -u "$G/$p.expected" "$TMP/$p.out" || fail "$p output differs from $G/$p.expected"
done

# 2. RFC 8327 Appendix A (the files keep the RFC's 3-column page margin)
rfc() { sed 's/^   //' "$G/$1"; }
# shellcheck disable=SC2086
ns cull filter --platform eos $RFC --port Ethernet33 | diff -u <(rfc rfc8327-a1.txt) - ||
    fail "eos does not reproduce RFC 8327 A.1"
# shellcheck disable=SC2086
ns cull filter --platform sros $RFC --port port-1/1/1 | diff -u <(rfc rfc8327-a2.txt) - ||
    fail "sros does not reproduce RFC 8327 A.2"
# A.1 is EOS syntax; IOS and IOS XR differ only where their CLIs do:
#   IOS:    "ip access-list extended", IPv4 wildcard masks, "sequence N" in
#           IPv6 ACLs, "ipv6 traffic-filter" on the interface
#   IOS XR: "ipv4 access-list", "permit ipv4", "access-group ... ingress"
# shellcheck disable=SC2086
ns cull filter --platform ios $RFC --port Ethernet33 |
    sed -e 's/^ip access-list extended /ip access-list /' \
        -e 's#192\.0\.2\.0 0\.0\.0\.255#192.0.2.0/24#g' -e 's/^   sequence /   /' \
        -e 's/ipv6 traffic-filter/ipv6 access-group/' |
    diff -u <(rfc rfc8327-a1.txt) - || fail "ios differs from RFC 8327 A.1 beyond its dialect"
# shellcheck disable=SC2086
ns cull filter --platform iosxr $RFC --port Ethernet33 |
    sed -e 's/^ipv4 access-list /ip access-list /' -e 's/permit ipv4 any any/permit ip any any/' \
        -e 's/ipv4 access-group/ip access-group/' -e 's/ ingress$/ in/' |
    diff -u <(rfc rfc8327-a1.txt) - || fail "iosxr differs from RFC 8327 A.1 beyond its dialect"

# 3. independent semantic check on several LANs
checks=0
for lan in "$LAN" "$RFC" "--lan 192.0.2.0/24" "--lan 2001:db8:2::/64" \
    "--lan 10.0.0.0/8 --lan 192.0.2.128/26 --lan 192.0.2.7/32 --lan fd00:1::/64"; do
    for p in ios iosxr eos sros junos nftables; do
        # shellcheck disable=SC2086
        ns cull filter --platform $p $lan --port p1 >"$TMP/sem.out"
        # shellcheck disable=SC2046,SC2086
        python3 "$NS_SRC/tests/regress/lib/cull_rules.py" $p "$TMP/sem.out" \
            $(echo $lan | sed 's/--lan //g') >"$TMP/sem.log" ||
            { cat "$TMP/sem.log"; fail "$p filter for '$lan' breaks RFC 8327 3.2.1"; }
        checks=$((checks + 1))
    done
done
# a family not on the LAN gets no rules (and no access-group line)
ns cull filter --platform eos --lan 192.0.2.0/24 --port e1 | grep -q ipv6 && fail "IPv6 ACL for an IPv4-only LAN"
ns cull filter --platform sros --lan 2001:db8:2::/64 --port p | grep -q "ip-filter\|filter ip " &&
    fail "IPv4 filter for an IPv6-only LAN"
# options: --name, --filter-id, --no-description, nftables without ports
ns cull filter --platform eos $RFC --name cull --port e1 | grep -qx "ip access-list cull-ipv4" || fail "--name (eos)"
ns cull filter --platform sros $RFC --filter-id 77 --port p | grep -qx "        filter ipv6 77" || fail "--filter-id"
ns cull filter --platform eos $RFC --port e1 --no-description | grep -q description && fail "--no-description"
ns cull filter --platform nftables $RFC --name t1 | grep -q "^table bridge t1 {" || fail "--name (nftables)"
ns cull filter --platform nftables $RFC | grep -q iifname && fail "nftables without ports has iifname"
ns cull filter --platform ios --lan 192.0.2.7/32 --port g | grep -q "deny tcp host 192.0.2.7 eq bgp host 192.0.2.7" ||
    fail "ios /32 as host"
ns cull filter --platform eos --lan 2001:DB8:2:0::/64 --port e | grep -q "2001:db8:2::/64" || fail "canonical IPv6 text"

# 4. nft check mode on the nftables outputs, in a namespace of our own
if command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ]; then
    NFT=$(command -v nft || echo /usr/sbin/nft)
    NSN="nscullf$$"
    if ip netns add "$NSN" 2>/dev/null; then
        trap 'ip netns del "$NSN" 2>/dev/null; rm -rf "$TMP"' EXIT
        for lan in "$LAN" "--lan 192.0.2.0/24" "--lan 2001:db8:2::/64"; do
            for port in "--port veth1 --port bond7" ""; do
                # shellcheck disable=SC2086
                ns cull filter --platform nftables $lan $port >"$TMP/c.nft"
                ip netns exec "$NSN" "$NFT" -c -f "$TMP/c.nft" 2>"$TMP/nft.err" ||
                    { cat "$TMP/nft.err"; fail "nft -c rejects the filter for '$lan' '$port'"; }
            done
        done
        # the check really checks: a broken script is refused
        sed 's/priority filter/priority nonsense/' "$G/nftables.expected" >"$TMP/bad.nft"
        ip netns exec "$NSN" "$NFT" -c -f "$TMP/bad.nft" 2>/dev/null && fail "nft -c accepts anything"
        echo "nft -c: accepted"
    else
        echo "note: no network namespace here; nft -c check not run"
    fi
else
    echo "note: nft not installed; nft -c check not run"
fi

# 5. input errors: exit 2 and the message
n_err=0
err_case() { # WANT-SUBSTRING ARGS...
    local want=$1 rc=0
    shift
    "$NS_BIN" cull "$@" >"$TMP/o" 2>"$TMP/e" || rc=$?
    [ "$rc" = 2 ] || fail "cull $* exit $rc, want 2 ($(cat "$TMP/e"))"
    grep -qF -- "$want" "$TMP/e" || fail "cull $*: message '$(cat "$TMP/e")' lacks '$want'"
    [ -s "$TMP/o" ] && fail "cull $*: wrote output despite the error"
    n_err=$((n_err + 1))
}
F="filter --platform eos"
err_case "no peering LAN prefix" $F
err_case "no --platform" filter --lan 192.0.2.0/24
err_case "unknown platform 'cisco' (one of ios, iosxr, eos, sros, junos, nftables)" filter --platform cisco --lan 192.0.2.0/24
err_case "'192.0.2.1/24': host bits set after the first 24 bits (the network is 192.0.2.0/24)" $F --lan 192.0.2.1/24
err_case "(the network is 2001:db8:2::/64)" $F --lan 2001:db8:2::1/64
err_case "(the network is 198.51.100.128/25)" $F --lan 192.0.2.0/24 --lan 198.51.100.200/25
err_case "'192.0.2.0': no prefix length" $F --lan 192.0.2.0
err_case "'192.0.2' is not an IPv4 address" $F --lan 192.0.2/24
err_case "'fe80::1%eth0' is not an IPv6 address" $F --lan fe80::1%eth0/64
err_case "mixed families: an IPv4 address with a prefix length of 64" $F --lan 192.0.2.0/64
err_case "prefix length 200 is longer than 32" $F --lan 192.0.2.0/200
err_case "prefix length 129 is longer than 128" $F --lan 2001:db8::/129
err_case "prefix length 'x' is not a number" $F --lan 192.0.2.0/x
err_case "prefix length '-8' is not a number" $F --lan 192.0.2.0/-8
err_case "mixed families: an IPv4-mapped IPv6 prefix never matches IPv4 BGP on the wire; give the IPv4 prefix 192.0.2.0/24" $F --lan ::ffff:192.0.2.0/120
err_case "a /0 is not a peering LAN" $F --lan 0.0.0.0/0
err_case "a /0 is not a peering LAN" $F --lan ::/0
err_case "empty prefix" $F --lan ""
err_case "duplicate LAN prefix (192.0.2.0/24 given twice)" $F --lan 192.0.2.0/24 --lan 192.0.2.0/24
err_case "duplicate LAN prefix (2001:db8:2::/64 given twice)" $F --lan 2001:db8:2::/64 --lan 2001:DB8:2:0::/64
err_case "overlapping LAN prefixes 192.0.2.0/24 and 192.0.2.128/25" $F --lan 192.0.2.0/24 --lan 192.0.2.128/25
err_case "overlapping LAN prefixes 192.0.2.128/25 and 192.0.2.0/24" $F --lan 192.0.2.128/25 --lan 192.0.2.0/24
err_case "overlapping LAN prefixes 2001:db8::/32 and 2001:db8:2::/64" $F --lan 2001:db8::/32 --lan 2001:db8:2::/64
err_case "Linux interface names are at most 15 characters" filter --platform nftables --lan 192.0.2.0/24 --port averyverylongname0
err_case "--port 'eth 0': character ' ' cannot appear" $F --lan 192.0.2.0/24 --port "eth 0"
err_case "--port 'x\"y': character '\"' cannot appear" $F --lan 192.0.2.0/24 --port 'x"y'
err_case "--port 'e1' given twice" $F --lan 192.0.2.0/24 --port e1 --port e1
err_case "--name 'bad name': eos names are" $F --lan 192.0.2.0/24 --name "bad name"
err_case "--name 'bad-name': nftables names are" filter --platform nftables --lan 192.0.2.0/24 --name bad-name
err_case "--filter-id is for --platform sros only" $F --lan 192.0.2.0/24 --filter-id 5
err_case "--filter-id wants a filter number 1..65535, not '0'" filter --platform sros --lan 192.0.2.0/24 --filter-id 0
err_case "unexpected argument 'extra'" $F --lan 192.0.2.0/24 extra
err_case "unknown or incomplete option '--bogus'" $F --lan 192.0.2.0/24 --bogus
err_case "unknown or incomplete option '--lan'" $F --lan
err_case "apply needs --port IFACE" apply --lan 192.0.2.0/24
err_case "no peering LAN prefix" apply --port veth0
err_case "--platform does not apply to 'apply'" apply --platform eos --lan 192.0.2.0/24 --port v
err_case "host bits set" apply --lan 192.0.2.1/24 --port v
err_case "--name 'x-y': nftables names are" remove --name x-y
echo "ok: 6 golden files, RFC 8327 A.1/A.2, $checks semantic checks, $n_err error cases"

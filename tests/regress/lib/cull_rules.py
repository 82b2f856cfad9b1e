#!/usr/bin/env python3
"""Independent check of a `netsift cull filter` output against RFC 8327 §3.2.1.

Reads the filter text of one platform, parses its drop rules into
(family, source prefixes, destination prefixes, port side) and evaluates
probe packets with the platform's first-match semantics, using Python's
ipaddress module rather than anything of netsift's.  Every probe's verdict
must be what the RFC asks for:
  drop  <=> TCP, port 179 as source or destination, and source and
            destination both inside LAN prefixes of the packet's family;
  pass  otherwise (other ports, UDP/179, multihop BGP with one end off
            the LAN, ICMP, a LAN address talking to one of another family).

usage: cull_rules.py PLATFORM FILE LAN-PREFIX...    (exit 1 on any mismatch)
"""
import ipaddress as ipa
import itertools
import re
import sys


def net(s):
    return ipa.ip_network(s, strict=True)


def ios_addr(tok, fam):
    """Cisco IOS IPv4 'A W' / 'host A' / 'any' / IPv4 or IPv6 prefix -> network;
    returns (network, tokens consumed)."""
    if tok[0] == "any":
        return net("0.0.0.0/0" if fam == 4 else "::/0"), 1
    if tok[0] == "host":
        return net(tok[1] + "/32"), 2
    if "/" in tok[0]:
        return net(tok[0]), 1
    wild = int(ipa.ip_address(tok[1]))
    plen = 32 - bin(wild).count("1")
    return net(f"{tok[0]}/{plen}"), 2


def parse_acl(text):
    """ios, iosxr, eos: ordered (action, family, src, sport, dst, dport)."""
    rules, fam = [], None
    for line in text.splitlines():
        m = re.match(r"(ip|ipv4|ipv6) access-list (extended )?\S+$", line)
        if m:
            fam = 6 if m.group(1) == "ipv6" else 4
            continue
        m = re.match(r"\s+(?:sequence )?\d+ (deny|permit) (\S+) (.*)$", line)
        if not m:
            continue
        act, proto, rest = m.group(1), m.group(2), m.group(3).split()
        if proto in ("ip", "ipv4", "ipv6"):
            assert rest == ["any", "any"], line
            rules.append((act, fam, None, None, None, None))
            continue
        assert proto == "tcp", line
        src, n = ios_addr(rest, fam)
        rest = rest[n:]
        sport = None
        if rest[0] == "eq":
            sport, rest = rest[1], rest[2:]
        dst, n = ios_addr(rest, fam)
        rest = rest[n:]
        dport = rest[1] if rest and rest[0] == "eq" else None
        norm = lambda p: 179 if p == "bgp" else (int(p) if p else None)
        rules.append((act, fam, [src], norm(sport), [dst], norm(dport)))
    return rules


def parse_sros(text):
    rules, fam = [], None
    for block in re.split(r"\n(?=ip-filter|ipv6-filter|interface)", text):
        head = block.split()[0]
        if head == "interface":
            continue
        fam = 6 if head == "ipv6-filter" else 4
        assert "default-action forward" in block
        for e in re.findall(r"entry \d+ create(.*?)\n    exit", block, re.S):
            src = net(re.search(r"src-ip (\S+)", e).group(1))
            dst = net(re.search(r"dst-ip (\S+)", e).group(1))
            assert re.search(r"match (protocol|next-header) tcp", e)
            assert "port eq 179" in e and "drop" in e
            # 'port eq' is either port: two rules
            rules.append(("deny", fam, [src], 179, [dst], None))
            rules.append(("deny", fam, [src], None, [dst], 179))
        rules.append(("permit", fam, None, None, None, None))
    return rules


def parse_junos(text):
    rules = []
    for name, body in re.findall(r"term (\S+) \{(.*?)\n            \}", text, re.S):
        if name == "rest":
            assert "then accept" in body
            rules.append(("permit", None, None, None, None, None))
            continue
        fam = 6 if "ipv6 {" in body else 4
        assert "then discard" in body and ("ip-protocol tcp" in body or "next-header tcp" in body)
        lists = re.findall(r"ip6?-(source|destination)-address \{(.*?)\}", body, re.S)
        d = {k: [net(x.strip().rstrip(";")) for x in v.split("\n") if x.strip()] for k, v in lists}
        sport = 179 if "source-port 179" in body else None
        dport = 179 if "destination-port 179" in body else None
        rules.append(("deny", fam, d["source"], sport, d["destination"], dport))
    return rules


def parse_nft(text):
    assert "policy accept" in text and "hook prerouting" in text and "table bridge" in text
    rules = []
    for line in text.splitlines():
        m = re.search(r"(ip6?) saddr \{ (.*?) \} (ip6?) daddr \{ (.*?) \} tcp (sport|dport) (\d+) counter drop", line)
        if not m:
            continue
        fam = 6 if m.group(1) == "ip6" else 4
        src = [net(x) for x in m.group(2).split(", ")]
        dst = [net(x) for x in m.group(4).split(", ")]
        port = int(m.group(6))
        rules.append(("deny", fam, src, port if m.group(5) == "sport" else None, dst,
                      port if m.group(5) == "dport" else None))
    rules.append(("permit", None, None, None, None, None))
    return rules


def verdict(rules, fam, proto, s, sp, d, dp):
    for act, rfam, src, sport, dst, dport in rules:
        if rfam is not None and rfam != fam:
            continue
        if src is not None:
            if proto != "tcp":
                continue
            if not any(s in n for n in src if n.version == fam) or not any(
                    d in n for n in dst if n.version == fam):
                continue
            if sport is not None and sp != sport:
                continue
            if dport is not None and dp != dport:
                continue
        return act
    return "permit"  # nothing matched in a family without rules: not filtered


def main():
    plat, path, lans = sys.argv[1], sys.argv[2], [net(x) for x in sys.argv[3:]]
    text = open(path).read()
    rules = {"ios": parse_acl, "iosxr": parse_acl, "eos": parse_acl, "sros": parse_sros,
             "junos": parse_junos, "nftables": parse_nft}[plat](text)
    # probe addresses: the first, second and last address of every LAN prefix,
    # and addresses outside every one of them, of both families
    inside = {4: [], 6: []}
    for n in lans:
        inside[n.version] += [n.network_address, n.network_address + 1, n.broadcast_address]
    outside = {4: [ipa.ip_address("203.0.113.9"), ipa.ip_address("10.0.0.1")],
               6: [ipa.ip_address("2001:db8:dead::1"), ipa.ip_address("fd00::1")]}
    for f in (4, 6):
        outside[f] = [a for a in outside[f] if not any(a in n for n in lans)]
    bad = checked = 0
    for fam in (4, 6):
        addrs = inside[fam] + outside[fam]
        for s, d in itertools.product(addrs, addrs):
            for proto, sp, dp in (("tcp", 179, 40000), ("tcp", 40000, 179), ("tcp", 179, 179),
                                  ("tcp", 80, 40000), ("tcp", 40000, 1790), ("udp", 179, 179),
                                  ("icmp", None, None)):
                on_lan = any(s in n for n in lans) and any(d in n for n in lans)
                want = "deny" if (proto == "tcp" and 179 in (sp, dp) and on_lan) else "permit"
                got = verdict(rules, fam, proto, s, sp, d, dp)
                checked += 1
                if got != want:
                    bad += 1
                    if bad <= 10:
                        print(f"{plat}: {proto} {s}:{sp} -> {d}:{dp}: {got}, want {want}")
    # every LAN family must have drop rules (RFC 8327: all address families)
    for n in lans:
        if not any(r[0] == "deny" and r[1] == n.version for r in rules):
            print(f"{plat}: no drop rule for IPv{n.version}")
            bad += 1
    print(f"{plat}: {checked} probes, {bad} wrong")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

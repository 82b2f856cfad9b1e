#!/usr/bin/env python3
"""Per-conversation packets and IP octets: netsift records against tshark.

Usage: conv_cmp.py --fields          print the tshark -e arguments
       conv_cmp.py DIR EXCEPTIONS    compare DIR/NAME.ts with DIR/NAME.csv

tshark side (one `-T fields` pass per capture, IP reassembly off so every
fragment is its own frame): each IP frame is attributed to a conversation of
its outermost layer: (IP version, protocol after extension headers/AH,
address:port pairs in either orientation); ports only for the protocols
netsift keys on ports (TCP, UDP, DCCP, SCTP, UDP-Lite), ICMP and the rest by
address pair and protocol.  Non-first fragments carry no ports: they go to the
conversation of their datagram's first fragment (same addresses, protocol and
IP ID; the nearest one before, else after), or to the ports-0 conversation
when no first fragment was captured — netsift's attribution (meter/frag.h).
Packets: one per frame; IP octets: ip.len, or 40 + ipv6.plen (+ jumbo).

netsift side: records grouped by flowid (status records and flows split by
idle timeout or TCP end summed), then by the same conversation key (VLAN and
ICMP type/code dropped).  tshark's tcp.stream/udp.stream split or merge a
reused 5-tuple differently from netsift's flow ends, so the unit compared is
the 5-tuple: its total per direction.  A unit with one netsift flow and one
tshark conversation (stream) is a per-flow match.

Any difference must be listed in EXCEPTIONS (capture, unit, both values and
why); a listed difference that no longer occurs fails too."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsregress import (PORT_FIELDS, PORT_PROTOS, addr, endpoint_key, final_proto,  # noqa: E402
                       fmt_ep, isum, num, outer, read_fields, read_netsift)

FIELDS = ["frame.number", "frame.protocols", "ip.src", "ip.dst", "ip.len", "ip.proto", "ip.id", "ip.flags.mf",
          "ip.frag_offset", "ipv6.src", "ipv6.dst", "ipv6.plen", "ipv6.opt.jumbo", "ipv6.nxt",
          "ipv6.hopopts.nxt", "ipv6.routing.nxt", "ipv6.dstopts.nxt", "ipv6.fraghdr.nxt",
          "ipv6.fraghdr.offset", "ipv6.fraghdr.ident", "ah.next_header", "tcp.srcport",
          "tcp.dstport", "tcp.stream", "udp.srcport", "udp.dstport", "udp.stream",
          "sctp.srcport", "sctp.dstport", "dccp.srcport", "dccp.dstport"]

PNAME = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6", 132: "sctp", 33: "dccp", 136: "udplite"}


def unit_name(u):
    ver, proto, a, b = u
    return "%s %s %s" % (PNAME.get(proto, "proto%d" % proto), fmt_ep(a), fmt_ep(b))


class Unit:
    def __init__(self):
        self.ts = [0, 0, 0, 0]  # pkts a>b, pkts b>a, octets a>b, octets b>a
        self.ns = [0, 0, 0, 0]
        self.convs = set()
        self.flows = set()


def add(units, ver, proto, src, sp, dst, dp, pkts, octets, side, tag):
    a, b = endpoint_key(src, sp, dst, dp)
    u = units.setdefault((ver, proto, a, b), Unit())
    fwd = a == b or a == (addr(src), sp)
    v = u.ts if side == "ts" else u.ns
    v[0 if fwd else 1] += pkts
    v[2 if fwd else 3] += octets
    (u.convs if side == "ts" else u.flows).add(tag)


def netsift_rejects(path):
    """Frames ns_pktdump decodes as IP but marks malformed: {frame: (reason,
    proto, sport, dport)} — what the meter keys such a frame on (meter.h:
    IP without a valid transport header goes to a ports-0 flow)."""
    out = {}
    with open(path) as f:
        for line in f:
            v = line.rstrip("\n").split("\t")
            if len(v) >= 9 and v[1] != "none" and v[2] != "-":
                ports = (int(v[6]), int(v[7])) if v[6] != "-" else (0, 0)
                out[int(v[0])] = (v[1], int(v[5]), ports[0], ports[1])
    return out


def tshark_side(path, units, rejects, explained):
    """Conversations from tshark's frames.  A frame netsift rejects as
    malformed is keyed as netsift keys it (its protocol, ports 0) and counted
    in explained[reason]; fragments follow their first fragment."""
    frames = []
    firsts = {}  # fragment key -> [(frame index, sport, dport)]
    for i, r in enumerate(read_fields(path, FIELDS)):
        fam, tname = outer(r["frame.protocols"])
        if fam == "ip" and r["ip.src"] and r["ip.dst"] and r["ip.len"]:
            ver, src, dst, octets = 4, r["ip.src"], r["ip.dst"], int(r["ip.len"])
            off = num(r["ip.frag_offset"], 0)
            fragged = r["ip.flags.mf"] in ("1", "True") or off != 0
            fid = r["ip.id"]
        elif fam == "ipv6" and r["ipv6.src"] and r["ipv6.dst"] and r["ipv6.plen"]:
            ver, src, dst = 6, r["ipv6.src"], r["ipv6.dst"]
            plen = int(r["ipv6.plen"])
            octets = 40 + (int(r["ipv6.opt.jumbo"]) if plen == 0 and r["ipv6.opt.jumbo"] else plen)
            off = num(r["ipv6.fraghdr.offset"], 0)
            fragged = r["ipv6.fraghdr.ident"] != ""
            fid = r["ipv6.fraghdr.ident"]
        else:
            continue
        src, dst = str(src), str(dst)
        proto = final_proto(r, fam)
        sp = dp = 0
        conv = (tname, r["tcp.stream"] if tname == "tcp" else r["udp.stream"])
        if proto is not None and proto in PORT_PROTOS and off == 0 and tname in PORT_FIELDS:
            pf = PORT_FIELDS[tname]
            sp, dp = num(r[pf + ".srcport"], 0), num(r[pf + ".dstport"], 0)
        rej = rejects.get(num(r["frame.number"], 0))
        if rej and (rej[1], rej[2], rej[3]) != (proto, sp, dp):
            explained[rej[0]] = explained.get(rej[0], 0) + 1
            proto, sp, dp = rej[1], rej[2], rej[3]
        if proto is None:
            continue
        fkey = (ver, src, dst, proto, fid) if fragged else None
        if fragged and off == 0:
            firsts.setdefault(fkey, []).append((i, sp, dp))
        frames.append((i, ver, proto, src, sp, dst, dp, octets, fkey, off, conv))
    for i, ver, proto, src, sp, dst, dp, octets, fkey, off, conv in frames:
        if fkey and off != 0:
            cand = firsts.get(fkey, [])
            before = [c for c in cand if c[0] < i]
            pick = before[-1] if before else (cand[0] if cand else None)
            sp, dp = (pick[1], pick[2]) if pick else (0, 0)
            conv = ("frag", pick[0] if pick else "orphan")
        add(units, ver, proto, src, sp, dst, dp, 1, octets, "ts", conv)


def netsift_side(path, units):
    for fid, rows in read_netsift(path).items():
        r = rows[0]
        proto = int(r["protonum"])
        ports = proto in PORT_PROTOS
        sp, dp = (int(r["sport"]), int(r["dport"])) if ports else (0, 0)
        ver = int(r["ipver"])
        src, dst = str(r["saddr"]), str(r["daddr"])
        a, b = endpoint_key(src, sp, dst, dp)
        u = units.setdefault((ver, proto, a, b), Unit())
        fwd = a == b or a == (addr(src), sp)
        sp_, dp_ = isum(rows, "spkts"), isum(rows, "dpkts")
        so, do = isum(rows, "sbytes"), isum(rows, "dbytes")
        if a == b:
            sp_, dp_, so, do = sp_ + dp_, 0, so + do, 0
        u.ns[0] += sp_ if fwd else dp_
        u.ns[1] += dp_ if fwd else sp_
        u.ns[2] += so if fwd else do
        u.ns[3] += do if fwd else so
        u.flows.add(fid)


def fmt(v):
    return "%d %d %d %d" % tuple(v)


def read_exceptions(path):
    """Two kinds of lines (tab-separated, '#' comments):
       capture  malformed:REASON  FRAMES  why      frames netsift rejects
       capture  UNIT  NETSIFT  TSHARK  why         one conversation's values"""
    units, rejects, errors = {}, {}, []
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        p = line.rstrip("\n").split("\t")
        if len(p) == 4 and p[1].startswith("malformed:") and p[3].strip():
            rejects[(p[0], p[1][10:])] = (int(p[2]), p[3])
        elif len(p) == 5 and p[4].strip():
            units[tuple(p[:4])] = p[4]
        else:
            errors.append("bad exception line: " + line.strip())
    return units, rejects, errors


def main():
    if sys.argv[1] == "--fields":
        print(" ".join("-e " + f for f in FIELDS))
        return 0
    d, excpath = sys.argv[1], sys.argv[2]
    exc, exc_rej, bad = read_exceptions(excpath)
    names = sorted(f[:-3] for f in os.listdir(d) if f.endswith(".ts"))
    used = set()
    tot = dict(caps=0, units=0, one=0, merged=0, pkts=0, octets=0, excepted=0, rejected=0)
    for name in names:
        units, explained = {}, {}
        rejects = netsift_rejects(os.path.join(d, name + ".nsdump"))
        tshark_side(os.path.join(d, name + ".ts"), units, rejects, explained)
        netsift_side(os.path.join(d, name + ".csv"), units)
        for reason, n in sorted(explained.items()):
            want = exc_rej.get((name, reason))
            if want is None or want[0] != n:
                bad.append("%s\tmalformed:%s\t%d\t(frames netsift rejects and keys without ports; "
                           "listed: %s)" % (name, reason, n, want[0] if want else "none"))
            tot["rejected"] += n
        for (cap, reason), (n, _) in exc_rej.items():
            if cap == name and reason not in explained:
                bad.append("stale exception (no such frames): %s\tmalformed:%s" % (cap, reason))
        if not units:
            continue
        tot["caps"] += 1
        for u in sorted(units, key=lambda k: (k[0], k[1], k[2][0].packed, k[2][1], k[3][0].packed, k[3][1])):
            x = units[u]
            tot["units"] += 1
            if len(x.flows) == 1 and len(x.convs) == 1:
                tot["one"] += 1
            else:
                tot["merged"] += 1
            if x.ns == x.ts:
                tot["pkts"] += x.ns[0] + x.ns[1]
                tot["octets"] += x.ns[2] + x.ns[3]
                continue
            k = (name, unit_name(u), fmt(x.ns), fmt(x.ts))
            if k in exc:
                used.add(k)
                tot["excepted"] += 1
            else:
                bad.append("%s\t%s\t%s\t%s\t(%d flows, %d conversations)"
                           % (k + (len(x.flows), len(x.convs))))
    for k in exc:
        if k not in used and k[0] in names:
            bad.append("stale exception (no longer differs): " + "\t".join(k))
    print("conv_vs_tshark: %(caps)d captures, %(units)d conversations (5-tuples) compared: "
          "%(one)d one flow = one tshark conversation, %(merged)d with several flows or "
          "conversations summed; %(pkts)d packets and %(octets)d IP octets agree; "
          "%(excepted)d conversations listed as exceptions; %(rejected)d frames netsift "
          "rejects as malformed keyed without ports (listed)" % tot)
    if bad:
        print("unexplained differences (capture, unit, netsift and tshark: "
              "pkts a>b b>a, octets a>b b>a):")
        print("\n".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

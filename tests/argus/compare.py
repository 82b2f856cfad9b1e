#!/usr/bin/env python3
"""Tabulate argus vs netsift per capture and protocol (driven by compare.sh).

Per capture NAME the work directory holds NAME.ra.csv (ra -nn -u -c ,),
NAME.ns.csv (netsift read -F csv), NAME.argus.rc/.err and NAME.ns.rc/.err.

Protocol classes: tcp, udp, icmp (ICMP and ICMPv6), other (any other IP
protocol).  argus also makes flows of non-IP frames (ARP, LLC, ...): they go
to class "nonip" (netsift meters IP only; it counts those frames as non_ip).

Metrics per class, netsift / argus:
  flows   distinct netsift flowId / argus records merged by flow key
          (what racluster does): keys, i.e. conversations
  keys    distinct canonical biflow keys (both sides)
  inst    netsift flow instances (flowId) / argus records (status records
          count separately in argus, so only informative)
  pkts    packets
  l2      layer-2 octets: netsift l2bytes / argus bytes (argus counts the
          frame as captured on the wire, L2 header included)
  loss    netsift loss (sum of sloss+dloss, may carry negative corrections) /
          argus loss (sloss+dloss)
"""
import argparse
import csv
import ipaddress
import json
import os
import struct
import sys

CLASSES = ("tcp", "udp", "icmp", "other", "nonip")
# pinned columns (expected.tsv): capture, class, then these pairs, then status/why
METRICS = ("keys", "pkts", "l2", "loss")
ALL = ("keys", "inst", "recs", "pkts", "l2", "ipbytes", "loss", "sloss", "dloss", "retrans")


def pcap_linktype(path):
    """Link type of a pcap or the first interface of a pcapng (None if unknown)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return None
    if len(head) < 24:
        return None
    magic = head[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return struct.unpack("<I", head[20:24])[0] & 0xFFFF
    if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        return struct.unpack(">I", head[20:24])[0] & 0xFFFF
    if magic == b"\x0a\x0d\x0d\x0a":
        bo = "<" if head[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        off = 0
        while off + 12 <= len(head):
            btype, blen = struct.unpack(bo + "II", head[off:off + 8])
            if btype == 1:
                return struct.unpack(bo + "H", head[off + 8:off + 10])[0]
            if blen < 12:
                break
            off += blen
    return None


def is_ip(s):
    try:
        ipaddress.ip_address(s)
        return True
    except ValueError:
        return False


def klass(proto, ipver):
    if proto == 6:
        return "tcp"
    if proto == 17:
        return "udp"
    if (proto == 1 and ipver != 6) or (proto == 58 and ipver != 4):
        return "icmp"
    return "other"


def endpoints(sa, sp, da, dp):
    """Canonical (unordered) pair of endpoints; a missing port reads as 0."""
    sp, dp = sp.strip() or "0", dp.strip() or "0"
    return tuple(sorted([(sa, sp), (da, dp)]))


def num(s):
    s = (s or "").strip()
    if not s:
        return 0
    return int(float(s))


def empty():
    return {"keys": set(), "inst": set(), "recs": 0, "pkts": 0, "l2": 0, "ipbytes": 0,
            "loss": 0, "sloss": 0, "dloss": 0, "retrans": 0}


def read_netsift(path):
    agg = {c: empty() for c in CLASSES}
    if not os.path.exists(path):
        return agg
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            ipver = num(r["ipver"])
            c = klass(num(r["protonum"]), ipver)
            a = agg[c]
            # netsift's key also holds the outermost VLAN id (meter/key.h)
            a["keys"].add((r["protonum"], r["vlan"], endpoints(r["saddr"], r["sport"], r["daddr"], r["dport"])))
            a["inst"].add(r["flowid"])
            a["recs"] += 1
            a["pkts"] += num(r["pkts"])
            a["l2"] += num(r["l2bytes"])
            a["ipbytes"] += num(r["bytes"])
            a["sloss"] += num(r["sloss"])
            a["dloss"] += num(r["dloss"])
            a["loss"] += num(r["sloss"]) + num(r["dloss"])
            a["retrans"] += num(r["retrans"])
    return agg


def read_argus(path):
    agg = {c: empty() for c in CLASSES}
    if not os.path.exists(path):
        return agg
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            proto = num(r["Proto"]) if r["Proto"].strip().isdigit() else -1
            sa, da = r["SrcAddr"].strip(), r["DstAddr"].strip()
            if 0 <= proto <= 255 and is_ip(sa) and is_ip(da):
                c = klass(proto, 6 if ":" in sa else 4)
            else:
                c = "nonip"
            a = agg[c]
            a["keys"].add((r["Proto"].strip(), endpoints(sa, r["Sport"], da, r["Dport"])))
            a["recs"] += 1
            a["inst"].add(a["recs"])
            a["pkts"] += num(r["TotPkts"])
            a["l2"] += num(r["TotBytes"])
            a["sloss"] += num(r["SrcLoss"])
            a["dloss"] += num(r["DstLoss"])
            a["loss"] += num(r["SrcLoss"]) + num(r["DstLoss"])
    return agg


def per_key(path, tool):
    """{(class, key): [pkts, l2, sloss, dloss, records, retrans]} for --detail."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if tool == "ns":
                c = klass(num(r["protonum"]), num(r["ipver"]))
                k = (r["protonum"], endpoints(r["saddr"], r["sport"], r["daddr"], r["dport"]))
                v = [num(r["pkts"]), num(r["l2bytes"]), num(r["sloss"]), num(r["dloss"]), 1,
                     num(r["retrans"])]
            else:
                proto = num(r["Proto"]) if r["Proto"].strip().isdigit() else -1
                sa, da = r["SrcAddr"].strip(), r["DstAddr"].strip()
                c = klass(proto, 6 if ":" in sa else 4) if 0 <= proto <= 255 and is_ip(sa) else "nonip"
                k = (r["Proto"].strip(), endpoints(sa, r["Sport"], da, r["Dport"]))
                v = [num(r["TotPkts"]), num(r["TotBytes"]), num(r["SrcLoss"]), num(r["DstLoss"]), 1, 0]
            t = out.setdefault((c, k), [0] * 6)
            for i in range(6):
                t[i] += v[i]
    return out


def detail(d, name):
    ns = per_key(os.path.join(d, name + ".ns.csv"), "ns")
    ar = per_key(os.path.join(d, name + ".ra.csv"), "ar")
    print("class key: netsift [pkts l2 sloss dloss recs retrans] | argus [pkts l2 sloss dloss recs]")
    for k in sorted(set(ns) | set(ar), key=str):
        a, b = ns.get(k), ar.get(k)
        if a is None or b is None or a[:4] != b[:4]:
            print(k[0], k[1], a, "|", b)


def values(agg, c):
    a = agg[c]
    return {"keys": len(a["keys"]), "inst": len(a["inst"]), "recs": a["recs"],
            "pkts": a["pkts"], "l2": a["l2"], "ipbytes": a["ipbytes"], "loss": a["loss"],
            "sloss": a["sloss"], "dloss": a["dloss"], "retrans": a["retrans"]}


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--out")
    ap.add_argument("--detail", help="per-key differences of one capture")
    ap.add_argument("--markdown", help="write report tables (with expected.tsv's why) to this file")
    ap.add_argument("--check")
    ap.add_argument("--pin")
    o = ap.parse_args()
    if o.detail:
        detail(o.dir, o.detail)
        return

    rows = []  # (capture, class, ns values, ar values)
    caps = []  # (capture, argus status, linktype, argus message)
    for line in open(o.list):
        name, path = line.rstrip("\n").split("\t")
        base = os.path.join(o.dir, name)
        ns = read_netsift(base + ".ns.csv")
        ar = read_argus(base + ".ra.csv")
        rc = read_text(base + ".argus.rc")
        err = read_text(base + ".argus.err").replace("\n", " ")
        # the message without argus's time stamp and our path
        msg = err.split(") ", 1)[-1] if "ArgusError" in err else err
        lt = pcap_linktype(path)
        ns_ip = sum(ns[c]["pkts"] for c in CLASSES)
        ar_all = sum(ar[c]["pkts"] for c in CLASSES)
        ar_ip = sum(ar[c]["pkts"] for c in CLASSES if c != "nonip")
        if rc not in ("0", ""):
            st = "argus-failed(rc=%s)" % rc
        elif ns_ip == 0 and ar_ip == 0:
            st = "no-ip"
        elif ar_all == 0:
            st = "argus-no-records"
        else:
            st = "ok"
        caps.append((name, st, lt, msg[:100]))
        for c in CLASSES:
            nv, av = values(ns, c), values(ar, c)
            if any(nv[m] for m in ("pkts", "recs")) or any(av[m] for m in ("pkts", "recs")):
                rows.append((name, c, nv, av))

    with open(o.out, "w") as f:
        cols = ["capture", "class"]
        for m in ALL:
            cols += ["ns_" + m, "ar_" + m]
        f.write("\t".join(cols) + "\n")
        for name, c, nv, av in rows:
            out = [name, c]
            for m in ALL:
                out += [str(nv[m]), str(av[m])]
            f.write("\t".join(out) + "\n")

    pinned = pin_rows(rows, caps)
    ndiff = 0
    for name, st, lt, msg in caps:
        mine = [p for p in pinned if p[0] == name and p[1] != "*"]
        diffs = ["%s: %s" % (p[1], p[-1]) for p in mine if p[-1] != "agree" and p[1] != "nonip"]
        if diffs or st != "ok":
            ndiff += 1
            print("%-40s lt=%-4s %-22s %s %s" % (name, lt, st, "; ".join(diffs),
                                                 msg if st != "ok" else ""))
    print("%d captures, %d with differences in IP flows or argus trouble" % (len(caps), ndiff))

    if o.markdown:
        markdown(o.markdown, pinned, caps, read_pinned(o.check or o.pin) if (o.check or o.pin) else {})
    rc = 0
    if o.pin:
        write_pinned(o.pin, pinned)
        print("pinned %d rows in %s" % (len(pinned), o.pin))
    if o.check:
        rc = check_pinned(o.check, pinned)
    sys.exit(rc)


def markdown(path, pinned, caps, why):
    """The per-capture tables of report.md: every class row of captures that
    differ (or where argus failed), one summary line for those that agree."""
    lt = {c[0]: c[2] for c in caps}
    st = {c[0]: c[1] for c in caps}
    bycap = {}
    for p in pinned:
        bycap.setdefault(p[0], []).append(p)
    differ, agree = [], []
    for name, *_ in caps:
        rows = [p for p in bycap[name] if p[1] != "*"]
        bad = [p for p in rows if p[-1].startswith("differ")]
        (differ if bad or st[name] not in ("ok", "no-ip") else agree).append(name)
    with open(path, "w") as f:
        f.write("| capture (link type) | class | flows ns/argus | packets ns/argus | "
                "L2 octets ns/argus | loss ns/argus | status | why |\n")
        f.write("|---|---|---|---|---|---|---|---|\n")
        for name in differ:
            first = True
            if st[name] != "ok":
                w = why.get((name, "*"))
                f.write("| %s (%s) | * | | | | | %s | %s |\n" % (name, lt[name], st[name],
                                                             w[-1] if w else ""))
                first = False
            for p in bycap[name]:
                if p[1] == "*":
                    continue
                w = why.get((p[0], p[1]))
                cell = "%s (%s)" % (name, lt[name]) if first else ""
                first = False

                def pair(i):
                    return p[i] if p[i] == p[i + 1] else "**%s / %s**" % (p[i], p[i + 1])
                f.write("| %s | %s | %s | %s | %s | %s | %s | %s |\n" % (
                    cell, p[1], pair(2), pair(4), pair(6), pair(8), p[-1],
                    w[-1] if w and w[-1] != "-" else ""))
        f.write("\n%d captures agree on every IP class (argus's non-IP flows aside): " % len(agree))
        parts = []
        for name in agree:
            rows = [p for p in bycap[name] if p[1] not in ("*", "nonip")]
            flows = sum(int(p[2]) for p in rows)
            pk = sum(int(p[4]) for p in rows)
            parts.append("%s (%s)" % (name, "no IP" if st[name] == "no-ip" else
                                       "%d flows, %d pkts" % (flows, pk)))
        f.write(", ".join(parts) + ".\n")


# ---- pinned numbers (expected.tsv) ----
PIN_COLS = ["capture", "class", "ns_flows", "ar_flows", "ns_pkts", "ar_pkts", "ns_l2", "ar_l2",
            "ns_loss", "ar_loss", "status"]


def pin_rows(rows, caps):
    """Rows as pinned: per capture a '*' row (argus status), per class the numbers
    and the agreement status: agree, argus-only (non-IP) or differ:<metrics>."""
    out = []
    for name, st, lt, msg in caps:
        out.append([name, "*"] + ["-"] * 8 + [st])
        for r in rows:
            if r[0] != name:
                continue
            _, c, nv, av = r
            nums = []
            bad = []
            for m, label in (("keys", "flows"), ("pkts", "pkts"), ("l2", "l2"), ("loss", "loss")):
                nums += [str(nv[m]), str(av[m])]
                if nv[m] != av[m]:
                    bad.append(label)
            if c == "nonip":
                status = "argus-only"
            else:
                status = "agree" if not bad else "differ:" + ",".join(bad)
            out.append([name, c] + nums + [status])
    return out


def read_pinned(path):
    got = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            v = line.rstrip("\n").split("\t")
            if v[0] == "capture":
                continue
            got[(v[0], v[1])] = v
    return got


def write_pinned(path, pinned):
    old = read_pinned(path) if os.path.exists(path) else {}
    with open(path, "w") as f:
        f.write("# Pinned by tests/argus/compare.sh --pin; checked by tests/regress/argus_compare.sh.\n"
                "# flows = distinct biflow keys, l2 = netsift l2bytes / argus bytes, loss = sloss+dloss.\n"
                "# why: explanation classes of report.md (section 'Disagreements').\n")
        f.write("\t".join(PIN_COLS + ["why"]) + "\n")
        for p in pinned:
            why = "-"
            prev = old.get((p[0], p[1]))
            if p[-1].startswith("differ") or p[-1] not in ("agree", "ok", "argus-only"):
                why = prev[-1] if prev and len(prev) > len(PIN_COLS) else "UNEXPLAINED"
            elif p[-1] == "argus-only":
                why = "D-NONIP"
            f.write("\t".join(p + [why]) + "\n")


def check_pinned(path, pinned):
    want = read_pinned(path)
    now = {(p[0], p[1]): p for p in pinned}
    bad = 0
    for k in sorted(set(want) | set(now)):
        w, n = want.get(k), now.get(k)
        if w is None:
            print("NEW      %s %s: %s (not pinned)" % (k[0], k[1], " ".join(n[2:])))
            bad += 1
        elif n is None:
            print("GONE     %s %s: pinned %s" % (k[0], k[1], " ".join(w[2:len(PIN_COLS)])))
            bad += 1
        elif "A-NONDET" in w[-1] and all(w[i] == n[i] for i in range(2, len(PIN_COLS))
                                         if PIN_COLS[i].startswith("ns_")):
            # argus's own numbers vary from run to run on this capture
            # (report.md, A-NONDET): netsift's are still held to the pin
            continue
        elif w[2:len(PIN_COLS)] != n[2:]:
            kind = "STATUS  " if w[len(PIN_COLS) - 1] != n[-1] else "NUMBERS "
            diffs = ["%s %s->%s" % (PIN_COLS[i], w[i], n[i]) for i in range(2, len(PIN_COLS))
                     if w[i] != n[i]]
            print("%s %s %s: %s" % (kind, k[0], k[1], ", ".join(diffs)))
            bad += 1
    print("check against %s: %d rows, %d changed" % (path, len(now), bad))
    return 1 if bad else 0

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Compare flows as two independent tools stored them.

Usage: flowcmp.py A.csv B.csv

Each file: CSV with a header naming at least the columns sa, da, sp, dp, pr,
ipkt, ibyt (and optionally opkt, obyt): nfdump's `-o csv` names, or
netsift read's mapped onto them by the caller.  Addresses are normalised
(IPv6 compression), protocols to numbers.  Prints the totals and exits 1
when the flow counts, the packet and octet totals or the per-flow
(5-tuple → counters) multisets differ."""
import csv
import ipaddress
import sys
from collections import Counter

PROTO = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMP6": 58, "IPv6-ICMP": 58}


def load(path):
    rows = []
    with open(path) as f:
        for r in csv.DictReader(f):
            if not r.get("sa") or r["sa"].startswith("Summary"):
                continue
            try:
                sa = str(ipaddress.ip_address(r["sa"].strip()))
                da = str(ipaddress.ip_address(r["da"].strip()))
            except ValueError:
                continue
            pr = r["pr"].strip()
            pr = PROTO.get(pr, int(pr) if pr.isdigit() else pr)
            key = (sa, da, pr)
            if pr in (6, 17):
                key += (int(float(r["sp"])), int(float(r["dp"])))
            val = (int(r["ipkt"]), int(r["ibyt"]), int(r.get("opkt") or 0), int(r.get("obyt") or 0))
            rows.append((key, val))
    return rows


def main():
    a, b = load(sys.argv[1]), load(sys.argv[2])
    ta = [sum(v[i] for _, v in a) for i in range(4)]
    tb = [sum(v[i] for _, v in b) for i in range(4)]
    print("flows %d / %d; packets %d+%d / %d+%d; octets %d+%d / %d+%d" %
          (len(a), len(b), ta[0], ta[2], tb[0], tb[2], ta[1], ta[3], tb[1], tb[3]))
    bad = len(a) != len(b) or ta != tb
    ca, cb = Counter(a), Counter(b)
    if ca != cb:
        bad = True
        for k in list((ca - cb).keys())[:3]:
            print("only in %s: %s" % (sys.argv[1], k))
        for k in list((cb - ca).keys())[:3]:
            print("only in %s: %s" % (sys.argv[2], k))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

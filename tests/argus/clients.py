#!/usr/bin/env python3
"""netsift aggregate/bins vs racluster/rabins on the same captures (clients.md).

Reads what clients.sh wrote for each capture NAME in DIR:
  NAME.ra.csv      argus's records (ra)
  NAME.racl.csv    racluster -m proto
  NAME.rabins.csv  rabins -M time 60 -m proto
  NAME.ns.csv      netsift's records (netsift read)
  NAME.agg.csv     netsift aggregate -m proto
  NAME.bins.csv    netsift bins -M time 60 -m proto
and checks, per capture and protocol, the rules named in clients.md:

  asserted always (a failure is a bug on one side or in this model):
    P-EQUAL    racluster packets and L2 octets = netsift aggregate's (the
               captures are ones where the meters agree; gen-5000 too)
    T-RECORDS  trans = number of input records of the protocol, both sides
    L-SUM      netsift aggregate loss = sum of netsift's record loss
    L-DROP     racluster and rabins loss <= sum of argus's record loss
    B-NS       netsift bins = NS_SPLIT(netsift's records), every cell exact
    B-RABINS   rabins = RABINS_SPLIT(argus's records), every cell exact for
               trans, packets and octets; loss within L-BOUND
    B-TOTAL    bins summed over time = the aggregate, both sides
  pinned (expected TSV; a change fails --check):
    record counts, packets, octets, the four loss sums, and the number of
    (bin, protocol) cells that agree or differ by B-ROUND (the two
    splitting rules on the same records), B-RECORDS (the two meters' record
    boundaries) or both; the `why` column lists the rules that apply.
"""
import argparse
import csv
import sys
from collections import defaultdict

W = 60 * 1000000  # bin width, microseconds (argus times are microseconds)
FIELDS = ("capture", "proto", "ar_recs", "ns_recs", "pkts", "l2", "ra_loss", "racl_loss",
          "rabins_loss", "ns_loss", "cells", "agree", "round", "records", "both", "loss_cells",
          "why")


def us(t):
    """'sec.frac' -> integer microseconds (no float: exact)."""
    a, _, b = t.partition(".")
    return int(a) * 1000000 + int((b + "000000")[:6])


def num(x):
    return int(x) if x not in ("", None) else 0


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def rec(s, e, proto, pkts, l2, loss):
    return dict(s=s, e=e, proto=proto, pkts=pkts, l2=l2, loss=loss)


def argus_records(path):
    return [rec(us(r["StartTime"]), us(r["LastTime"]), int(r["Proto"]),
                (num(r["SrcPkts"]), num(r["DstPkts"])), (num(r["SrcBytes"]), num(r["DstBytes"])),
                (num(r["SrcLoss"]), num(r["DstLoss"])))
            for r in rows(path) if r["Proto"] != "man"]


def ns_records(path):
    """netsift's records; pcap times are microseconds, so ns // 1000 is exact."""
    out = []
    for r in rows(path):
        out.append(rec(us(r["stime"]) if r["stime"] else 0, us(r["ltime"]) if r["ltime"] else 0,
                       int(r["protonum"]), (num(r["spkts"]), num(r["dpkts"])),
                       (num(r["sl2bytes"]), num(r["dl2bytes"])), (num(r["sloss"]), num(r["dloss"]))))
    return out


def cell():
    return [0, 0, 0, 0]  # trans, packets, L2 octets, loss


def put(tab, b, proto, pk, l2, lo):
    c = tab[(b, proto)]
    c[0] += 1
    c[1] += pk
    c[2] += l2
    c[3] += lo


def ns_split(recs):
    """netsift bins (src/analysis/bins.h), written out naively: bins of the
    record's span [s, e); every counter of every direction gets
    floor(X*hi/span) - floor(X*lo/span), loss by magnitude with its sign; a
    piece per bin even when its packets round to 0; e == s: all in s's bin;
    a record without times or counts (a flow's empty final record) skipped."""
    tab = defaultdict(cell)
    for r in recs:
        s, e = r["s"], r["e"]
        if not s:
            assert not any(r["pkts"]) and not any(r["l2"]) and not any(r["loss"]), r
            continue
        if e <= s:
            put(tab, s // W * W, r["proto"], sum(r["pkts"]), sum(r["l2"]), sum(r["loss"]))
            continue
        span, b = e - s, s // W * W
        while b < e:
            lo, hi = max(b, s) - s, min(b + W, e) - s

            def sh(x):
                m = abs(x) * hi // span - abs(x) * lo // span
                return -m if x < 0 else m
            put(tab, b, r["proto"], sum(map(sh, r["pkts"])), sum(map(sh, r["l2"])),
                sum(map(sh, r["loss"])))
            b += W
    return tab


def rabins_split(recs):
    """What rabins 3.0.8 does (found by experiment, clients.md "rabins"):
    pieces for the bins from s's to e's.  Per direction with X packets,
    before the last bin: C = trunc(X * ((bin_end - s) / (e - s))) in double,
    piece = min(max(1, C - given), X - given) -- never an empty piece while
    packets remain; but when the pieces would leave nothing (both
    directions) for the rest of the record, this bin gets no piece at all.
    The last bin gets what remains.  Octets and loss follow the packets:
    trunc(B * (piece / X)), the rest to the last piece.  Pieces without
    packets are not emitted (no trans)."""
    tab = defaultdict(cell)
    for r in recs:
        s, e = r["s"], r["e"]
        b0 = s // W * W
        n = (e // W * W - b0) // W + 1
        if n == 1 or e <= s:
            put(tab, b0, r["proto"], sum(r["pkts"]), sum(r["l2"]), sum(r["loss"]))
            continue
        X, B, L = r["pkts"], r["l2"], r["loss"]
        got, gb, gl = [0, 0], [0, 0], [0, 0]
        for k in range(n - 1):
            t = (b0 + (k + 1) * W - s) / (e - s)
            ps = [min(max(1, int(X[d] * t) - got[d]), X[d] - got[d]) for d in range(2)]
            if sum(X[d] - got[d] - ps[d] for d in range(2)) == 0:
                continue
            pk = l2 = lo = 0
            for d in range(2):
                by = int(B[d] * (ps[d] / X[d])) if X[d] else 0
                ls = int(L[d] * (ps[d] / X[d])) if X[d] else 0
                got[d] += ps[d]
                gb[d] += by
                gl[d] += ls
                pk, l2, lo = pk + ps[d], l2 + by, lo + ls
            if pk:
                put(tab, b0 + k * W, r["proto"], pk, l2, lo)
        pk = sum(X[d] - got[d] for d in range(2))
        if pk:
            put(tab, b0 + (n - 1) * W, r["proto"], pk, sum(B[d] - gb[d] for d in range(2)),
                sum(L[d] - gl[d] for d in range(2)))
    return tab


def loss_edges(recs):
    """(bin, proto) -> records with loss that rabins splits and that touch the bin."""
    out = defaultdict(int)
    for r in recs:
        if any(r["loss"]) and r["s"] // W != r["e"] // W:
            for b in range(r["s"] // W * W, r["e"] // W * W + W, W):
                out[(b, r["proto"])] += 1
    return out


def rabins_out(path):
    tab = defaultdict(cell)
    for r in rows(path):
        if r["Proto"] == "man":  # bin markers
            continue
        c = tab[(us(r["StartTime"]) // W * W, int(r["Proto"]))]
        for i, v in enumerate((num(r["Trans"]), num(r["SrcPkts"]) + num(r["DstPkts"]),
                               num(r["SrcBytes"]) + num(r["DstBytes"]),
                               num(r["SrcLoss"]) + num(r["DstLoss"]))):
            c[i] += v
    return tab


def nsbins_out(path):
    tab = defaultdict(cell)
    for r in rows(path):
        assert r["stime"], "netsift bins row without a time: %s" % r
        c = tab[(us(r["stime"]) // W * W, int(r["protonum"]))]
        for i, v in enumerate((num(r["trans"]), num(r["pkts"]), num(r["l2bytes"]), num(r["loss"]))):
            c[i] += v
    return tab


def by_proto(path, pcol, cols):
    return {int(r[pcol]): [num(r[c]) for c in cols] for r in rows(path)}


def check_capture(d, name, errs):
    def bad(msg):
        errs.append("%s: %s" % (name, msg))

    A = argus_records("%s/%s.ra.csv" % (d, name))
    N = ns_records("%s/%s.ns.csv" % (d, name))
    racl = by_proto("%s/%s.racl.csv" % (d, name), "Proto", ("Trans", "TotPkts", "TotBytes", "Loss"))
    agg = by_proto("%s/%s.agg.csv" % (d, name), "protonum", ("trans", "pkts", "l2bytes", "loss"))
    rb, nb = rabins_out("%s/%s.rabins.csv" % (d, name)), nsbins_out("%s/%s.bins.csv" % (d, name))
    mr, mn, mna = rabins_split(A), ns_split(N), ns_split(A)
    edges = loss_edges(A)

    # B-NS: netsift bins is its rule, exactly
    for k in set(nb) | set(mn):
        if nb.get(k, cell()) != mn.get(k, cell()):
            bad("B-NS: bin %d proto %d: netsift bins %s, rule %s" % (k[0] // 1000000, k[1],
                                                                   nb.get(k), mn.get(k)))
    out = []
    for p in sorted(set(racl) | set(agg)):
        ar = [r for r in A if r["proto"] == p]
        nr = [r for r in N if r["proto"] == p]
        rc, ag = racl.get(p, [0, 0, 0, 0]), agg.get(p, [0, 0, 0, 0])
        ra_loss = sum(sum(r["loss"]) for r in ar)
        ns_loss = sum(sum(r["loss"]) for r in nr)
        if rc[1:3] != ag[1:3]:
            bad("P-EQUAL: proto %d racluster pkts/bytes %s, netsift %s" % (p, rc[1:3], ag[1:3]))
        if rc[0] != len(ar) or ag[0] != len(nr):
            bad("T-RECORDS: proto %d trans %d/%d, records %d/%d" % (p, rc[0], ag[0], len(ar), len(nr)))
        if ag[3] != ns_loss:
            bad("L-SUM: proto %d aggregate loss %d, records %d" % (p, ag[3], ns_loss))
        keys = sorted(k for k in set(rb) | set(nb) | set(mr) | set(mna) if k[1] == p)
        rb_loss = sum(rb[k][3] for k in keys if k in rb)
        if rc[3] > ra_loss or rb_loss > ra_loss:
            bad("L-DROP: proto %d racluster %d rabins %d > records %d" % (p, rc[3], rb_loss, ra_loss))
        # B-TOTAL
        for side, tab, tot in (("rabins", rb, rc), ("netsift bins", nb, ag)):
            s = [sum(tab[k][i] for k in keys if k in tab) for i in (1, 2)]
            if s != tot[1:3]:
                bad("B-TOTAL: proto %d %s pkts/l2 over bins %s, aggregate %s" % (p, side, s, tot[1:3]))
        if sum(nb[k][3] for k in keys if k in nb) != ag[3]:
            bad("B-TOTAL: proto %d netsift bins loss differs from aggregate" % p)
        agree = rnd = recs = both = loss_cells = 0
        for k in keys:
            r_, n_ = rb.get(k, cell()), nb.get(k, cell())
            m = mr.get(k, cell())
            # B-RABINS: exact for trans, packets, octets; loss within L-BOUND
            if r_[:3] != m[:3]:
                bad("B-RABINS: bin %d proto %d: rabins %s, rule %s" % (k[0] // 1000000, p, r_, m))
            if r_[3] > m[3] + edges[k] or (rb_loss == ra_loss and r_[3] < m[3] - edges[k]):
                bad("L-BOUND: bin %d proto %d: rabins loss %d, rule %d, split records %d"
                    % (k[0] // 1000000, p, r_[3], m[3], edges[k]))
            if r_[3] != n_[3]:
                loss_cells += 1
            if r_[:3] == n_[:3]:
                agree += 1
                continue
            # the difference = (rabins rule - netsift rule on argus's records)
            #                + (netsift rule on argus's - on netsift's records)
            x = mr.get(k, cell())[:3] != mna.get(k, cell())[:3]
            y = mna.get(k, cell())[:3] != mn.get(k, cell())[:3]
            rnd += x and not y
            recs += y and not x
            both += x and y
        why = []
        if len(ar) != len(nr):
            why.append("T-RECORDS")
        if ra_loss != ns_loss:
            why.append("M-LOSS")
        if rc[3] != ra_loss or rb_loss != ra_loss:
            why.append("L-DROP")
        if rnd or both:
            why.append("B-ROUND")
        if recs or both:
            why.append("B-RECORDS")
        if loss_cells and rb_loss == ra_loss == ns_loss:
            why.append("L-BOUND")
        out.append(dict(capture=name, proto=p, ar_recs=len(ar), ns_recs=len(nr), pkts=ag[1], l2=ag[2],
                        ra_loss=ra_loss, racl_loss=rc[3], rabins_loss=rb_loss, ns_loss=ns_loss,
                        cells=len(keys), agree=agree, round=rnd, records=recs, both=both,
                        loss_cells=loss_cells, why=",".join(why) or "-"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--check")
    ap.add_argument("--pin")
    ap.add_argument("--markdown")
    ap.add_argument("names", nargs="+")
    a = ap.parse_args()
    errs, res = [], []
    for n in a.names:
        try:
            res += check_capture(a.dir, n, errs)
        except (OSError, KeyError, ValueError, AssertionError) as e:
            errs.append("%s: cannot read the outputs: %r" % (n, e))
    got = {(r["capture"], str(r["proto"])): [str(r[f]) for f in FIELDS] for r in res}
    print("\t".join(FIELDS))
    for v in got.values():
        print("\t".join(v))
    if a.pin:
        with open(a.pin, "w") as f:
            f.write("# Pinned by tests/argus/clients.sh --pin; checked by tests/regress/argus_clients.sh.\n"
                    "# Rules in the why column: tests/argus/clients.md.\n")
            f.write("\t".join(FIELDS) + "\n")
            for v in got.values():
                f.write("\t".join(v) + "\n")
    if a.check:
        want = {}
        with open(a.check) as f:
            for line in f:
                if line.startswith("#") or line.startswith("capture\t"):
                    continue
                v = line.rstrip("\n").split("\t")
                want[(v[0], v[1])] = v
        for k in sorted(set(want) | set(got)):
            if k not in got:
                errs.append("GONE %s proto %s" % k)
            elif k not in want:
                errs.append("NEW %s" % "\t".join(got[k]))
            elif want[k] != got[k]:
                diff = ["%s %s->%s" % (f, w, g) for f, w, g in zip(FIELDS, want[k], got[k]) if w != g]
                errs.append("CHANGED %s proto %s: %s" % (k[0], k[1], ", ".join(diff)))
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("| capture | proto | records argus / netsift | packets | L2 octets | loss: "
                    "records argus / racluster / rabins / netsift | bins | agree | B-ROUND | "
                    "B-RECORDS | both | loss bins differ | why |\n|" + "---|" * 13 + "\n")
            for r in res:
                f.write("| %s | %d | %d / %d | %d | %d | %d / %d / %d / %d | %d | %d | %d | %d | %d | %d | %s |\n"
                        % (r["capture"], r["proto"], r["ar_recs"], r["ns_recs"], r["pkts"], r["l2"],
                           r["ra_loss"], r["racl_loss"], r["rabins_loss"], r["ns_loss"], r["cells"],
                           r["agree"], r["round"], r["records"], r["both"], r["loss_cells"], r["why"]))
    for e in errs:
        print(e, file=sys.stderr)
    print("%d captures, %d protocol rows, %d problems" % (len(a.names), len(res), len(errs)),
          file=sys.stderr)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())

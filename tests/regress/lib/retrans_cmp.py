#!/usr/bin/env python3
"""TCP retransmissions per flow and direction: netsift against tshark.

Usage: retrans_cmp.py --fields          print the tshark -e arguments
       retrans_cmp.py DIR EXCEPTIONS [TRUTH.json:CAPTURE ...]

For each capture DIR holds NAME.ts (tshark -T fields dump), NAME.csv
(netsift records) and NAME.nsdump (ns_pktdump: which frames netsift decodes
as TCP with a valid header).

tshark counts a frame as a retransmission when it carries
tcp.analysis.retransmission; in Wireshark 4.0 (packet-tcp.c,
tcp_analyze_sequence_number / tcp_print_sequence_number_analysis) that item
is added for plain, fast (>= 2 duplicate ACKs, within 20 ms) and spurious
(data already ACKed) retransmissions alike, and never together with
out-of-order, which wins when the segment arrives within the first RTT (3 ms
when unknown) of the last segment that advanced the sequence (nextseqtime)
and does not end exactly at nextseq.

netsift's rule (src/meter/tcp.h) is reproduced here frame by frame as a
naive reference model (flows split as the meter splits them: TCP end +
linger, new SYN during linger, idle timeout).  The test then checks:
  1. the model's per-flow, per-direction retransmission and out-of-order
     counts equal netsift's records (so the model is netsift's rule, and the
     records are right);
  2. every frame where the model (= netsift) and tshark disagree about
     "retransmission" falls in a documented class (below, and in
     EXCEPTIONS with its count per capture); anything else fails.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsregress import addr, endpoint_key, fmt_ep, isum, num, outer, read_fields, read_netsift, ts_ns  # noqa: E402

FIELDS = ["frame.number", "frame.time_epoch", "frame.protocols", "vlan.id", "ip.src", "ip.dst",
          "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw",
          "tcp.flags", "tcp.len", "tcp.window_size_value", "tcp.analysis.retransmission",
          "tcp.analysis.fast_retransmission", "tcp.analysis.spurious_retransmission",
          "tcp.analysis.out_of_order", "tcp.analysis.keep_alive",
          "tcp.analysis.zero_window_probe", "tcp.analysis.initial_rtt"]

# meter defaults (src/meter/meter.c ns_meter_config_default; probe keeps them for TCP)
TCP_IDLE_NS = 60 * 10**9
LINGER_NS = 3 * 10**9
OOO_DEFAULT_NS = 3000000
FASTRT_NS = 20000000
MAX_HOLES = 4
FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10

# Classes of disagreement that classify() can prove from the frames; each
# must be explained in words in the exceptions file ("class" lines) and its
# count per capture listed there.
CLASSES = ("late-fill", "quick-resend", "one-byte-behind", "length-disagree", "new-isn",
           "vlan-copy", "after-idle", "after-linger", "after-new-SYN", "acked-unseen",
           "bare-ack-ahead")


def sdiff(a, b):
    d = (a - b) & 0xffffffff
    return d - (1 << 32) if d >= (1 << 31) else d


class Dir:
    def __init__(self):
        self.holes = []  # [start, end, seen_ns]
        self.nxt = self.isn = self.lastack = self.max_seg = 0
        self.nxt_ns = self.ack_ns = self.syn_ns = 0
        self.have_seq = self.have_syn = self.have_ack = self.have_win = False
        self.win_last = self.dupacks = 0
        self.fin = False
        self.fin_acked = False
        self.fin_seq = 0
        self.retrans = self.ooo = 0
        self.bare_max = None  # highest seq of a segment without sequence space
        self.isn_restart = None  # frame of a SYN that restarted tracking
        self.any_ack = None  # ack field of the last segment, ACK flag or not


class Tcp:
    """src/meter/tcp.c in Python: only what decides retransmission/out-of-order."""

    def __init__(self):
        self.d = [Dir(), Dir()]
        self.syn_dir = 2
        self.rtt_done = 0
        self.synack_us = self.ackdat_us = self.synack_ns = 0
        self.closed = False

    def threshold(self):
        if self.rtt_done & 3 == 3:
            return (self.synack_us + self.ackdat_us) * 1000
        return OOO_DEFAULT_NS

    def is_new_syn(self, dr, fl, seq):
        d = self.d[dr]
        return (fl & (SYN | ACK)) == SYN and (not d.have_syn or seq != d.isn)

    def handshake(self, dr, p):
        fl = p["flags"] & (SYN | ACK | RST)
        ts = p["ts"]
        if fl == SYN:
            if self.syn_dir == 2:
                self.syn_dir = dr
            if self.syn_dir == dr:
                self.d[dr].syn_ns = ts
            return
        if self.syn_dir == 2 or self.rtt_done & 2:
            return
        ini = self.syn_dir
        if (fl == SYN | ACK and dr != ini and p["ack"] == (self.d[ini].isn + 1) & 0xffffffff
                and self.d[ini].have_syn):
            if not self.rtt_done & 1:
                self.synack_us = max(ts - self.d[ini].syn_ns, 0) // 1000
                self.rtt_done |= 1
            self.synack_ns = ts
            return
        if (fl == ACK and dr == ini and self.rtt_done & 1 and self.d[1 - ini].have_syn
                and p["ack"] == (self.d[1 - ini].isn + 1) & 0xffffffff):
            self.ackdat_us = max(ts - self.synack_ns, 0) // 1000
            self.rtt_done |= 2

    @staticmethod
    def overlap(d, s, e, h):
        ss, se = sdiff(s, d.nxt), sdiff(e, d.nxt)
        hs, he = sdiff(h[0], d.nxt), sdiff(h[1], d.nxt)
        return max(ss, hs), min(se, he), hs, he

    @staticmethod
    def remove(d, i):
        """remove_hole(): the last hole takes slot i (order matters for ties)."""
        d.holes[i] = d.holes[-1]
        d.holes.pop()

    def add_hole(self, d, start, end, ts):
        i = 0
        while i < len(d.holes):
            h = d.holes[i]
            if sdiff(d.nxt, h[1]) > (1 << 30) or sdiff(d.nxt, h[0]) < 0:
                self.remove(d, i)
            else:
                i += 1
        if len(d.holes) == MAX_HOLES:
            o = 0
            for k in range(1, len(d.holes)):
                if d.holes[k][2] < d.holes[o][2]:
                    o = k
            self.remove(d, o)
        d.holes.append([start, end, ts])

    def fill(self, d, s, e):
        i = 0
        while i < len(d.holes):
            h = d.holes[i]
            lo, hi, hs, he = self.overlap(d, s, e, h)
            if lo >= hi:
                i += 1
                continue
            if lo == hs and hi == he:
                self.remove(d, i)
                continue
            if lo == hs:
                h[0] = (d.nxt + hi) & 0xffffffff
            elif hi == he:
                h[1] = (d.nxt + lo) & 0xffffffff
            else:
                right = [(d.nxt + hi) & 0xffffffff, h[1], h[2]]
                h[1] = (d.nxt + lo) & 0xffffffff
                if len(d.holes) < MAX_HOLES:
                    d.holes.append(right)
            i += 1

    def analyse(self, dr, p):
        """netsift's verdict on one segment: (kind, why, ctx); kind is R
        (retransmission), O (out of order) or - (neither); ctx holds what the
        classification of disagreements needs, seen before the update."""
        d, r = self.d[dr], self.d[1 - dr]
        fl, ln, seq, ts = p["flags"], p["len"], p["seq"], p["ts"]
        seglen = ln + (1 if fl & SYN else 0) + (1 if fl & FIN else 0)
        end = (seq + seglen) & 0xffffffff
        ctx = {"nxt": d.nxt if d.have_seq else None,
               # tshark's spurious test reads the peer's ack field even without ACK
               "acked": r.any_ack is not None and sdiff(end, r.any_ack) <= 0 and seglen > 0,
               "bare_ahead": d.bare_max is not None and sdiff(d.bare_max, seq) > 0}
        if fl & RST and ln == 0:
            return "-", "rst", ctx
        if fl & SYN and (not d.have_seq or not d.have_syn or seq != d.isn):
            if d.have_syn and d.isn_restart is None:
                d.isn_restart = p["frame"]
            d.isn, d.have_syn, d.have_seq = seq, True, True
            d.nxt, d.nxt_ns, d.holes, d.max_seg = end, ts, [], ln
            d.bare_max = None
            return "-", "syn", ctx
        if not d.have_seq:
            d.have_seq = True
            d.nxt, d.nxt_ns, d.max_seg = end, ts, ln
            return "-", "init", ctx
        if seglen == 0:
            if d.bare_max is None or sdiff(seq, d.bare_max) > 0:
                d.bare_max = seq
            return "-", "empty", ctx
        plain = not fl & (SYN | FIN | RST)
        if ln == 1 and seq == d.nxt and plain and r.have_win and r.win_last == 0:
            return "-", "zwp", ctx
        if ln <= 1 and plain and seq == (d.nxt - 1) & 0xffffffff:
            return "-", "keepalive", ctx
        d.max_seg = max(d.max_seg, ln)
        if sdiff(seq, d.nxt) >= 0:
            if seq != d.nxt:
                self.add_hole(d, d.nxt, seq, ts)
            d.nxt, d.nxt_ns = end, ts
            return "-", "new", ctx
        old_end = end if sdiff(end, d.nxt) < 0 else d.nxt
        filled, seen = 0, None
        for h in d.holes:
            lo, hi, _, _ = self.overlap(d, seq, old_end, h)
            if lo < hi:
                if not filled or h[2] < seen:
                    seen = h[2]
                filled += hi - lo
        if filled:
            fast = (r.have_ack and r.dupacks >= 2 and r.lastack == seq
                    and max(ts - r.ack_ns, 0) < FASTRT_NS)
            reorder = not fast and max(ts - seen, 0) < self.threshold()
            self.fill(d, seq, old_end)
            if reorder:
                d.ooo += 1
                res = ("O", "fill", ctx)
            else:
                d.retrans += 1
                res = ("R", "fast" if fast else "late", ctx)
        else:
            d.retrans += 1
            res = ("R", "seen", ctx)
        if sdiff(end, d.nxt) > 0:
            d.nxt, d.nxt_ns = end, ts
        return res

    def packet(self, dr, p):
        d = self.d[dr]
        fl = p["flags"]
        self.handshake(dr, p)
        res = self.analyse(dr, p)
        if fl & ACK:
            if (d.have_ack and p["len"] == 0 and not fl & (SYN | FIN | RST)
                    and p["ack"] == d.lastack and d.have_win and p["win"] == d.win_last
                    and p["seq"] == d.nxt):
                d.dupacks += 1
            elif not d.have_ack or p["ack"] != d.lastack:
                d.dupacks = 0
            d.lastack, d.ack_ns, d.have_ack = p["ack"], p["ts"], True
            o = self.d[1 - dr]
            if o.fin and not o.fin_acked and ((p["ack"] - (o.fin_seq + 1)) & 0xffffffff) < 0x80000000:
                o.fin_acked = True
        d.win_last, d.have_win = p["win"], True
        d.any_ack = p["ack"]
        if fl & FIN and not d.fin:
            d.fin = True
            d.fin_seq = (p["seq"] + p["len"] + (1 if fl & SYN else 0)) & 0xffffffff
        closed_now = False
        # closed on RST, or when both FINs are acknowledged (tcp.h)
        if not self.closed and (fl & RST or (self.d[0].fin_acked and self.d[1].fin_acked)):
            self.closed = closed_now = True
        return res, closed_now


class Flow:
    def __init__(self, key, init_side, now):
        self.key, self.init_side = key, init_side
        self.tcp = Tcp()
        self.touch = now
        self.closing, self.due = False, 0
        self.frames = [[], []]  # per direction: (frame, model result, tshark flags)
        self.phantom = [[], []]  # per direction: (seq, octets) netsift counts, tshark not
        self.ended = None


def netsift_tcp_frames(path):
    """{frame: TCP payload length} for the frames ns_pktdump -x decodes as TCP
    with a valid header (what the meter tracks)."""
    ok = {}
    with open(path) as f:
        for line in f:
            v = line.rstrip("\n").split("\t")
            if len(v) >= 15 and v[5] == "6" and v[6] != "-":
                ok[int(v[0])] = int(v[13])
    return ok


def model(path, tcp_ok):
    """Run the reference model over one capture.  Returns ({key: [Flow, ...]}
    in creation order, TCP frames netsift does not track, segments by
    (5-tuple, sender, seq, len) -> VLANs)."""
    now = 0
    cur, flows, segs = {}, {}, {}
    rejected = []  # (frame, tshark R) of TCP frames netsift does not track
    for r in read_fields(path, FIELDS):
        if not r["frame.time_epoch"]:
            continue
        ts = ts_ns(r["frame.time_epoch"])
        now = max(now, ts)
        fam, tname = outer(r["frame.protocols"])
        if tname != "tcp" or r["tcp.seq_raw"] == "":
            continue
        frame = int(r["frame.number"])
        ts_r = r["tcp.analysis.retransmission"] != ""
        if frame not in tcp_ok:
            rejected.append((frame, ts_r))
            continue
        src, dst = (r["ip.src"], r["ip.dst"]) if fam == "ip" else (r["ipv6.src"], r["ipv6.dst"])
        sp, dp = int(r["tcp.srcport"]), int(r["tcp.dstport"])
        a, b = endpoint_key(src, sp, dst, dp)
        side = 0 if a == (addr(src), sp) else 1
        vlan = num(r["vlan.id"], 0)
        key = (a, b, vlan)
        p = {"frame": frame, "ts": ts, "flags": num(r["tcp.flags"]), "seq": int(r["tcp.seq_raw"]),
             "ack": int(r["tcp.ack_raw"] or 0), "len": tcp_ok[frame],
             "tslen": int(r["tcp.len"] or 0), "win": int(r["tcp.window_size_value"] or 0)}
        segs.setdefault((a, b, side, p["seq"], p["len"]), set()).add(vlan)
        f = cur.get(key)
        if f and ((f.closing and f.due <= now) or (not f.closing and now - f.touch >= TCP_IDLE_NS)):
            f.ended = "idle" if not f.closing else "linger"
            f = None
        if f and f.closing and f.tcp.is_new_syn(0 if side == f.init_side else 1, p["flags"], p["seq"]):
            f.ended = "new SYN"
            f = None
        if not f:
            f = cur[key] = Flow(key, side, now)
            flows.setdefault(key, []).append(f)
        dr = 0 if side == f.init_side else 1
        f.touch = now
        if p["len"] != p["tslen"]:  # octets netsift counts as payload and tshark does not
            f.phantom[dr].append(((p["seq"] + min(p["len"], p["tslen"])) & 0xffffffff,
                                  abs(p["len"] - p["tslen"])))
        res, closed = f.tcp.packet(dr, p)
        if closed and not f.closing:
            f.closing, f.due = True, now + LINGER_NS
        tsh = {"R": ts_r, "O": r["tcp.analysis.out_of_order"] != "",
               "fast": r["tcp.analysis.fast_retransmission"] != "",
               "spurious": r["tcp.analysis.spurious_retransmission"] != "",
               "side": side, "p": p}
        f.frames[dr].append((frame, res, tsh))
    return flows, rejected, segs


def classify(f, prev, dr, res, tsh, segs):
    """Name the documented class of a frame where netsift (res) and tshark
    (tsh) disagree about "retransmission", or describe it ('?...')."""
    kind, why, ctx = res
    p = tsh["p"]
    end = (p["seq"] + p["len"]) & 0xffffffff
    if kind == "R":
        if tsh["O"] and why == "late":
            return "late-fill"
        if tsh["O"] and why == "seen":
            return "quick-resend"
        if why == "seen" and ctx["nxt"] is not None and p["len"] > 1 \
                and p["seq"] == (ctx["nxt"] - 1) & 0xffffffff:
            return "one-byte-behind"
        if why == "seen" and any(sdiff(p["seq"], s + n) < 0 and sdiff(end, s) > 0
                                 for s, n in f.phantom[dr]):
            return "length-disagree"
        return "?R(%s)/%s" % (why, "O" if tsh["O"] else "-")
    # tshark R, netsift not
    d = f.tcp.d[dr]
    if d.isn_restart is not None and p["frame"] >= d.isn_restart:
        return "new-isn"
    a, b, vlan = f.key
    if len(segs.get((a, b, tsh["side"], p["seq"], p["len"]), ())) > 1:
        return "vlan-copy"
    if why in ("init", "syn", "new") and prev is not None:
        pd = prev.tcp.d[dr if prev.init_side == f.init_side else 1 - dr]
        if pd.have_seq and sdiff(pd.nxt, p["seq"]) > 0:
            return "after-" + prev.ended.replace(" ", "-")
    if why in ("new", "init") and tsh["spurious"] and ctx["acked"]:
        return "acked-unseen"
    if why == "new" and ctx["bare_ahead"]:
        return "bare-ack-ahead"
    return "?%s(%s)/R%s" % (kind, why, "(fast)" if tsh["fast"] else "(spurious)" if tsh["spurious"] else "")


def main():
    if sys.argv[1] == "--fields":
        print(" ".join("-e " + f for f in FIELDS))
        return 0
    d, excpath = sys.argv[1], sys.argv[2]
    truths = dict(a.split(":", 1)[::-1] for a in sys.argv[3:])
    exc, explained, bad = {}, {}, []
    for line in open(excpath):
        if line.startswith("#") or not line.strip():
            continue
        p = line.rstrip("\n").split("\t")
        if len(p) == 3 and p[0] == "class" and p[1] in CLASSES and p[2].strip():
            explained[p[1]] = p[2]
        elif len(p) == 3 and p[0] in CLASSES and p[2].isdigit():
            exc[(p[1], p[0])] = int(p[2])
        else:
            bad.append("bad exception line (class<TAB>NAME<TAB>why, or NAME<TAB>capture<TAB>count): "
                       + line.strip())
    for (cap, c) in exc:
        if c not in explained:
            bad.append("class %s is listed for %s but not explained" % (c, cap))
    names = sorted(f[:-3] for f in os.listdir(d) if f.endswith(".ts"))
    tot = dict(caps=0, flows=0, dirs=0, same=0, diff=0, ns_r=0, ts_r=0)
    seen_exc = set()
    report = []
    for name in names:
        tcp_ok = netsift_tcp_frames(os.path.join(d, name + ".nsdump"))
        flows, rejected, segs = model(os.path.join(d, name + ".ts"), tcp_ok)
        for frame, r in rejected:
            if r:
                bad.append("%s frame %d: tshark retransmission in a frame netsift does not "
                           "decode as TCP" % (name, frame))
        ns = {}
        for fid, rows in sorted(read_netsift(os.path.join(d, name + ".csv")).items()):
            r = rows[0]
            if r["protonum"] != "6" or all(x["sretrans"] == "" for x in rows):
                continue  # not TCP, or TCP without a valid header (no TCP state)
            a, b = endpoint_key(r["saddr"], int(r["sport"]), r["daddr"], int(r["dport"]))
            ns.setdefault((a, b, int(r["vlan"] or 0)), []).append((fid, rows))
        if not flows and not ns:
            continue
        tot["caps"] += 1
        classes = {}
        for key in sorted(set(flows) | set(ns), key=lambda k: (k[0][0].packed, k[0][1], k[1][0].packed, k[1][1], k[2])):
            mf, nf = flows.get(key, []), ns.get(key, [])
            kname = "%s %s vlan %d" % (fmt_ep(key[0]), fmt_ep(key[1]), key[2])
            if len(mf) != len(nf):
                bad.append("%s %s: model has %d flows, netsift %d" % (name, kname, len(mf), len(nf)))
                continue
            for fi, (f, (fid, rows)) in enumerate(zip(mf, nf)):
                tot["flows"] += 1
                r = rows[0]
                init = 0 if key[0] == (addr(r["saddr"]), int(r["sport"])) else 1
                if key[0] == key[1]:
                    init = f.init_side
                got = [(isum(rows, "sretrans"), isum(rows, "sooo")),
                       (isum(rows, "dretrans"), isum(rows, "dooo"))]
                want = [(f.tcp.d[i].retrans, f.tcp.d[i].ooo) for i in (0, 1)]
                if init != f.init_side or got != want:
                    bad.append("%s flow %d (%s): netsift (retrans, ooo) per direction %s, "
                               "model %s (initiator side netsift %d model %d)"
                               % (name, fid, kname, got, want, init, f.init_side))
                    continue
                for dr in (0, 1):
                    tot["dirs"] += 1
                    ts_r = sum(1 for _, _, t in f.frames[dr] if t["R"])
                    ns_r = got[dr][0]
                    tot["ns_r"] += ns_r
                    tot["ts_r"] += ts_r
                    if ts_r == ns_r and all((res[0] == "R") == t["R"] for _, res, t in f.frames[dr]):
                        tot["same"] += 1
                        continue
                    tot["diff"] += 1
                    for frame, res, t in f.frames[dr]:
                        if (res[0] == "R") == t["R"]:
                            continue
                        c = classify(f, mf[fi - 1] if fi else None, dr, res, t, segs)
                        classes[c] = classes.get(c, 0) + 1
                        if c not in CLASSES:
                            bad.append("%s frame %d (flow %d %s, %s): netsift %s, tshark %s"
                                       % (name, frame, fid, "->" if dr == 0 else "<-", kname,
                                          res[:2], {k: v for k, v in t.items() if v and k in ("R", "O", "fast", "spurious")}))
        for c, n in sorted(classes.items()):
            if c in CLASSES:
                seen_exc.add((name, c))
                if exc.get((name, c)) != n:
                    bad.append("%s: %d frames of class %s, exceptions list %s"
                               % (name, n, c, exc.get((name, c), "none")))
        if classes:
            report.append("  %-36s %s" % (name, ", ".join("%s %d" % kv for kv in sorted(classes.items()))))
        if name in truths:
            t = json.load(open(truths[name]))
            nr = sum(f.tcp.d[i].retrans for fl in flows.values() for f in fl for i in (0, 1))
            no = sum(f.tcp.d[i].ooo for fl in flows.values() for f in fl for i in (0, 1))
            tr = sum(1 for fl in flows.values() for f in fl for i in (0, 1) for _, _, x in f.frames[i] if x["R"])
            to = sum(1 for fl in flows.values() for f in fl for i in (0, 1) for _, _, x in f.frames[i] if x["O"])
            report.append("  %s: generator truth retrans %d reordered %d; netsift %d / %d; "
                          "tshark retransmission %d out-of-order %d"
                          % (name, t["tcp_retrans"], t["tcp_reordered"], nr, no, tr, to))
            if (nr, no) != (t["tcp_retrans"], t["tcp_reordered"]):
                bad.append("%s: netsift retrans/ooo %d/%d, generator truth %d/%d"
                           % (name, nr, no, t["tcp_retrans"], t["tcp_reordered"]))
    for (cap, c), n in exc.items():
        if (cap, c) not in seen_exc and cap in names:
            bad.append("stale exception: %s %s %d (no such frames now)" % (c, cap, n))
    print("retrans_vs_tshark: %(caps)d captures with TCP, %(flows)d TCP flows, %(dirs)d flow "
          "directions; %(same)d agree frame by frame, %(diff)d differ; retransmissions: "
          "netsift %(ns_r)d, tshark %(ts_r)d" % tot)
    if report:
        print("differences by class (frame counts):")
        print("\n".join(report))
    if bad:
        print("FAIL, unexplained:")
        print("\n".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

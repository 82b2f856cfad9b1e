#!/usr/bin/env bash
# bgp_vs_tshark.sh — netsift's BGP stream reassembly and message parser
# (cullmon/stream.h, bgp/bgp.h, via the test tool ns_bgpdump) against
# tshark's BGP dissector on every BGP capture in $NS_SHARED/pcaps
# (*bgp*: tcpdump's, nDPI's and pmacct's test captures, and cull_lab.pcap).
#
# Per file, three multisets must be equal:
#   msg    (type, length) of every message;
#   open   (AS, hold time) of every OPEN, the AS being the 4-octet AS
#          capability when present (RFC 6793), else My AS;
#   notif  (code, subcode, shutdown communication length) of every
#          NOTIFICATION (RFC 8203 / RFC 9003).
# Differences are allowed only where bgp_vs_tshark.exceptions pins them
# exactly (file, category, count only we have, count only tshark has) with
# the reason; a pinned difference that changes or disappears fails too.
#
# Skips (77) without $NS_SHARED/pcaps or tshark.  Needs $NS_BUILD/ns_bgpdump.
set -u
[ -n "${NS_SHARED:-}" ] && [ -d "$NS_SHARED/pcaps" ] || { echo "no NS_SHARED/pcaps: skip"; exit 77; }
command -v tshark >/dev/null 2>&1 || { echo "no tshark: skip"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "no python3: skip"; exit 77; }
dump=${NS_BUILD:?NS_BUILD unset}/ns_bgpdump
[ -x "$dump" ] || { echo "missing $dump" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
for f in "$NS_SHARED"/pcaps/*bgp*.pcap* "$NS_SHARED"/pcaps/cull_lab.pcap; do
    [ -f "$f" ] || continue
    b=$(basename "$f")
    # one line per frame; repeated fields joined by ','
    tshark -r "$f" -Y bgp -T fields -E separator=/t -E aggregator=, \
        -e frame.number -e bgp.type -e bgp.length -e bgp.open.myas -e bgp.cap.4as \
        -e bgp.open.holdtime -e bgp.notify.major_error -e bgp.notify.minor_error_cease \
        -e bgp.notify.minor_error_expired -e bgp.notify.minor_error_open \
        -e bgp.notify.minor_error_update -e bgp.notify.minor_error_state \
        -e bgp.notify.communication_length >"$tmp/$b.tshark" 2>"$tmp/$b.tshark.err" ||
        { echo "tshark failed on $b" >&2; cat "$tmp/$b.tshark.err" >&2; exit 1; }
    "$dump" "$f" >"$tmp/$b.ours" 2>"$tmp/$b.ours.err" ||
        { echo "ns_bgpdump failed on $b" >&2; cat "$tmp/$b.ours.err" >&2; exit 1; }
    echo "$b" >>"$tmp/files"
    n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "no BGP captures found" >&2; exit 1; }

python3 - "$tmp" "$here/bgp_vs_tshark.exceptions" <<'PY'
import sys, collections, os
tmp, excfile = sys.argv[1], sys.argv[2]

def split(v):
    return [x for x in v.split(',')] if v else []

def tshark_sets(path):
    msg, opn, notif = collections.Counter(), collections.Counter(), collections.Counter()
    for line in open(path):
        c = line.rstrip('\n').split('\t')
        c += [''] * (13 - len(c))
        types, lens = split(c[1]), split(c[2])
        for t, l in zip(types, lens):
            msg[(int(t), int(l))] += 1
        myas, as4, hold = split(c[3]), split(c[4]), split(c[5])
        # the 4-octet AS capability, when a frame's OPEN has one; frames
        # with several OPENs and mixed capabilities do not occur here
        for i, h in enumerate(hold):
            a = as4[i] if i < len(as4) else (myas[i] if i < len(myas) else '')
            opn[(int(a) if a else -1, int(h))] += 1
        codes = split(c[6])
        subs = [split(c[k]) for k in range(7, 12)]
        tl = split(c[12])
        si = [0] * 5
        ti = 0
        for code in codes:
            code = int(code)
            # tshark names the subcode field by major code
            k = {6: 0, 4: 1, 2: 2, 3: 3, 5: 4}.get(code)
            sub = 0
            if k is not None and si[k] < len(subs[k]):
                sub = int(subs[k][si[k]]); si[k] += 1
            text = 0
            if code == 6 and sub in (2, 4) and ti < len(tl):
                text = int(tl[ti]); ti += 1
            notif[(code, sub, text)] += 1
    return msg, opn, notif

def our_sets(path):
    msg, opn, notif = collections.Counter(), collections.Counter(), collections.Counter()
    for line in open(path):
        c = line.rstrip('\n').split('\t')
        t, l, d = int(c[3]), int(c[5]), c[6]
        msg[(t, l)] += 1
        kv = dict(x.split('=', 1) for x in d.split(' ') if '=' in x and not x.startswith('('))
        if t == 1 and 'as' in kv:
            opn[(int(kv['as']), int(kv['hold']))] += 1
        if t == 3 and 'code' in kv:
            notif[(int(kv['code']), int(kv['sub']), int(kv['text']))] += 1
    return msg, opn, notif

exc = {}
for line in open(excfile):
    if line.startswith('#') or not line.strip():
        continue
    f = line.rstrip('\n').split('\t')
    exc[(f[0], f[1])] = (int(f[2]), int(f[3]), f[4])

fail = 0
seen = set()
total = collections.Counter()
for name in open(os.path.join(tmp, 'files')).read().split():
    ours = our_sets(os.path.join(tmp, name + '.ours'))
    theirs = tshark_sets(os.path.join(tmp, name + '.tshark'))
    for cat, o, t in zip(('msg', 'open', 'notif'), ours, theirs):
        total[cat] += sum(o.values())
        only_o, only_t = o - t, t - o
        no, nt = sum(only_o.values()), sum(only_t.values())
        key = (name, cat)
        if key in exc:
            seen.add(key)
            eo, et, why = exc[key]
            if (no, nt) != (eo, et):
                print(f"FAIL {name} {cat}: pinned only-ours={eo} only-tshark={et}, now {no} {nt}")
                fail = 1
            continue
        if no or nt:
            fail = 1
            print(f"FAIL {name} {cat}: only ours {dict(only_o)} only tshark {dict(only_t)}")
    print(f"{name}: {sum(ours[0].values())} messages ({sum(theirs[0].values())} by tshark)")
for key in exc:
    if key not in seen:
        print(f"FAIL stale exception {key}")
        fail = 1
print(f"total: {total['msg']} messages, {total['open']} OPENs, {total['notif']} NOTIFICATIONs")
sys.exit(fail)
PY

#!/usr/bin/env bash
# pkt_vs_tshark.sh — the packet decoder against tshark on every capture in
# $NS_SHARED/pcaps.
#
# For each frame we take tshark's FIRST (outermost) IP layer: tshark also
# decodes tunnels and the IP header quoted inside ICMP errors, and prints
# repeated fields comma-separated, so we ask for first occurrences only
# (-E occurrence=f) and pick IPv4 or IPv6 by which of "ip"/"ipv6" comes
# first in frame.protocols.  tshark's IP length is ip.len for IPv4 and
# 40 + ipv6.plen (or 40 + the jumbo payload length) for IPv6.
#
# Checks, per file:
#   1. every frame where both have IP: same src, dst and IP length;
#   2. IP packet count and IP byte sum equal (this catches frames where only
#      one side sees IP), and the same number of frames;
# except disagreements listed in pkt_vs_tshark.exceptions
# (file<TAB>frame or *<TAB>reason).  An exception that no longer matches a
# disagreement fails too, so the list stays short and true.
#
# Skips (77) without $NS_SHARED/pcaps or tshark.  Needs $NS_BUILD/ns_pktdump.
set -u

if [ "${1:-}" = "--one" ]; then
    # Worker: $2 = capture, $3 = output prefix.
    f=$2 out=$3
    tshark -r "$f" -T fields -E separator=/t -E occurrence=f \
        -e frame.number -e frame.protocols -e ip.src -e ip.dst -e ip.len \
        -e ipv6.src -e ipv6.dst -e ipv6.plen -e ipv6.opt.jumbo \
        >"$out.tshark" 2>"$out.tshark.err"
    "$NS_BUILD/ns_pktdump" "$f" >"$out.ours" 2>"$out.ours.err"
    exit 0
fi

[ -n "${NS_SHARED:-}" ] && [ -d "$NS_SHARED/pcaps" ] || { echo "no NS_SHARED/pcaps: skip"; exit 77; }
command -v tshark >/dev/null 2>&1 || { echo "no tshark: skip"; exit 77; }
dump=${NS_BUILD:?NS_BUILD unset}/ns_pktdump
[ -x "$dump" ] || { echo "missing $dump" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
exc=$here/pkt_vs_tshark.exceptions

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ls "$NS_SHARED"/pcaps/ | grep -E '\.(pcap|pcapng|cap)$' >"$tmp/files"
[ -s "$tmp/files" ] || { echo "no captures found" >&2; exit 1; }
export NS_BUILD
sed "s|^|$NS_SHARED/pcaps/|" "$tmp/files" |
    xargs -P "$(nproc 2>/dev/null || echo 2)" -I{} sh -c \
        'bash "$0" --one "$1" "$2/$(basename "$1")"' "$0" {} "$tmp"

# Turn each file's two dumps into "file frame kind detail" disagreements and
# per-file totals over the frames not excepted.
fail=0
: >"$tmp/disagree"
while read -r name; do
    awk -F'\t' -v file="$name" -v excfile="$exc" -v out="$tmp/disagree" '
    BEGIN {
        while ((getline line < excfile) > 0) {
            if (line ~ /^#/ || line ~ /^[ \t]*$/) continue
            split(line, e, "\t")
            if (e[1] == file) exc[e[2]] = 1
        }
    }
    FILENAME ~ /\.tshark$/ {
        n = $1; tframes = n > tframes ? n : tframes
        np = split($2, pr, ":"); fam = ""
        for (i = 1; i <= np; i++) if (pr[i] == "ip" || pr[i] == "ipv6") { fam = pr[i]; break }
        if (fam == "ip" && $3 != "") { tsrc[n] = $3; tdst[n] = $4; tlen[n] = $5 }
        else if (fam == "ipv6" && $6 != "") {
            tsrc[n] = $6; tdst[n] = $7
            tlen[n] = ($8 == 0 && $9 != "") ? 40 + $9 : 40 + $8
        }
        next
    }
    {
        n = $1; oframes = n > oframes ? n : oframes
        if ($3 != "-") { osrc[n] = $4; odst[n] = $5; olen[n] = $9 }
    }
    function report(fr, kind, detail) {
        if ((fr in exc) || ("*" in exc)) { used[("*" in exc) ? "*" : fr] = 1; return 1 }
        printf "%s\t%s\t%s\t%s\n", file, fr, kind, detail >> out
        return 0
    }
    END {
        if (tframes != oframes) report("-", "frames", "tshark " tframes " ours " oframes)
        for (n = 1; n <= (tframes > oframes ? tframes : oframes); n++) {
            t = (n in tsrc); o = (n in osrc)
            if (t && o && (tsrc[n] != osrc[n] || tdst[n] != odst[n] || tlen[n] != olen[n])) {
                if (report(n, "mismatch", "tshark " tsrc[n] ">" tdst[n] " len " tlen[n] \
                           " ours " osrc[n] ">" odst[n] " len " olen[n])) continue
            } else if (t != o) {
                if (report(n, t ? "only-tshark" : "only-ours", t ? tsrc[n] ">" tdst[n] : osrc[n] ">" odst[n])) continue
            } else if ((n in exc) || ("*" in exc)) {
                used[("*" in exc) ? "*" : n] = 1; continue
            }
            if (t) { tc++; tb += tlen[n] }
            if (o) { oc++; ob += olen[n] }
        }
        if (tc != oc || tb != ob)
            report("-", "totals", "tshark " tc "/" tb " ours " oc "/" ob)
        for (k in exc) if (!(k in used))
            printf "%s\t%s\tstale-exception\tlisted but tshark and ns_pktdump agree\n", file, k >> out
        printf "%s\t%d\t%d\t%d\t%d\n", file, tc, tb, oc, ob > "/dev/stderr"
    }' "$tmp/$name.tshark" "$tmp/$name.ours" 2>>"$tmp/totals"
done <"$tmp/files"

# Exceptions naming files that do not exist are stale too.
grep -v '^#' "$exc" | awk -F'\t' 'NF >= 3 {print $1}' | sort -u | while read -r f; do
    [ -e "$NS_SHARED/pcaps/$f" ] || printf '%s\t-\tstale-exception\tno such capture\n' "$f" >>"$tmp/disagree"
done

nfiles=$(wc -l <"$tmp/files")
npk=$(awk -F'\t' '{c += $4; b += $5} END {print c " IP packets, " b " IP bytes"}' "$tmp/totals")
if [ -s "$tmp/disagree" ]; then
    echo "pkt_vs_tshark: disagreements not in $(basename "$exc"):"
    sort -t"$(printf '\t')" -k1,1 -k2,2n "$tmp/disagree"
    fail=1
fi
echo "pkt_vs_tshark: $nfiles captures, $npk (ours, excluding exceptions)"
exit $fail

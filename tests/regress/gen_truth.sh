#!/bin/bash
# The generator knows what it injected; the meter must find exactly that.
#  - the bundled sample regenerates byte for byte (determinism);
#  - packets and IP octets over all records equal what was written;
#  - TCP retransmissions, out-of-order packets and loss equal the injected
#    upstream loss, downstream loss and reordering; RTP loss likewise;
#  - status records (--status 1) sum to the same totals as whole flows.
. "$(dirname "$0")/lib/common.sh"
need python3
"$NS_BIN" gen -w "$TMP/s.pcap" --seed 7 --flows 150 --snaplen 128 --truth "$TMP/s.json"
cmp "$TMP/s.pcap" "$NS_SRC/samples/sample.pcap" || fail "samples/sample.pcap does not regenerate"

for seed in 1 2 3; do
    "$NS_BIN" gen -w "$TMP/g.pcap" --seed $seed --flows 3000 --loss 0.01 --down-loss 0.005 \
        --reorder 0.01 --truth "$TMP/t.json"
    for status in 0 1; do
        "$NS_BIN" probe -q -r "$TMP/g.pcap" --status $status -w "$TMP/g.ipfix"
        "$NS_BIN" read -r "$TMP/g.ipfix" -F csv -s pkts,bytes,l2bytes,retrans,ooo,loss,lsrc,flowid \
            >"$TMP/g.csv"
        python3 - "$TMP/t.json" "$TMP/g.csv" "$seed/$status" <<'PY'
import csv, json, sys
t = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
def tot(k, cond=lambda r: True):
    return sum(int(r[k]) for r in rows if r[k] != "" and cond(r))
got = {
  "packets": tot("pkts"), "ip_octets": tot("bytes"), "l2_octets": tot("l2bytes"),
  "flows": len({r["flowid"] for r in rows}),
  "tcp_retrans": tot("retrans", lambda r: r["lsrc"] == "tcp"),
  "tcp_reordered": tot("ooo", lambda r: r["lsrc"] == "tcp"),
  "tcp_loss": tot("loss", lambda r: r["lsrc"] == "tcp"),
  "rtp_loss": tot("loss", lambda r: r["lsrc"] == "rtp"),
}
want = {k: t[k] for k in ("packets", "ip_octets", "l2_octets", "flows", "tcp_retrans", "tcp_reordered")}
# upstream loss: one gap each; downstream loss: one resend of seen data each
want["tcp_loss"] = t["tcp_retrans"]
want["rtp_loss"] = t["rtp_lost"]
bad = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
print(sys.argv[3], "ok" if not bad else "MISMATCH (got, want): %s" % bad)
sys.exit(1 if bad else 0)
PY
    done
done

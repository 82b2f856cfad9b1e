#!/bin/bash
# Loss accounting over UDP, in a network namespace the test creates: nft
# drops every 20th IPFIX datagram (5 %) on the namespace's loopback before
# `netsift collect` gets it.  The truth comes from a tcpdump capture of
# every datagram sent (taken before the drop): the records a dropped
# message held are the difference of its and the next message's sequence
# numbers.  The collector's lost-record count must be within 1 % of it,
# and what it stored plus what it reports lost must not exceed what was
# sent.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need ip
need nft
need tcpdump
need tshark
need python3
[ "$(id -u)" = 0 ] || skip "needs root for a network namespace"
ns="nsift-loss-$$"
ip netns add "$ns" || skip "cannot create a network namespace"
trap 'ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del "$ns" 2>/dev/null; cleanup' EXIT
in_ns() { ip netns exec "$ns" "$@"; }
# in the namespace, in the background; its own pid (not ip's) in file $1
ns_bg() {
    local pf=$1
    shift
    ip netns exec "$ns" sh -c 'echo $$ >"$0"; exec "$@"' "$pf" "$@" &
    for _ in $(seq 100); do [ -s "$pf" ] && return 0; sleep 0.02; done
    fail "could not start $1"
}
in_ns ip link set lo up
port=4739
in_ns nft add table inet nsift
in_ns nft add chain inet nsift in '{ type filter hook input priority 0; }'
in_ns nft add rule inet nsift in udp dport $port numgen inc mod 20 0 counter drop

"$NS_BIN" gen -w "$TMP/g.pcap" --flows 8000 --seed 11 --snaplen 64 2>/dev/null || fail "gen"
ns_bg "$TMP/td.pid" tcpdump -i lo -s 2048 -B 32768 --immediate-mode -U -w "$TMP/all.pcap" \
    "udp dst port $port" 2>"$TMP/td.log"
td=$(cat "$TMP/td.pid")
for _ in $(seq 100); do grep -q listening "$TMP/td.log" && break; sleep 0.05; done
ns_bg "$TMP/c.pid" "$NS_BIN" collect --listen "udp://127.0.0.1:$port" -w "$TMP/c/f.ipfix" \
    --rotate 0 -q 2>"$TMP/c.log"
cp=$(cat "$TMP/c.pid")
for _ in $(seq 100); do grep -q listening "$TMP/c.log" && break; sleep 0.05; done
in_ns "$NS_BIN" probe -r "$TMP/g.pcap" --export "udp://127.0.0.1:$port" --export-rate 5000 \
    --template-refresh-msgs 20 2>"$TMP/probe.log" || fail "probe: $(cat "$TMP/probe.log")"
sleep 0.5
kill -TERM "$cp"
for _ in $(seq 100); do kill -0 "$cp" 2>/dev/null || break; sleep 0.05; done
grep -q "total:" "$TMP/c.log" || fail "collector did not stop in order: $(tail -3 "$TMP/c.log")"
kill -INT "$td"
for _ in $(seq 100); do kill -0 "$td" 2>/dev/null || break; sleep 0.05; done
dropped_pkts=$(in_ns nft list ruleset | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')

tshark -r "$TMP/all.pcap" -T fields -e udp.payload >"$TMP/payloads.txt" 2>/dev/null || fail "tshark"
truth=$(python3 - "$TMP/payloads.txt" <<'PY'
import struct, sys
seqs = []
for line in open(sys.argv[1]):
    line = line.strip()
    if line:
        m = bytes.fromhex(line.replace(":", ""))
        seqs.append(struct.unpack(">I", m[8:12])[0])
lost = 0
# datagram i was dropped when i % 20 == 0 (nft numgen inc starts at 0);
# the records it held: the next sequence number minus its own.  The first
# datagram is left out: no collector can tell records lost before the
# first message it receives (its number is the base), nor after the last.
for i in range(20, len(seqs) - 1, 20):
    lost += (seqs[i + 1] - seqs[i]) & 0xFFFFFFFF
print(len(seqs), lost)
PY
)
sent_dgrams=${truth% *}
truth=${truth#* }
msgs=$(sed -n 's/.* data records with options, \([0-9]*\) messages.*/\1/p' "$TMP/probe.log")
[ "$sent_dgrams" = "$msgs" ] || fail "tcpdump caught $sent_dgrams of the $msgs datagrams sent"
[ "$dropped_pkts" -eq $(((sent_dgrams + 19) / 20)) ] || fail "nft dropped $dropped_pkts of $sent_dgrams datagrams"
tot=$(grep "total:" "$TMP/c.log")
lost=$(sed -n 's/.* lost \([0-9]*\) in .*/\1/p' <<<"$tot")
stored=$(sed -n 's/.*total: \([0-9]*\) records, \([0-9]*\) options.*/\1 \2/p' <<<"$tot")
sent=$(sed -n 's/.*(\([0-9]*\) data records with options.*/\1/p' "$TMP/probe.log")
[ -n "$lost" ] && [ -n "$sent" ] || fail "no counts: $tot / $(cat "$TMP/probe.log")"
python3 - "$lost" "$truth" "$stored" "$sent" <<'PY' || fail "collector: $tot; truth $truth lost records; sent $sent"
import sys
lost, truth, sent = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[4])
rec, opt = map(int, sys.argv[3].split())
assert truth > 0
assert abs(lost - truth) <= 0.01 * truth, "lost %d vs truth %d" % (lost, truth)
assert rec + opt + lost <= sent, "stored + lost %d > sent %d" % (rec + opt + lost, sent)
PY
echo "ok: $dropped_pkts of $sent_dgrams datagrams dropped, holding $truth records; collector reports $lost lost; stored $stored of $sent sent"

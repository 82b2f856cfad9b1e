#!/bin/bash
# Collector ingest benchmark: the same IPFIX-over-UDP stream into `netsift
# collect` (writing IPFIX files: copying data sets through where it can),
# into `netsift collect --reencode` (every record decoded and encoded, the
# path before copy-through) and into nfdump's `nfcapd` (writing nfdump
# files), interleaved run by run, from a local sender (bench/ipfix_blast.c).
#
#   bench/collect.sh [LOOPS] [RATE]
#       env: FLOWS=20000 MTUS="1500 9000" RUNS=3
#            COLLECTORS="netsift reencode nfcapd"  (base: NS_BASE=/path/to/old/netsift)
#
# The stream is what `netsift probe --export udp:// --mtu MTU` sends for a
# capture made by `netsift gen` (seed 42, FLOWS flows; templates refreshed
# every 1000 messages), recorded once per MTU; ipfix_blast
# plays it LOOPS times (default 40) with sequence numbers continued, at
# RATE data records/s (default 0: as fast as it can).  Printed per
# collector and run: records sent, received (the collector's own count),
# stored (read back from its files), lost, stored records/s over the
# sender's time (wall), stored records per CPU-second of the collector
# (user + system), peak RSS; then the medians per collector and MTU.
# Loopback only.
set -eu
cd "$(dirname "$0")/.."
LOOPS=${1:-40}
RATE=${2:-0}
FLOWS=${FLOWS:-20000}
MTUS=${MTUS:-1500 9000}
RUNS=${RUNS:-3}
B=build
OUT=bench/out/collect
mkdir -p "$OUT"
[ -x $B/netsift ] && [ -x $B/ipfix_blast ] && [ -x $B/peak_rss ] || make >/dev/null
NS=$B/netsift
port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run_one NAME STOREDIR CMD...: the collector under peak_rss, the sender, stop
run_one() {
    local name=$1 dir=$2
    shift 2
    rm -rf "$dir"
    mkdir -p "$dir"
    $B/peak_rss sh -c "exec $* 2>$OUT/$name.log" >"$OUT/$name.rss" &
    local pr=$!
    sleep 0.5
    local pid
    pid=$(pgrep -P $pr | head -1)
    read -r _ recs secs < <($B/ipfix_blast send "$stream" 127.0.0.1 "$P" "$LOOPS" "$RATE")
    sleep 1
    kill -TERM "$pid"
    wait $pr || true
    read -r _wall rss _st cpu <"$OUT/$name.rss"
    echo "$recs $secs $rss $cpu"
}

row() { # name sent_records secs rss_kib cpu_s received stored
    awk -v n="$1" -v sent="$sent_flows" -v s="$3" -v rss="$4" -v cpu="$5" -v r="$6" -v st="$7" 'BEGIN {
        printf "| %s | %d | %d | %d | %.2f %% | %.2f | %.2f | %.0f |\n", n, sent, r, st,
            100 * (sent - st) / sent, st / s / 1e6, (cpu > 0 ? st / cpu / 1e6 : 0), rss / 1024 }'
}
# keep NAME MTU secs rss_kib cpu_s stored: one line of results for the medians
keep() {
    awk -v n="$1" -v m="$2" -v s="$3" -v rss="$4" -v cpu="$5" -v st="$6" 'BEGIN {
        printf "%s\t%s\t%d\t%.4f\t%.4f\t%.1f\n", n, m, st, st / s / 1e6, (cpu > 0 ? st / cpu / 1e6 : 0), rss / 1024 }' >>"$RES"
}
# one_netsift NAME BIN [ARGS]: a run of netsift collect, its row
one_netsift() {
    local name=$1 bin=$2
    shift 2
    local P
    P=$(port)
    read -r recs secs rss cpu < <(run_one "$name" "$OUT/$name" "$bin" collect --listen "udp://127.0.0.1:$P" -w "$OUT/$name/ns.ipfix" --rotate 0 "$@")
    local recv lost stored
    recv=$(sed -n 's/.*total: \([0-9]*\) records.*/\1/p' "$OUT/$name.log")
    lost=$(sed -n 's/.*total: .* lost \([0-9]*\) in.*/\1/p' "$OUT/$name.log")
    stored=$($NS read -r "$OUT/$name/ns.ipfix" -F csv -s pkts | tail -n +2 | wc -l)
    row "$name (MTU $MTU, run $run)" "$recs" "$secs" "$rss" "$cpu" "$recv" "$stored"
    keep "$name" "$MTU" "$secs" "$rss" "$cpu" "$stored"
    echo "($name's own sequence-gap count: $lost lost; sender: $secs s)" >&2
}
one_nfcapd() {
    local P
    P=$(port)
    read -r recs secs rss cpu < <(run_one nfcapd "$OUT/nf" nfcapd -b 127.0.0.1 -p "$P" -w "$OUT/nf" -t 3600 -B 8388608)
    local stored recv
    stored=$(nfdump -R "$OUT/nf" -q -o csv 2>/dev/null | grep -c '^[0-9]' || true)
    recv=$(sed -n 's/.*Flows: \([0-9]*\),.*/\1/p' "$OUT/nfcapd.log" | tail -1)
    row "nfcapd (MTU $MTU, run $run)" "$recs" "$secs" "$rss" "$cpu" "$recv" "$stored"
    keep nfcapd "$MTU" "$secs" "$rss" "$cpu" "$stored"
}
COLLECTORS=${COLLECTORS:-netsift reencode nfcapd}
RES="$OUT/results.tsv"
: >"$RES"
echo "offered rate: ${RATE} records/s (0 = as fast as the sender goes), $LOOPS loops of the stream per run; $(uptime)"
echo "| collector | flow records sent | received | stored | loss | M stored/s (sender time) | M stored per CPU-s | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"
for MTU in $MTUS; do
stream="$OUT/stream-$FLOWS-$MTU.bin"
if [ ! -s "$stream" ]; then
    $NS gen -w "$OUT/gen.pcap" --flows "$FLOWS" --seed 42 --snaplen 128 2>/dev/null
    p=$(port)
    $B/ipfix_blast record "$p" "$stream" 1500 2>"$OUT/record.log" &
    rp=$!
    sleep 0.3
    $NS probe -q -r "$OUT/gen.pcap" --export "udp://127.0.0.1:$p" --mtu "$MTU" --export-rate 100000 --export-stats 0 2>/dev/null
    wait $rp
    rm -f "$OUT/gen.pcap"
fi

# calibration: one loop, slowly, into netsift collect: flow records per loop
p=$(port)
$NS collect --listen "udp://127.0.0.1:$p" 2>"$OUT/cal.log" &
cp=$!
sleep 0.3
$B/ipfix_blast send "$stream" 127.0.0.1 "$p" 1 200000 >/dev/null
sleep 0.5
kill -TERM $cp
wait $cp || true
per=$(sed -n 's/.*total: \([0-9]*\) records, \([0-9]*\) options records.*lost \([0-9]*\) in.*/\1 \2 \3/p' "$OUT/cal.log")
read -r fpl opl lost0 <<<"$per"
[ "$lost0" = 0 ] || echo "warning: calibration lost $lost0 records" >&2
sent_flows=$((fpl * LOOPS))

echo "(MTU $MTU: $fpl flow records + $opl options records per loop, $(($(stat -c %s "$stream") / 1024)) KiB)" >&2
for run in $(seq "$RUNS"); do
    for col in $COLLECTORS; do
        case $col in
        netsift) one_netsift netsift "$NS" ;;
        reencode) one_netsift reencode "$NS" --reencode ;;
        base) one_netsift base "${NS_BASE:?NS_BASE: the old netsift binary}" ;;
        nfcapd) one_nfcapd ;;
        esac
    done
done
done

echo
echo "medians of $RUNS runs (min-max):"
echo "| stream | collector | stored | M stored/s (sender time) | M stored per CPU-s | peak RSS MiB |"
echo "|---|---|---|---|---|---|"
python3 - "$RES" <<'EOP'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    n, m, st, wall, cpu, rss = line.split('\t')
    rows.setdefault((int(m), n), []).append((int(st), float(wall), float(cpu), float(rss)))
def f(v, fmt):
    return (fmt % statistics.median(v)) + " (" + (fmt % min(v)) + "-" + (fmt % max(v)) + ")"
for (m, n), r in sorted(rows.items()):
    print("| MTU %d | %s | %s | %s | **%s** | %s |" % (m, n, f([x[0] for x in r], "%d"),
          f([x[1] for x in r], "%.2f"), f([x[2] for x in r], "%.2f"), f([x[3] for x in r], "%.0f")))
EOP

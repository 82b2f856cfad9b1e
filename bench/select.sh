#!/bin/bash
# Benchmark: packet selection (src/select) in front of the flow meter.
#
#   bench/select.sh [FLOWS] [SNAPLEN]   (defaults 100000 flows, snaplen 128: bench/run.sh's input)
#
# 1. `netsift probe` unsampled against `--select count:1/1000` (and a hash
#    and a match selector) on the same generated capture: wall time,
#    packets/s of input, peak RSS; median of 5 runs.  Unselected packets
#    are neither copied into the batch arena nor decoded nor metered, so
#    1:1000 sampling must be faster than metering everything.
# 2. bench/select_cost: each selector's own cost per packet in ns, decode
#    excluded (packets decoded once in memory); the default hash selector
#    (BOB) must stay under 30 ns.
set -eu
cd "$(dirname "$0")/.."
FLOWS=${1:-100000}
SNAP=${2:-128}
OUT=${BENCH_OUT:-bench/out}
mkdir -p "$OUT"
NS=./build/netsift
[ -x "$NS" ] && [ -x build/peak_rss ] && [ -x build/select_cost ] || make >/dev/null
PCAP="$OUT/bench-$FLOWS-$SNAP.pcap"
if [ ! -f "$PCAP" ]; then
    echo "generating $PCAP ..." >&2
    $NS gen -w "$PCAP" --flows "$FLOWS" --snaplen "$SNAP" --seed 42 --truth "$OUT/truth.json"
fi
PKTS=$(./build/pcap_floor "$PCAP" | awk '{print $1}')
echo "input: $PCAP, $PKTS packets, $(du -h "$PCAP" | cut -f1)"

python3 - "$PCAP" "$PKTS" "$OUT" <<'PY'
import statistics, subprocess, sys
pcap, pkts, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = ["./build/netsift", "probe", "-q", "-r", pcap, "-w", out + "/sel.ipfix"]
runs = [
  ("probe, unsampled", base),
  ("probe --select count:1/1000", base + ["--select", "count:1/1000"]),
  ("probe --select hash:bob,frac=0.001", base + ["--select", "hash:bob,frac=0.001"]),
  ("probe --select match:tcp", base + ["--select", "match:tcp"]),
]
print(f"{'program':38} {'wall s':>8} {'(range)':>13} {'Mpkt/s':>8} {'peak RSS MiB':>13}")
res = {}
for name, cmd in runs:
    walls, rss = [], []
    for _ in range(5):
        o = subprocess.run(["./build/peak_rss"] + cmd, capture_output=True, text=True).stdout.split()
        walls.append(float(o[0])); rss.append(int(o[1]) / 1024)
    m = statistics.median(walls)
    res[name] = m
    print(f"{name:38} {m:8.3f} {min(walls):6.3f}-{max(walls):6.3f} {pkts/m/1e6:8.2f} {statistics.median(rss):13.1f}")
ok = res["probe --select count:1/1000"] < res["probe, unsampled"]
print(f"count:1/1000 in front of the meter is {res['probe, unsampled']/res['probe --select count:1/1000']:.2f}x "
      f"the speed of unsampled metering: {'ok' if ok else 'NOT FASTER'}")
PY
./build/select_cost "$PCAP" | tee "$OUT/select_cost.txt"
# the limit applies to the default hash selector (BOB, domain ip+payload16)
# as `netsift probe` runs it on files: in bursts (the "(burst)" line), its
# hash values four packets at a time (hash.h).  One by one (the live
# reader's way) BOB's mix is a serial chain of 36 operations per 12 bytes,
# so that line follows the domain's length (32 bytes IPv4, 55 IPv6) and the
# load of the machine (the VM is shared: run it quiet).
awk '$1 == "hash:bob,frac=0.001" && $2 == "(burst)" {print ($3 < 30 ? "ok" : "OVER"), "hash selector (BOB, bursts as in probe) costs", $3, "ns/pkt, limit 30"; exit ($3 >= 30)}' "$OUT/select_cost.txt"

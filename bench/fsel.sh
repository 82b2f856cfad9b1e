#!/bin/bash
# Benchmark: flow selection under resource limits (issue 6, meter.h).
#
#   bench/fsel.sh [FLOWS] [SNAPLEN] [CACHE]   (defaults 100000, 128, 2000)
#
# `netsift probe` on one generated capture: the unlimited meter (the
# default: a 65536-flow budget, emergency expiry, nothing left out; also the
# build of BASE=/path/to/netsift when given, e.g. main's, to show the
# default path did not slow down), then a full cache of CACHE flows under
# each policy, the multistage filter and an export policy.  Wall time,
# packets/s of input, peak RSS; median of RUNS (default 5) runs.
set -eu
cd "$(dirname "$0")/.."
FLOWS=${1:-100000}
SNAP=${2:-128}
CACHE=${3:-2000}
RUNS=${RUNS:-5}
OUT=${BENCH_OUT:-bench/out}
mkdir -p "$OUT"
NS=./build/netsift
[ -x "$NS" ] && [ -x build/peak_rss ] && [ -x build/pcap_floor ] || make >/dev/null
PCAP="$OUT/bench-$FLOWS-$SNAP.pcap"
if [ ! -f "$PCAP" ]; then
    echo "generating $PCAP ..." >&2
    $NS gen -w "$PCAP" --flows "$FLOWS" --snaplen "$SNAP" --seed 42 --truth "$OUT/truth.json"
fi
PKTS=$(./build/pcap_floor "$PCAP" | awk '{print $1}')
echo "input: $PCAP, $PKTS packets, $(du -h "$PCAP" | cut -f1); full cache: $CACHE flows"

python3 - "$PCAP" "$PKTS" "$OUT" "$CACHE" "$RUNS" "${BASE:-}" <<'PY'
import statistics, subprocess, sys
pcap, pkts, out, cache, nruns, base_bin = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
def probe(binary="./build/netsift"):
    return [binary, "probe", "-q", "-r", pcap, "-w", out + "/fsel.ipfix"]
lim = probe() + ["--cache-size", cache]
runs = []
if base_bin:
    runs.append(("BASE unlimited (" + base_bin + ")", probe(base_bin)))
runs += [
  ("unlimited (default)", probe()),
  ("emergency-expire", lim),
  ("drop-new", lim + ["--cache-policy", "drop-new"]),
  ("evict-lru", lim + ["--cache-policy", "evict-lru"]),
  ("evict-smallest", lim + ["--cache-policy", "evict-smallest"]),
  ("evict-oldest", lim + ["--cache-policy", "evict-oldest"]),
  ("sample-hold:100k", lim + ["--cache-policy", "sample-hold:100k"]),
  ("evict-lru + multistage 4,4096,50k", lim + ["--cache-policy", "evict-lru", "--multistage", "4,4096,50k,1s"]),
  ("unlimited + export smart:100k", probe() + ["--export-policy", "smart:100k"]),
]
print(f"{'policy':40} {'wall s':>8} {'(range)':>13} {'Mpkt/s':>8} {'peak RSS MiB':>13}")
for name, cmd in runs:
    walls, rss = [], []
    for _ in range(nruns):
        o = subprocess.run(["./build/peak_rss"] + cmd, capture_output=True, text=True).stdout.split()
        walls.append(float(o[0])); rss.append(int(o[1]) / 1024)
    m = statistics.median(walls)
    print(f"{name:40} {m:8.3f} {min(walls):6.3f}-{max(walls):6.3f} {pkts/m/1e6:8.2f} {statistics.median(rss):13.1f}", flush=True)
PY

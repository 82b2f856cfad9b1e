#!/bin/bash
# Benchmark: netsift probe side by side with its anchors on one generated
# capture.  Prints wall time, packets/s and peak RSS for each, in one run.
#
#   bench/run.sh [FLOWS] [SNAPLEN]      (defaults 100000 flows, snaplen 128)
#
# The input is made by `netsift gen` (deterministic: same seed, same bytes),
# so anyone can reproduce the table.  Nothing leaves the machine: softflowd
# exports to a closed UDP port on 127.0.0.1.
set -eu
cd "$(dirname "$0")/.."
FLOWS=${1:-100000}
SNAP=${2:-128}
OUT=${BENCH_OUT:-bench/out}
mkdir -p "$OUT"
NS=./build/netsift
[ -x "$NS" ] && [ -x build/pcap_floor ] || make >/dev/null
PCAP="$OUT/bench-$FLOWS-$SNAP.pcap"
if [ ! -f "$PCAP" ]; then
    echo "generating $PCAP ..." >&2
    $NS gen -w "$PCAP" --flows "$FLOWS" --snaplen "$SNAP" --seed 42 --truth "$OUT/truth.json"
fi
PKTS=$(./build/pcap_floor "$PCAP" | awk '{print $1}')
echo "input: $PCAP, $PKTS packets, $(cat "$OUT/truth.json" 2>/dev/null | sed 's/.*"flows":\([0-9]*\).*/\1/') flows, $(du -h "$PCAP" | cut -f1)"

rm -rf "$OUT/nfpcapd" && mkdir -p "$OUT/nfpcapd"
python3 - "$PCAP" "$PKTS" "$OUT" <<'PY'
import os, subprocess, sys, time
pcap, pkts, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs = [
  ("libpcap read loop (floor)", ["./build/pcap_floor", pcap]),
  ("netsift probe", ["./build/netsift", "probe", "-q", "-r", pcap, "-w", out + "/ns.ipfix"]),
  ("argus -r -w", ["argus", "-r", pcap, "-w", out + "/a.argus"]),
  ("softflowd -r", ["softflowd", "-d", "-r", pcap, "-v", "10", "-n", "127.0.0.1:9"]),
  ("nfpcapd -r", ["nfpcapd", "-r", pcap, "-w", out + "/nfpcapd"]),
]
print(f"{'program':28} {'wall s':>8} {'Mpkt/s':>8} {'peak RSS MiB':>13}")
for name, cmd in runs:
    if subprocess.run(["which", cmd[0]], capture_output=True).returncode and not os.path.exists(cmd[0]):
        print(f"{name:28} {'n/a':>8}"); continue
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    rc = os.waitstatus_to_exitcode(status)
    note = "" if rc == 0 else f"  (exit {rc})"
    print(f"{name:28} {wall:8.2f} {pkts/wall/1e6:8.2f} {ru.ru_maxrss/1024:13.1f}{note}")
PY

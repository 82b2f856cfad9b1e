#!/bin/bash
# Benchmark: netsift probe side by side with its anchors on one generated
# capture.  Prints wall time, packets/s and peak RSS for each, in one run.
#
#   bench/run.sh [FLOWS] [SNAPLEN]      (defaults 100000 flows, snaplen 128)
#   RUNS=3 (interleaved rounds; medians, ranges and the ratio to the floor)
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
python3 - "$PCAP" "$PKTS" "$OUT" "${RUNS:-3}" <<'PY'
import os, statistics, subprocess, sys, time
pcap, pkts, out, nruns = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
runs = [
  ("libpcap read loop (floor)", ["./build/pcap_floor", pcap]),
  ("netsift probe", ["./build/netsift", "probe", "-q", "-r", pcap, "-w", out + "/ns.ipfix"]),
  ("argus -r -w", ["argus", "-r", pcap, "-w", out + "/a.argus"]),
  ("softflowd -r", ["softflowd", "-d", "-r", pcap, "-v", "10", "-n", "127.0.0.1:9"]),
  ("nfpcapd -r", ["nfpcapd", "-r", pcap, "-w", out + "/nfpcapd"]),
]
runs = [r for r in runs
        if not subprocess.run(["which", r[1][0]], capture_output=True).returncode or os.path.exists(r[1][0])]
load0 = open("/proc/loadavg").read().split()[0]
res = {name: [] for name, _ in runs}
# Interleaved rounds: every program once per round, so a burst of load from
# other jobs falls on all of them alike; medians and ranges are printed.
for _ in range(nruns):
    for name, cmd in runs:
        # Every writer starts from no file: argus appends to an existing
        # one, and overwriting netsift's last output costs ext4 a
        # truncation at open and a forced writeback at close (its
        # replace-by-truncate heuristic), work that is not metering.
        stale = {"argus -r -w": "/a.argus", "netsift probe": "/ns.ipfix"}.get(name)
        if stale and os.path.exists(out + stale):
            os.remove(out + stale)
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        res[name].append((time.monotonic() - t0, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024,
                          os.waitstatus_to_exitcode(status)))
print(f"{'program':28} {'wall s':>8} {'Mpkt/s':>8} {'CPU s':>7} {'peak RSS MiB':>13}   wall range")
med = {}
for name, v in res.items():
    wall = statistics.median(x[0] for x in v)
    med[name] = wall
    note = "" if all(x[3] == 0 for x in v) else f"  (exit {[x[3] for x in v]})"
    print(f"{name:28} {wall:8.2f} {pkts / wall / 1e6:8.2f} {statistics.median(x[1] for x in v):7.2f}"
          f" {max(x[2] for x in v):13.1f}   {min(x[0] for x in v):.2f}-{max(x[0] for x in v):.2f}{note}")
print(f"(medians of {nruns} interleaved runs; load average {load0} before, "
      f"{open('/proc/loadavg').read().split()[0]} after)")
f, n = med.get("libpcap read loop (floor)"), med.get("netsift probe")
if f and n:
    print(f"netsift / floor: {n / f:.2f}x (issue 2 target: 1.3x)")
    if "argus -r -w" in med:
        print(f"argus / netsift: {med['argus -r -w'] / n:.1f}x (target: at least 2.5x)")
PY

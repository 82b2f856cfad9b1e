#!/bin/bash
# Benchmark: `netsift aggregate` side by side with racluster (Argus) and
# `nfdump -A` on the same flows, aggregated by 5-tuple and by protocol.
# Prints wall time, input records/s and peak RSS (medians of RUNS runs,
# interleaved: every case once per round, each round starting one case
# later, so a burst of load from other jobs hits all tools alike), whether issue 4's targets hold in this run, then
# the grand totals of each aggregate so the outputs can be compared.
#
#   bench/agg.sh [FLOWS]        (default 1000000 flows: about 1 M records)
#   RUNS=5 KEEP_PCAP=0 BENCH_OUT=bench/out BASE=/path/to/other/netsift
#
# Inputs, made once and cached in $BENCH_OUT/agg-FLOWS (reruns only time):
# `netsift gen --flows FLOWS --snaplen 96 --seed 42` (≈ 39 packets and 4 KB
# of pcap per flow: 1 M flows are a 4 GB capture, deleted after metering
# unless KEEP_PCAP=1), metered by each tool's own meter with the same
# timeouts (status/active 60 s, idle 30 s):
#   netsift probe --max-flows 262144 -r P -w ns.ipfix
#   argus -X -F tests/argus/argus.conf -r P -w a.argus
#   nfpcapd -e 60,30 -r P -w nfd/
# Only the aggregation is timed, each tool reading its own file and writing
# its own binary format to /dev/null (the cheapest honest output: nothing is
# formatted as text, every aggregate is still produced and written).  Wall
# time, CPU time (user + system, all threads) and peak RSS come from
# build/peak_rss (bench/peak_rss.c).  PRINTING=1 adds netsift's text output.
set -eu
cd "$(dirname "$0")/.."
FLOWS=${1:-1000000}
RUNS=${RUNS:-5}
OUT=${BENCH_OUT:-bench/out}/agg-$FLOWS
NS=./build/netsift
[ -x "$NS" ] && [ -x build/peak_rss ] || make >/dev/null
for t in argus racluster ra nfpcapd nfdump python3; do
    command -v $t >/dev/null || { echo "agg.sh: $t not installed" >&2; exit 2; }
done
mkdir -p "$OUT"

if [ ! -s "$OUT/ns.ipfix" ] || [ ! -s "$OUT/a.argus" ] || [ ! -d "$OUT/nfd" ]; then
    PCAP="$OUT/in.pcap"
    if [ ! -f "$PCAP" ]; then
        echo "generating $PCAP ($FLOWS flows) ..." >&2
        $NS gen -w "$PCAP" --flows "$FLOWS" --snaplen 96 --seed 42 --truth "$OUT/truth.json"
    fi
    echo "metering with netsift probe, argus, nfpcapd ..." >&2
    $NS probe -q --max-flows 262144 -r "$PCAP" -w "$OUT/ns.ipfix"
    rm -f "$OUT/a.argus" # argus appends to an existing file
    argus -X -F tests/argus/argus.conf -r "$PCAP" -w "$OUT/a.argus"
    rm -rf "$OUT/nfd" && mkdir -p "$OUT/nfd"
    nfpcapd -e 60,30 -r "$PCAP" -w "$OUT/nfd" >/dev/null 2>&1
    [ "${KEEP_PCAP:-0}" = 1 ] || rm -f "$PCAP"
fi

python3 - "$OUT" "$RUNS" <<'PY'
import json, os, re, subprocess, sys
out, runs = sys.argv[1], int(sys.argv[2])
ns = "./build/netsift"

def sh(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

def csv_rows(text):
    return [l.split(",") for l in text.strip().splitlines()[1:] if l]

# Input records of each tool's file.
truth = json.load(open(out + "/truth.json")) if os.path.exists(out + "/truth.json") else {}
n_ns = len(sh([ns, "read", "-r", out + "/ns.ipfix", "-F", "csv", "-s", "pkts"]).splitlines()) - 1
n_ar = len(csv_rows(sh(["ra", "-r", out + "/a.argus", "-n", "-c", ",", "-s", "pkts", "-", "not", "man"])))
n_ar_all = int(sh(["racount", "-r", out + "/a.argus"]).split("sum")[1].split()[0])
info = sh(["nfdump", "-R", out + "/nfd", "-I"])
n_nf = int(re.search(r"^Flows: (\d+)", info, re.M).group(1))
print(f"input: {truth.get('flows', '?')} generated flows, {truth.get('packets', '?')} packets; "
      f"records: netsift {n_ns} biflows, argus {n_ar} (+{n_ar_all - n_ar} management), "
      f"nfdump {n_nf} uniflows")

five = {"ns": "saddr,daddr,proto,sport,dport", "nf": "srcip,dstip,proto,srcport,dstport"}
cases = [
    ("netsift aggregate", "5-tuple", n_ns, [ns, "aggregate", "-r", out + "/ns.ipfix", "-m", five["ns"], "-w", "/dev/null"]),
    ("racluster", "5-tuple", n_ar_all, ["racluster", "-r", out + "/a.argus", "-m", "saddr", "daddr", "proto", "sport", "dport", "-w", "/dev/null"]),
    ("nfdump -A", "5-tuple", n_nf, ["nfdump", "-R", out + "/nfd", "-A", five["nf"], "-w", "/dev/null"]),
    ("netsift aggregate", "proto", n_ns, [ns, "aggregate", "-r", out + "/ns.ipfix", "-m", "proto", "-w", "/dev/null"]),
    ("racluster", "proto", n_ar_all, ["racluster", "-r", out + "/a.argus", "-m", "proto", "-w", "/dev/null"]),
    ("nfdump -A", "proto", n_nf, ["nfdump", "-R", out + "/nfd", "-A", "proto", "-w", "/dev/null"]),
]
base = os.environ.get("BASE")  # another build, e.g. main's, for before/after
if base:
    cases.insert(1, ("netsift BASE", "5-tuple", n_ns, [base, "aggregate", "-r", out + "/ns.ipfix", "-m", five["ns"], "-w", "/dev/null"]))
    cases.insert(5, ("netsift BASE", "proto", n_ns, [base, "aggregate", "-r", out + "/ns.ipfix", "-m", "proto", "-w", "/dev/null"]))
if os.environ.get("PRINTING"):  # the text output, for reference
    cases.insert(1, ("netsift aggregate (text)", "5-tuple", n_ns, [ns, "aggregate", "-r", out + "/ns.ipfix", "-m", five["ns"]]))

def run(cmd):
    # build/peak_rss forks, execs and wait4()s: see bench/peak_rss.c for why
    # not os.wait4() from this (large) Python process.
    wall, kib, rc, cpu = sh(["./build/peak_rss", *cmd]).split()
    return float(wall), int(kib) / 1024, int(rc), float(cpu)

def load():
    return open("/proc/loadavg").read().split()[0]

# Interleaved: round r runs every case once, so that load from other jobs
# on a shared machine falls on all tools alike, starting at case r: in a
# fixed order netsift by proto always ran right after nfdump's 600 MiB
# 5-tuple run, and was often up to 2x slower there than one place later.
load0 = load()
res = {i: [] for i in range(len(cases))}
for r in range(runs):
    for k in range(len(cases)):
        i = (k + r) % len(cases)
        res[i].append(run(cases[i][3]))
print(f"\n{'tool':26} {'key':8} {'records':>9} {'wall s':>7} {'Mrec/s':>7} {'CPU s':>6} {'peak RSS MiB':>13}   {'wall range':>13}")
med = {}
for i, (name, key, n, cmd) in enumerate(cases):
    r = sorted(res[i])
    wall, rss, rc, cpu = r[len(r) // 2]
    rss = sorted(x[1] for x in r)[len(r) // 2]
    med[(name, key)] = (wall, rss)
    note = "" if all(x[2] == 0 for x in r) else "  (non-zero exit)"
    print(f"{name:26} {key:8} {n:9} {wall:7.2f} {n / wall / 1e6:7.2f} {cpu:6.2f} {rss:13.1f}   {r[0][0]:6.2f}-{r[-1][0]:<6.2f}{note}")
print(f"(medians of {runs} interleaved runs; load average {load0} before, {load()} after)")

# Issue 4's targets, as measured in this run.
ns5, ra5, nf5 = (med[(t, "5-tuple")] for t in ("netsift aggregate", "racluster", "nfdump -A"))
nsp, nfp = med[("netsift aggregate", "proto")], med[("nfdump -A", "proto")]
def verdict(ok):
    return "holds" if ok else "NOT met"
print(f"\ntarget: by proto faster than nfdump -A: {nsp[0]:.2f} s vs {nfp[0]:.2f} s "
      f"({nfp[0] / nsp[0]:.2f}x): {verdict(nsp[0] < nfp[0])}")
print(f"target: by 5-tuple >= 10x racluster: {ra5[0] / ns5[0]:.1f}x: {verdict(ra5[0] >= 10 * ns5[0])}")
print(f"target: by 5-tuple at most a third of racluster's memory: {ns5[1]:.0f} vs {ra5[1]:.0f} MiB "
      f"({ns5[1] / ra5[1]:.2f}): {verdict(3 * ns5[1] <= ra5[1])}")

# Grand totals of each tool's aggregates (written to files this time).
print(f"\n{'tool':18} {'key':8} {'aggregates':>10} {'records in':>10} {'packets':>10} {'IP bytes':>12} {'L2 bytes':>12}")
def tot_ns(key, m):
    f = f"{out}/ns-{key}.ipfix"
    sh([ns, "aggregate", "-r", out + "/ns.ipfix", "-m", m, "-w", f])
    rows = csv_rows(sh([ns, "read", "-r", f, "-F", "csv", "-s", "trans,pkts,bytes,l2bytes"]))
    return len(rows), *(sum(int(r[i]) for r in rows) for i in range(4))
def tot_ra(key, m):
    f = f"{out}/ra-{key}.argus"
    if os.path.exists(f):
        os.unlink(f)  # argus clients append to an existing -w file
    sh(["racluster", "-r", out + "/a.argus", "-m", *m, "-w", f])
    rows = csv_rows(sh(["ra", "-r", f, "-n", "-c", ",", "-s", "trans", "pkts", "bytes", "-", "not", "man"]))
    return len(rows), sum(int(r[0]) for r in rows), sum(int(r[1]) for r in rows), None, sum(int(r[2]) for r in rows)
def tot_nf(key, a):
    f = f"{out}/nf-{key}.nfcapd"
    sh(["nfdump", "-R", out + "/nfd", "-A", a, "-w", f])
    s = sh(["nfdump", "-r", f, "-N", "-o", "null"])
    g = lambda pat: int(re.search(pat, s).group(1))
    return g(r"Total flows processed: (\d+)"), g(r"total flows: (\d+)"), g(r"total packets: (\d+)"), g(r"total bytes: (\d+)"), None
for key, fns in (("5-tuple", (("netsift", tot_ns, five["ns"]), ("racluster", tot_ra, ["saddr", "daddr", "proto", "sport", "dport"]), ("nfdump", tot_nf, five["nf"]))),
                 ("proto", (("netsift", tot_ns, "proto"), ("racluster", tot_ra, ["proto"]), ("nfdump", tot_nf, "proto")))):
    for tool, fn, arg in fns:
        g, recs, pk, ipb, l2b = fn(key, arg)
        fmt = lambda v, w: f"{'-':>{w}}" if v is None else f"{v:{w}}"
        print(f"{tool:18} {key:8} {g:10} {recs:10} {pk:10} {fmt(ipb, 12)} {fmt(l2b, 12)}")
PY

#!/bin/bash
# Side-by-side with argus: meter the same captures with argus and netsift and
# tabulate flows, packets, bytes and loss per capture and protocol
# (tcp, udp, icmp, other IP; argus's non-IP flows apart).  See report.md.
#
#   tests/argus/compare.sh [-o DIR] [-j JOBS] [--check EXPECTED] [--pin EXPECTED] [capture...]
#
# Without captures: every *.pcap/*.pcapng/*.cap in $NS_SHARED/pcaps plus a
# generated capture (`netsift gen --flows 5000 --loss 0.01 --down-loss 0.005
# --reorder 0.01 --seed 5`, ground truth alongside).  Writes DIR/results.tsv
# (one row per capture and protocol) and prints the captures that differ.
#   --check F   exit 1 when any number differs from the pinned F (expected.tsv)
#   --pin F     rewrite F from this run, keeping the explanation column
# Settings (kept equal on both sides, see argus.conf): status interval 60 s,
# idle timeout 30 s (TCP 60 s); argus -X so /etc/argus.conf does not apply.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${NS_SRC:=$(cd "$here/../.." && pwd)}"
: "${NS_BIN:=$NS_SRC/build/netsift}"
: "${NS_SHARED:=$NS_SRC/../shared}"
export NS_BIN

if [ "${1:-}" = "--one" ]; then
    # worker: --one OUTDIR NAME FILE
    d="$2/cap/$3" f="$4"
    rm -f "$d".*
    # argus appends to an existing -w file: always start from none
    argus -X -F "$here/argus.conf" -r "$f" -w "$d.argus" >"$d.argus.err" 2>&1 && rc=0 || rc=$?
    echo "$rc" >"$d.argus.rc"
    if [ -s "$d.argus" ]; then
        ra -r "$d.argus" -nn -u -c , -s proto saddr sport daddr dport pkts bytes loss sloss dloss \
            state stime ltime spkts dpkts - not man >"$d.ra.csv" 2>>"$d.argus.err" || true
    fi
    "$NS_BIN" probe -q --status 60 --idle 30 -r "$f" -w "$d.ipfix" >"$d.ns.err" 2>&1 && rc=0 || rc=$?
    echo "$rc" >"$d.ns.rc"
    "$NS_BIN" read -r "$d.ipfix" -F csv -s protonum,ipver,vlan,saddr,daddr,sport,dport,pkts,bytes,l2bytes,loss,sloss,dloss,flowid,reason,state,stime,ltime,retrans,ooo,lsrc \
        >"$d.ns.csv" 2>>"$d.ns.err" || true
    exit 0
fi

out="" jobs=8 check="" pin=""
caps=()
while [ $# -gt 0 ]; do
    case "$1" in
    -o) out=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    --check) check=$2; shift 2 ;;
    --pin) pin=$2; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) caps+=("$1"); shift ;;
    esac
done
for t in argus ra python3; do
    command -v $t >/dev/null || { echo "compare.sh: $t not installed" >&2; exit 77; }
done
[ -x "$NS_BIN" ] || { echo "compare.sh: no netsift at $NS_BIN (make first)" >&2; exit 2; }
if [ -z "$out" ]; then out=$(mktemp -d); fi
mkdir -p "$out/cap"

gen=0
if [ ${#caps[@]} = 0 ]; then
    for f in "$NS_SHARED"/pcaps/*.pcap "$NS_SHARED"/pcaps/*.pcapng "$NS_SHARED"/pcaps/*.cap; do
        [ -f "$f" ] && caps+=("$f")
    done
    gen=1
fi
list="$out/captures.txt"
: >"$list"
for f in "${caps[@]}"; do printf '%s\t%s\n' "$(basename "$f")" "$f" >>"$list"; done
if [ $gen = 1 ]; then
    "$NS_BIN" gen -w "$out/gen-5000.pcap" --flows 5000 --loss 0.01 --down-loss 0.005 \
        --reorder 0.01 --seed 5 --truth "$out/gen-5000.truth.json"
    printf 'gen-5000.pcap\t%s\n' "$out/gen-5000.pcap" >>"$list"
fi

# argus sleeps about a second per run at end of file: run captures in parallel
# (the generated one first, it is the longest)
tac "$list" | tr '\t' '\n' | xargs -d '\n' -n 2 -P "$jobs" bash "$0" --one "$out"

args=(--list "$list" --dir "$out/cap" --out "$out/results.tsv")
[ -n "$check" ] && args+=(--check "$check")
[ -n "$pin" ] && args+=(--pin "$pin")
python3 "$here/compare.py" "${args[@]}"

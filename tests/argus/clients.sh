#!/bin/bash
# Side by side with the argus clients (clients.md): racluster -m proto and
# rabins -M time 60 on argus's records against netsift aggregate -m proto and
# netsift bins -M time 60 on netsift's, for the captures in CAPTURES below
# (ones where the meters agree per protocol, tests/argus/expected.tsv) plus
# the generated capture of tests/argus/compare.sh.
#
#   tests/argus/clients.sh [-o DIR] [-j JOBS] [--check EXPECTED] [--pin EXPECTED] [--markdown F]
#
# Meters set as in compare.sh (argus.conf; netsift probe --status 60 --idle 30).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${NS_SRC:=$(cd "$here/../.." && pwd)}"
: "${NS_BIN:=$NS_SRC/build/netsift}"
: "${NS_SHARED:=$NS_SRC/../shared}"
export NS_BIN TZ=UTC # rabins starts second/minute bins at midnight local time

CAPTURES="ndpi-sip.pcap tcpdump-pim-assortment.pcap ndpi-icmp-tunnel.pcap ndpi-badpackets.pcap
ndpi-tor.pcap ndpi-capwap.pcap zeek-irc-dcc-send.pcapng zeek-tcp-retransmit-fast.pcap
cull_lab.pcap ndpi-http-ipv6.pcap zeek-ticks-dns-1hr.pcap"

if [ "${1:-}" = "--one" ]; then
    # worker: --one OUTDIR FILE
    d="$2/$(basename "$3")" f="$3"
    rm -f "$d".*
    ip="ip or ipv6" # netsift meters IP only (report.md D-NONIP)
    argus -X -F "$here/argus.conf" -r "$f" -w "$d.argus" 2>"$d.err"
    ra -r "$d.argus" -nn -u -c , -p 6 -s stime ltime proto spkts dpkts sbytes dbytes sloss dloss \
        - $ip >"$d.ra.csv"
    racluster -m proto -r "$d.argus" -nn -u -c , -s proto trans pkts bytes loss - $ip >"$d.racl.csv"
    rabins -M time 60 -m proto -r "$d.argus" -nn -u -c , -p 6 \
        -s stime ltime proto trans spkts dpkts sbytes dbytes sloss dloss - $ip >"$d.rabins.csv"
    "$NS_BIN" probe -q --status 60 --idle 30 -r "$f" -w "$d.ipfix" 2>>"$d.err"
    "$NS_BIN" read -r "$d.ipfix" -F csv -s stime,ltime,protonum,spkts,dpkts,sl2bytes,dl2bytes,sloss,dloss \
        >"$d.ns.csv"
    "$NS_BIN" aggregate -r "$d.ipfix" -m proto -F csv -s protonum,trans,pkts,l2bytes,loss >"$d.agg.csv"
    "$NS_BIN" bins -r "$d.ipfix" -M time 60 -m proto -F csv --epoch \
        -s stime,protonum,trans,pkts,l2bytes,loss >"$d.bins.csv"
    exit 0
fi

out="" jobs=4
args=()
while [ $# -gt 0 ]; do
    case "$1" in
    -o) out=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    --check | --pin | --markdown) args+=("$1" "$2"); shift 2 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "clients.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
for t in argus ra racluster rabins python3; do
    command -v $t >/dev/null || { echo "clients.sh: $t not installed" >&2; exit 77; }
done
[ -x "$NS_BIN" ] || { echo "clients.sh: no netsift at $NS_BIN (make first)" >&2; exit 2; }
if [ -z "$out" ]; then out=$(mktemp -d); fi
mkdir -p "$out"
files=()
for c in $CAPTURES; do files+=("$NS_SHARED/pcaps/$c"); done
"$NS_BIN" gen -w "$out/gen-5000.pcap" --flows 5000 --loss 0.01 --down-loss 0.005 \
    --reorder 0.01 --seed 5 --truth "$out/gen-5000.truth.json"
files=("$out/gen-5000.pcap" "${files[@]}")
# argus sleeps about a second at the end of every file: run several at once
printf '%s\n' "${files[@]}" | xargs -d '\n' -n 1 -P "$jobs" bash "$0" --one "$out"
names=()
for f in "${files[@]}"; do names+=("$(basename "$f")"); done
python3 "$here/clients.py" --dir "$out" "${args[@]}" "${names[@]}"

#!/bin/bash
# Copy-through (collect.h): a data set whose template is the one netsift's
# encoder would write for its records is stored as its bytes came instead
# of decoded and encoded again.  Two collectors take the same exports at
# once, one copying, one with --reencode (every record decoded and encoded,
# the path before copy-through); their files must hold exactly the same
# records (every field `netsift read` knows), and those of the probe's own
# -w file.  Inputs: real captures metered by netsift probe at MTU 1500, 576
# and 9000, with one record per message, with packet sampling (its
# templates are decoded, not copied), with PSAMP reports (kept whole);
# softflowd and pmacct exports (other exporters' templates: decoded).  The
# copying collector must have copied most of the probe's records, and
# ipfixDump (libfixbuf) must decode its files without an error.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need python3
need_shared

caps=""
for f in ndpi-1kxun.pcap zeek-smb3-multichannel.pcap ndpi-http-ipv6.pcap ndpi-dns-fragmented.pcap; do
    [ -f "$PCAPS/$f" ] && caps="$caps $PCAPS/$f"
done
[ -n "$caps" ] || skip "none of the captures"
caps="$NS_SRC/samples/sample.pcap $caps"

# total_field NAME REGEX: a number from the collector's total line
total_field() { sed -n "s/.*total: .*$2.*/\1/p" "$TMP/$1.log" | tail -1; }

# start_pair TAG: both collectors, writing under $TMP/TAG; ports in P1, P2
start_pair() {
    : >"$TMP/cp.log"; : >"$TMP/re.log" # start_collect must not see the last run's lines
    start_collect cp 1 --listen udp://127.0.0.1:0 -w "$TMP/$1/cp.ipfix" --rotate 0
    start_collect re 1 --listen udp://127.0.0.1:0 -w "$TMP/$1/re.ipfix" --rotate 0 --reencode
    P1=$(port_of cp udp)
    P2=$(port_of re udp)
    [ -n "$P1" ] && [ -n "$P2" ] || fail "no ports"
}
stop_pair() { # TAG: stop both, compare, print
    sleep 0.3
    stop_collect cp
    stop_collect re
    for k in cp re; do
        grep -q "total: .* lost 0 in 0 gaps, 0 resets, 0 late; malformed 0" "$TMP/$k.log" ||
            fail "$1 $k: $(grep total: "$TMP/$k.log")"
    done
    if [ "${2:-}" = reports ]; then # packet reports are not flows: read reads them with --reports
        "$NS_BIN" read -r "$TMP/$1/cp.ipfix" --reports >"$TMP/$1/cp.csv" || fail "$1: read --reports"
        "$NS_BIN" read -r "$TMP/$1/re.ipfix" --reports >"$TMP/$1/re.csv" || fail "$1: read --reports"
    else
        records "$TMP/$1/cp.ipfix" >"$TMP/$1/cp.csv"
        records "$TMP/$1/re.ipfix" >"$TMP/$1/re.csv"
    fi
    n=$(wc -l <"$TMP/$1/re.csv")
    [ "$n" -gt 0 ] || fail "$1: no records"
    cmp -s "$TMP/$1/cp.csv" "$TMP/$1/re.csv" ||
        fail "$1: copied and re-encoded records differ: $(diff "$TMP/$1/cp.csv" "$TMP/$1/re.csv" | head -4)"
    copied=$(total_field cp '; \([0-9]*\) records copied')
    [ "$(total_field re '; \([0-9]*\) records copied')" = 0 ] || fail "$1: --reencode copied records"
    if command -v ipfixDump >/dev/null; then
        ipfixDump --in "$TMP/$1/cp.ipfix" --out "$TMP/$1/dump.txt" 2>"$TMP/$1/dump.err" ||
            fail "$1: ipfixDump: $(head -3 "$TMP/$1/dump.err")"
        ! grep -qi "error\|malformed\|invalid" "$TMP/$1/dump.err" "$TMP/$1/dump.txt" ||
            fail "$1: ipfixDump: $(grep -i "error\|malformed\|invalid" "$TMP/$1/dump.err" "$TMP/$1/dump.txt" | head -3)"
    fi
}

# netsift probe: its records must also be the -w file's
i=0
for c in $caps; do
    for mode in plain mtu576 mtu9000 one sampled report; do
        i=$((i + 1))
        tag=p$i
        mkdir -p "$TMP/$tag"
        start_pair $tag
        args=(--mtu 1500)
        case $mode in
        mtu576) args=(--mtu 576) ;;
        mtu9000) args=(--mtu 9000) ;;
        one) args=(--export-one-per-message) ;;
        sampled) args=(--select count:1/3) ;;
        report) args=(--select count:1/2 --report default) ;;
        esac
        "$NS_BIN" probe -q -r "$c" -w "$TMP/$tag/ref.ipfix" "${args[@]}" --export-rate 20000 \
            --export "udp://127.0.0.1:$P1" --export "udp://127.0.0.1:$P2" 2>"$TMP/probe.log" ||
            fail "probe $c $mode: $(cat "$TMP/probe.log")"
        stop_pair $tag "$([ "$mode" = report ] && echo reports)"
        if [ "$mode" = report ]; then
            p=$(total_field cp ' \([0-9]*\) PSAMP records')
            [ "$p" -gt 0 ] || fail "$tag: no PSAMP records"
            echo "$(basename "$c") $mode: $p PSAMP records kept whole by both"
            continue
        fi
        records "$TMP/$tag/ref.ipfix" >"$TMP/$tag/ref.csv"
        cmp -s "$TMP/$tag/ref.csv" "$TMP/$tag/cp.csv" ||
            fail "$tag ($mode): collected records differ from -w: $(diff "$TMP/$tag/ref.csv" "$TMP/$tag/cp.csv" | head -4)"
        # netsift's own templates are copied, bar sets with a record of
        # another combination (an ICMP flow in a ports template cannot be:
        # each combination has its own template); sampled ones are not
        if [ "$mode" = sampled ]; then
            [ "$copied" = 0 ] || fail "$tag: sampled records copied ($copied)"
        else
            [ "$copied" = "$n" ] || fail "$tag ($mode): $copied of $n records copied"
        fi
        echo "$(basename "$c") $mode: $n records identical (copied $copied)"
    done
done

# softflowd and pmacct: other exporters' templates, decoded by both
if command -v softflowd >/dev/null; then
    for c in $caps; do
        i=$((i + 1))
        tag=s$i
        mkdir -p "$TMP/$tag"
        start_pair $tag
        for p in "$P1" "$P2"; do
            timeout 60 softflowd -d -r "$c" -v 10 -A milli -6 -n "127.0.0.1:$p" >"$TMP/sf.log" 2>&1 ||
                fail "softflowd: $(tail -3 "$TMP/sf.log")"
        done
        stop_pair $tag
        echo "softflowd $(basename "$c"): $n records identical (copied $copied)"
    done
fi
if command -v pmacctd >/dev/null; then
    for c in $caps; do
        i=$((i + 1))
        tag=m$i
        mkdir -p "$TMP/$tag"
        start_pair $tag
        cat >"$TMP/pm.conf" <<EOC
daemonize: false
pcap_savefile: $c
plugins: nfprobe[a], nfprobe[b]
nfprobe_receiver[a]: 127.0.0.1:$P1
nfprobe_receiver[b]: 127.0.0.1:$P2
nfprobe_version: 10
aggregate: src_host, dst_host, src_port, dst_port, proto
EOC
        pmacctd -f "$TMP/pm.conf" >"$TMP/pm.log" 2>&1 &
        pp=$!
        PIDS="$PIDS $pp"
        for _ in $(seq 200); do kill -0 $pp 2>/dev/null || break; sleep 0.05; done
        kill -INT $pp 2>/dev/null || true
        wait $pp 2>/dev/null || true
        stop_pair $tag
        echo "pmacct $(basename "$c"): $n records identical (copied $copied)"
    done
fi
echo "ok: copy-through stores the records the re-encoding path stores"

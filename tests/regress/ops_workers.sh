#!/bin/bash
# netsift probe -i with --workers 2 as a service (issue 8): what one worker
# does in ops_service.sh, with two flow caches on two threads.  In network
# namespaces made here, a real capture (several host pairs, so both
# workers meter) is replayed onto a veth.  Checked:
#   - metrics: scraped, valid exposition (lib/promcheck.py); once traffic
#     stopped, netsift_packets_total equals the packets replayed, the
#     per-worker series (netsift_worker_*{worker="0|1"}) sum to the totals,
#     both workers metered, and at the end the totals equal the summary;
#   - SIGUSR1 prints the summed counters and one line per worker;
#   - SIGHUP reload of -c FILE changes the active timeout (60 s -> 1 s) in
#     every worker: status records appear afterwards, and no flow state is
#     lost: the packets in the file's records equal the packets replayed
#     before and after the reload;
#   - the statistics options records of the run (summed over workers, with
#     the kernel counters per interface) pass read --check.
# Skipped (77) only when namespaces cannot be made.
. "$(dirname "$0")/lib/common.sh"
need tcpreplay
need python3
. "$(dirname "$0")/lib/netns.sh"
netns_pair "now$$"
ip netns exec $S ip link add s0 mtu 9000 type veth peer name r0 mtu 9000 netns $R
ip netns exec $S ip link set s0 up
ip netns exec $R ip link set r0 up
ip netns exec $R ip link set lo up
inr() { ip netns exec $R "$@"; }

A="$TMP/traffic.pcap" # generated: 40 flows between many host pairs, small frames
"$NS_BIN" gen -w "$A" --flows 40 --snaplen 128 --seed 3 >/dev/null 2>&1 || fail "netsift gen"
SENT=$("$NS_BIN" probe -r "$A" -w /dev/null 2>&1 | sed -n 's/^netsift probe: \([0-9]*\) packets.*/\1/p')
[ "$SENT" -gt 1000 ] || fail "reference run: $SENT packets"
replay() { # pps
    ip netns exec $S tcpreplay -q -i s0 --pps "$1" "$A" >"$TMP/replay.log" 2>&1 ||
        { cat "$TMP/replay.log" >&2; fail "tcpreplay"; }
}
pkts_in() { # ipfix file -> packets in its flow records
    "$NS_BIN" read -r "$1" -s spkts,dpkts -F csv | tail -n +2 | awk -F, '{s+=$1+$2} END {print s+0}'
}
scrape() { # out
    inr python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:19290/metrics').read().decode())" >"$1.raw" ||
        fail "GET /metrics"
    python3 "$NS_SRC/tests/regress/lib/promcheck.py" "$1.raw" >"$1" || fail "metrics not valid"
}
metric() { # scraped sample -> value (0 when absent)
    awk -v k="$2" '$1 == k {print $2; f=1} END {if (!f) print 0}' "$1"
}
wsum() { # scraped family -> sum over its worker samples, and how many
    awk -v k="$2" 'index($1, k "{worker=\"") == 1 {s += $2; n++} END {print s + 0, n + 0}' "$1"
}
conf() { # active-timeout
    cat >"$TMP/probe.yaml" <<EOT
observationPoint:
  - name: wire
    ifName: [r0]
    ringBlocks: 8
    selectionProcess: all
selectionProcess:
  - name: all
    selector:
      - selectAll: {}
    cache: flows
cache:
  - name: flows
    timeoutCache:
      maxFlows: 4096
      activeTimeout: $1
      idleTimeout: 3600
      tcpIdleTimeout: 3600
    exportingProcess: out
exportingProcess:
  - name: out
    destination:
      - name: file
        fileWriter: {file: "$TMP/probe.ipfix"}
operation:
  metrics: 127.0.0.1:19290
EOT
}
conf 60
ip netns exec $R "$NS_BIN" probe -c "$TMP/probe.yaml" --workers 2 2>"$TMP/probe.log" &
probe=$!
pids+=($probe)
netns_wait_sockets $probe 2 "$TMP/probe.log"

# ---- metrics: totals, and per worker ----
replay 3000
wait_for 10 sh -c "ip netns exec $R python3 -c \"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:19290/metrics').read().decode())\" 2>/dev/null | grep -qx 'netsift_packets_total $SENT'" ||
    { cat "$TMP/probe.log" >&2; fail "metrics never showed $SENT packets"; }
sleep 0.7 # kernel counters: every half second
scrape "$TMP/m1"
[ "$(metric "$TMP/m1" netsift_kernel_packets_total)" = "$SENT" ] ||
    fail "kernel packets $(metric "$TMP/m1" netsift_kernel_packets_total), not $SENT"
read -r wp nw <<<"$(wsum "$TMP/m1" netsift_worker_packets_total)"
[ "$nw" = 2 ] || fail "$nw worker samples of netsift_worker_packets_total, not 2"
[ "$wp" = "$SENT" ] || fail "worker packets add up to $wp, not $SENT"
for f in flows_exported_total flows_active kernel_drops_total; do
    read -r s _ <<<"$(wsum "$TMP/m1" netsift_worker_$f)"
    case $f in flows_exported_total) t=netsift_flows_exported_total ;;
    flows_active) t=netsift_flows_active ;; kernel_drops_total) t=netsift_kernel_drops_total ;; esac
    [ "$s" = "$(metric "$TMP/m1" $t)" ] || fail "netsift_worker_$f sums to $s, $t is $(metric "$TMP/m1" $t)"
done
for w in 0 1; do
    v=$(metric "$TMP/m1" "netsift_worker_packets_total{worker=\"$w\"}")
    [ "$v" -gt 0 ] || fail "worker $w metered nothing"
done
grep -q '^netsift_worker_cache_fill_ratio{worker="1"} ' "$TMP/m1" || fail "no per-worker cache fill"
echo "ok metrics with 2 workers: $SENT packets, worker series add up"

# ---- SIGUSR1 ----
kill -USR1 $probe
wait_for 5 grep -q "stats: $SENT packets" "$TMP/probe.log" ||
    { cat "$TMP/probe.log" >&2; fail "SIGUSR1: no summed counters"; }
wait_for 5 grep -q "stats: worker 1: [0-9]* packets" "$TMP/probe.log" ||
    { cat "$TMP/probe.log" >&2; fail "SIGUSR1: no per-worker line"; }
echo "ok SIGUSR1 with 2 workers"

# ---- SIGHUP: active timeout 60 s -> 1 s in every worker ----
conf 1
kill -HUP $probe
wait_for 5 grep -q "reload applied: activeTimeout 1s" "$TMP/probe.log" ||
    { cat "$TMP/probe.log" >&2; fail "SIGHUP: reload not applied"; }
replay 500 # flows longer than a second now
wait_for 10 sh -c "ip netns exec $R python3 -c \"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:19290/metrics').read().decode())\" 2>/dev/null | grep -qx 'netsift_packets_total $((2 * SENT))'" ||
    fail "metrics never showed $((2 * SENT)) packets"
sleep 0.7
scrape "$TMP/m2"
kill -TERM $probe
rc=0
wait $probe || rc=$?
[ $rc = 0 ] || { cat "$TMP/probe.log" >&2; fail "probe exit $rc"; }
n=$(sed -n 's/^netsift probe: \([0-9]*\) packets.*/\1/p' "$TMP/probe.log")
[ "$n" = $((2 * SENT)) ] || { cat "$TMP/probe.log" >&2; fail "summary: $n packets, sent $((2 * SENT))"; }
[ "$(metric "$TMP/m2" netsift_packets_total)" = "$n" ] || fail "metrics $(metric "$TMP/m2" netsift_packets_total) vs summary $n"
krecv=$(sed -n 's/.*kernel r0 (ifindex [0-9]*): \([0-9]*\) received.*/\1/p' "$TMP/probe.log")
[ "$(metric "$TMP/m2" netsift_kernel_packets_total)" = "$krecv" ] || fail "kernel packets: metrics vs summary"
status=$(sed -n 's/.*records by end: idle [0-9]*, status \([0-9]*\),.*/\1/p' "$TMP/probe.log")
[ "${status:-0}" -gt 0 ] || { cat "$TMP/probe.log" >&2; fail "no status records: the 1 s timeout is not in effect"; }
got=$(pkts_in "$TMP/probe.ipfix")
[ "$got" = "$n" ] || fail "the file's records hold $got packets, the probe metered $n"
echo "ok SIGHUP with 2 workers: $status status records, all $got packets in records"

check=$("$NS_BIN" read -r "$TMP/probe.ipfix" --check) || fail "read --check: $check"
[ "$(tail -1 <<<"$check")" = OK ] || fail "read --check: $check"
grep -q "kernel observed packets *$krecv = dropped 0 + captured $krecv" <<<"$check" ||
    fail "read --check: no kernel record: $check"
echo "ok statistics records summed over 2 workers: read --check OK"

#!/bin/bash
# netsift probe and collect as a service (docs/man/netsift.conf.5), in two
# network namespaces made here with a veth pair between them; everything
# else on loopback inside the receiving namespace.
#   - configuration file: the probe runs from -c FILE (RFC 6728 structure);
#   - privilege drop: --user nobody after the capture is open: /proc shows
#     every uid and gid changed and no capability left, `ps -o user` says
#     nobody, and the capture still meters every packet replayed;
#   - metrics: /metrics scraped with curl (or python) and checked line by
#     line (lib/promcheck.py: valid exposition format 0.0.4, HELP/TYPE for
#     every family); counters grow between scrapes; once traffic stops,
#     the packet counter equals the packets replayed and, at the end, the
#     probe's summary; the collector's endpoint counts what it received;
#   - SIGHUP reload: the active timeout (60 s -> 1 s) and the export
#     destination (collector A -> collector B) change in the file; after
#     HUP the probe says what it applied, status records appear (the new
#     timeout), every later record goes to B, and no flow state was lost:
#     the packets in B's records and in the probe's file equal the packets
#     replayed before and after the reload; a broken file on HUP is
#     refused with FILE:LINE:COL and the probe keeps running;
#   - SIGUSR1 prints live counters;
#   - graceful shutdown: SIGTERM in the middle of a replay, every packet
#     the probe counted is in its records;
#   - --daemon --pidfile: the command returns once the daemon runs, the pid
#     file names it, a second start with the same pid file is refused,
#     SIGTERM ends it and removes (or, after --user, empties) the pid file;
#     its last scrape (after the traffic) equals its final summary.
# Skipped (77) only when namespaces cannot be made.
. "$(dirname "$0")/lib/common.sh"
need_shared
need tcpreplay
need python3
. "$(dirname "$0")/lib/netns.sh"
P="nop$$"
netns_pair "$P"
ip netns exec $S ip link add s0 mtu 9000 type veth peer name r0 mtu 9000 netns $R
ip netns exec $S ip link set s0 up
ip netns exec $R ip link set r0 up
ip netns exec $R ip link set lo up
ins() { ip netns exec $S "$@"; }
inr() { ip netns exec $R "$@"; }
chmod 755 "$TMP" # the unprivileged probe and collector reach their files

A="$PCAPS/zeek-http-bro-org.pcap" # 751 packets
SENT=751
replay() { # pcap pps
    ins tcpreplay -q -i s0 --pps "$2" "$1" >"$TMP/replay.log" 2>&1 ||
        { cat "$TMP/replay.log" >&2; fail "tcpreplay $1"; }
}
pkts_in() { # ipfix file -> packets in its flow records
    "$NS_BIN" read -r "$1" -s spkts,dpkts -F csv | tail -n +2 | awk -F, '{s+=$1+$2} END {print s+0}'
}
scrape() { # port out
    if command -v curl >/dev/null; then
        inr curl -sf "http://127.0.0.1:$1/metrics" -o "$2.raw" || fail "curl :$1/metrics"
    else
        inr python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$1/metrics').read().decode())" >"$2.raw" ||
            fail "GET :$1/metrics"
    fi
    python3 "$NS_SRC/tests/regress/lib/promcheck.py" "$2.raw" >"$2" || fail "metrics on :$1 not valid"
}
metric() { # scraped sample -> value (0 when absent)
    awk -v k="$2" '$1 == k {print $2; f=1} END {if (!f) print 0}' "$1"
}
# ---- two collectors on loopback (A, then B after the reload) ----
collector() { # name port metrics-port
    mkdir -p "$TMP/$1"
    chown nobody "$TMP/$1" # the collector writes there as nobody
    ip netns exec $R "$NS_BIN" collect --listen "udp://127.0.0.1:$2" -w "$TMP/$1/%s.ipfix" --rotate 0 \
        --user nobody --metrics "127.0.0.1:$3" 2>"$TMP/$1.log" &
    pids+=($!)
    eval "col_$1=$!"
}
collector A 47391 19191
collector B 47392 19192
wait_for 5 grep -qs "listening" "$TMP/B.log" || { cat "$TMP/B.log" >&2; fail "collector B"; }
wait_for 5 grep -qs "listening" "$TMP/A.log" || { cat "$TMP/A.log" >&2; fail "collector A"; }

conf() { # active-timeout collector-port
    cat >"$TMP/probe.yaml" <<EOT
# netsift probe, RFC 6728 structure
observationPoint:
  - name: wire
    observationDomainId: 42
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
    exportDelay: 100ms
    destination:
      - name: file
        fileWriter: {file: "$TMP/probe.ipfix"}
      - name: collector
        udpExporter:
          destinationIPAddress: 127.0.0.1
          destinationPort: $2
operation:
  user: nobody
  metrics: 127.0.0.1:19190
EOT
}
conf 60 47391
"$NS_BIN" probe -c "$TMP/probe.yaml" --check-config >"$TMP/effective.yaml" ||
    fail "--check-config refused a good file"
grep -q "activeTimeout: 60s" "$TMP/effective.yaml" || fail "--check-config: no activeTimeout 60s"
ip netns exec $R "$NS_BIN" probe -c "$TMP/probe.yaml" 2>"$TMP/probe.log" &
probe=$!
pids+=($probe)
netns_wait_sockets $probe 1 "$TMP/probe.log"

# ---- privileges: gone, and the capture still works ----
nobody=$(id -u nobody)
grep -qE "^Uid:\s+$nobody\s+$nobody\s+$nobody\s+$nobody$" /proc/$probe/status ||
    { grep -E 'Uid|Gid' /proc/$probe/status >&2; fail "probe uids are not all nobody's"; }
grep -qE "^Groups:\s+$(id -g nobody)\s*$" /proc/$probe/status ||
    { grep Groups /proc/$probe/status >&2; fail "supplementary groups not dropped"; }
for c in CapEff CapPrm CapAmb; do
    grep -qE "^$c:\s+0+$" /proc/$probe/status || { grep Cap /proc/$probe/status >&2; fail "$c not empty"; }
done
for t in /proc/$probe/task/*; do # every thread
    grep -qE "^CapEff:\s+0+$" "$t/status" || fail "thread $t kept capabilities"
done
[ "$(ps -o user= -p $probe)" = nobody ] || fail "ps: probe runs as $(ps -o user= -p $probe)"
[ "$(ps -o user= -p $col_B)" = nobody ] || fail "ps: collector runs as $(ps -o user= -p $col_B)"
grep -qE "^CapEff:\s+0+$" /proc/$col_B/status || fail "collector kept capabilities"
echo "ok privileges dropped: uid $nobody, no capabilities (probe and collector)"

# ---- phase 1: traffic, scrape twice ----
scrape 19190 "$TMP/m0"
replay "$A" 3000


wait_for 10 sh -c "ip netns exec $R curl -sf http://127.0.0.1:19190/metrics | grep -qx 'netsift_packets_total $SENT'" ||
    fail "metrics never showed $SENT packets"
sleep 0.7 # the kernel counters are published every half second
scrape 19190 "$TMP/m1"
for k in netsift_packets_total netsift_bytes_total netsift_flows_created_total netsift_kernel_packets_total; do
    a=$(metric "$TMP/m0" $k) b=$(metric "$TMP/m1" $k)
    python3 -c "import sys; sys.exit(0 if float('$b') > float('$a') else 1)" ||
        fail "$k did not grow between scrapes ($a -> $b)"
done
[ "$(metric "$TMP/m1" netsift_kernel_drops_total)" = 0 ] || fail "kernel drops at 3000 pps"
[ "$(metric "$TMP/m1" netsift_kernel_packets_total)" = $SENT ] ||
    fail "kernel packets $(metric "$TMP/m1" netsift_kernel_packets_total), not $SENT"
grep -q '^netsift_export_up{destination="udp://127.0.0.1:47391"} 1$' "$TMP/m1" ||
    { cat "$TMP/m1" >&2; fail "no destination state for collector A"; }
grep -q '^netsift_flows_active [1-9]' "$TMP/m1" || fail "no active flows in the metrics"
echo "ok metrics: valid exposition, $(wc -l <"$TMP/m1") samples, counters grow"

# SIGUSR1: live counters on stderr
kill -USR1 $probe
wait_for 5 grep -q "stats: $SENT packets" "$TMP/probe.log" ||
    { cat "$TMP/probe.log" >&2; fail "SIGUSR1: no counters"; }
echo "ok SIGUSR1 counters"

# ---- a broken file on SIGHUP: refused, the probe keeps running ----
cp "$TMP/probe.yaml" "$TMP/good.yaml"
printf 'cache:\n  timeoutCache:\n    activeTimeout: soon\n' >"$TMP/probe.yaml"
kill -HUP $probe
wait_for 5 grep -q "reload failed.*probe.yaml:3:20: activeTimeout" "$TMP/probe.log" ||
    { cat "$TMP/probe.log" >&2; fail "bad file on SIGHUP: no FILE:LINE:COL message"; }
kill -0 $probe || fail "probe died on a bad reload"
echo "ok bad reload refused with line:column, probe running"

# ---- SIGHUP: active timeout 60 s -> 1 s, export to collector B ----
conf 1 47392
kill -HUP $probe
wait_for 5 grep -q "reload applied: activeTimeout 1s.*export destinations: udp://127.0.0.1:47392" "$TMP/probe.log" ||
    { cat "$TMP/probe.log" >&2; fail "SIGHUP: reload not applied"; }
# flows longer than a second: the same capture at 250 packets/s (3 s)
replay "$A" 250
wait_for 10 sh -c "ip netns exec $R curl -sf http://127.0.0.1:19190/metrics | grep -qx 'netsift_packets_total $((2 * SENT))'" ||
    fail "metrics never showed $((2 * SENT)) packets"
sleep 0.3
scrape 19190 "$TMP/m2"
echo "ok SIGHUP reload applied"

# ---- graceful shutdown in the middle of a replay ----
replay "$A" 250 &
r=$!
sleep 1.2
kill -TERM $probe
rc=0
wait $probe || rc=$?
wait $r
[ $rc = 0 ] || { cat "$TMP/probe.log" >&2; fail "probe exit $rc after SIGTERM"; }
n=$(sed -n 's/^netsift probe: \([0-9]*\) packets.*/\1/p' "$TMP/probe.log")
[ -n "$n" ] && [ "$n" -gt $((2 * SENT + 50)) ] && [ "$n" -lt $((3 * SENT)) ] ||
    { cat "$TMP/probe.log" >&2; fail "SIGTERM mid-replay: $n packets, wanted 2x$SENT + part of $SENT"; }
got=$(pkts_in "$TMP/probe.ipfix")
[ "$got" = "$n" ] || fail "SIGTERM mid-replay: the file's records hold $got packets, the probe counted $n"
echo "ok graceful shutdown: $n packets counted, all $got in records"
# the metrics matched the summary when traffic had stopped
[ "$(metric "$TMP/m2" netsift_packets_total)" = $((2 * SENT)) ] || fail "metrics vs traffic"
status=$(sed -n 's/.*records by end: idle [0-9]*, status \([0-9]*\),.*/\1/p' "$TMP/probe.log")
[ "${status:-0}" -gt 0 ] || { cat "$TMP/probe.log" >&2; fail "no status records: the 1 s active timeout is not in effect"; }
"$NS_BIN" read -r "$TMP/probe.ipfix" -s stime -F csv >/dev/null || fail "probe file unreadable"

# collectors: every record exported before the reload went to A, every
# later one to B; together they hold every packet
kill -TERM $col_A $col_B
wait $col_A || fail "collector A exit"
wait $col_B || fail "collector B exit"
a=0
for f in "$TMP"/A/*.ipfix; do [ -e "$f" ] && a=$((a + $(pkts_in "$f"))); done
b=0
for f in "$TMP"/B/*.ipfix; do [ -e "$f" ] && b=$((b + $(pkts_in "$f"))); done
[ $((a + b)) = "$n" ] || fail "collectors hold $a + $b packets, the probe metered $n"
# A got only what ended before the reload (TCP flows closed by FIN within
# the linger time): no more than phase 1's packets; B the rest
[ "$a" -le $SENT ] || fail "collector A holds $a packets: records went to A after the reload"
[ "$b" -gt $SENT ] || fail "collector B holds $b packets: records went elsewhere after the reload"
echo "ok reload kept every flow: collector A $a + B $b packets = $n metered, $status status records"

# the collector's endpoint counts what it received
collector C 47393 19193
wait_for 5 grep -qs "listening" "$TMP/C.log" || fail "collector C"
inr "$NS_BIN" probe -r "$A" -w /dev/null --export udp://127.0.0.1:47393 --idle 1h --tcp-idle 1h \
    --status 0 2>"$TMP/c-probe.log" || { cat "$TMP/c-probe.log" >&2; fail "probe -r --export"; }
recs=$(sed -n 's/^netsift probe: .* flows, \([0-9]*\) records$/\1/p' "$TMP/c-probe.log")
wait_for 5 sh -c "ip netns exec $R curl -sf http://127.0.0.1:19193/metrics | grep -qx 'netsift_collector_records_total $recs'" ||
    { cat "$TMP/C.log" >&2; fail "collector metrics never showed $recs records"; }
scrape 19193 "$TMP/mc"
grep -qE "^netsift_collector_exporter_records_total\{exporter=\"udp 127.0.0.1:[0-9]+\",session=[^}]*\} $recs$" "$TMP/mc" ||
    { cat "$TMP/mc" >&2; fail "no per-exporter record count"; }
[ "$(metric "$TMP/mc" netsift_collector_lost_records_total)" = 0 ] || fail "collector lost records"
kill -TERM $col_C
wait $col_C || fail "collector C exit"
echo "ok collector metrics: $recs records, per exporter"

# ---- --daemon --pidfile ----
pidf="$TMP/probe.pid"
inr "$NS_BIN" probe -i r0 --ring-blocks 8 --daemon --pidfile "$pidf" --user nobody \
    --metrics 127.0.0.1:19194 -w "$TMP/daemon.ipfix" --status 0 --idle 1h --tcp-idle 1h 2>"$TMP/daemon.log" ||
    { cat "$TMP/daemon.log" >&2; fail "--daemon: start failed"; }
dpid=$(cat "$pidf")
pids+=("$dpid")
kill -0 "$dpid" || fail "--daemon: pid $dpid from the pid file is not running"
[ "$(ps -o user= -p "$dpid")" = nobody ] || fail "--daemon: not running as nobody"
[ "$(ps -o sid= -p "$dpid" | tr -d ' ')" != "$dpid" ] || fail "--daemon: still a session leader"
[ "$(ps -o tty= -p "$dpid" | tr -d ' ')" = "?" ] || fail "--daemon: has a terminal"
rc=0
inr "$NS_BIN" probe -q -i r0 --daemon --pidfile "$pidf" -w "$TMP/daemon2.ipfix" 2>"$TMP/daemon2.log" || rc=$?
[ $rc != 0 ] && grep -q "process $dpid is running" "$TMP/daemon2.log" ||
    { cat "$TMP/daemon2.log" >&2; fail "a second daemon with the same pid file was not refused"; }
[ "$(cat "$pidf")" = "$dpid" ] || fail "the refused start touched the pid file"
sleep 0.3
replay "$A" 3000
wait_for 10 sh -c "ip netns exec $R curl -sf http://127.0.0.1:19194/metrics | grep -qx 'netsift_packets_total $SENT'" ||
    fail "--daemon: metrics never showed $SENT packets"
sleep 0.7
scrape 19194 "$TMP/md"
kill -TERM "$dpid"
wait_for 10 sh -c "! kill -0 $dpid 2>/dev/null" || fail "--daemon: still running 10 s after SIGTERM"
[ ! -s "$pidf" ] || fail "--daemon: pid file still names $(cat "$pidf")"
got=$(pkts_in "$TMP/daemon.ipfix")
[ "$got" = $SENT ] || fail "--daemon: $got packets in the records, $SENT replayed"
# the last scrape (no traffic since) agrees with the summary at the end
grep -q "^netsift probe: $(metric "$TMP/md" netsift_packets_total) packets .* $(metric "$TMP/md" netsift_flows_created_total) flows," "$TMP/daemon.log" ||
    { cat "$TMP/md" "$TMP/daemon.log" >&2; fail "--daemon: metrics and summary disagree"; }
grep -q "kernel r0 .*: $(metric "$TMP/md" netsift_kernel_packets_total) received, $(metric "$TMP/md" netsift_kernel_drops_total) dropped" "$TMP/daemon.log" ||
    { cat "$TMP/md" "$TMP/daemon.log" >&2; fail "--daemon: kernel counters: metrics and summary disagree"; }
echo "ok --daemon: pid file written, second start refused, pid file cleared, $got packets"

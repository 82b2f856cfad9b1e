#!/bin/bash
# Faults on loopback.
# 1. TCP collector restart during export: the exporter reconnects (backoff),
#    sends its templates again, and every record is either stored by one of
#    the two collector instances or counted as dropped by the exporter:
#    stored + dropped = metered, exactly (no record lost unreported, none
#    stored twice).  Once with the default queue (nothing dropped), once with
#    a 64 KiB queue and a longer outage (drops counted).
# 2. kill -9 of a collector rotating files every second: every completed
#    file and the .part file being written read without error.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need python3

"$NS_BIN" gen -w "$TMP/g.pcap" --flows 6000 --seed 5 --snaplen 64 2>/dev/null || fail "gen"
"$NS_BIN" probe -q -r "$TMP/g.pcap" -w "$TMP/ref.ipfix" || fail "probe -w"
total=$("$NS_BIN" read -r "$TMP/ref.ipfix" -s flowid -F csv | tail -n +2 | wc -l)
[ "$total" -ge 6000 ] || fail "only $total records"

wait_log() { # NAME REGEX: until the collector's log shows it (10 s at most)
    for _ in $(seq 200); do
        grep -qE "$2" "$TMP/$1.log" && return 0
        sleep 0.05
    done
    fail "$1: no '$2' in its log: $(cat "$TMP/$1.log")"
}

count() { # records in the files under a directory (0 when none)
    local f
    f=$(find "$1" -name '*.ipfix*' 2>/dev/null)
    [ -n "$f" ] || { echo 0; return; }
    "$NS_BIN" read -r $f -s flowid -F csv | tail -n +2 | wc -l
}

restart_run() { # NAME OUTAGE_S EXTRA_PROBE_ARGS...
    local name=$1 outage=$2 port
    shift 2
    port=$(free_port)
    start_collect ${name}a 1 --listen "tcp://127.0.0.1:$port" -w "$TMP/${name}a/f.ipfix" --rotate 0
    "$NS_BIN" probe -r "$TMP/g.pcap" --export "tcp://127.0.0.1:$port" --export-rate 3000 \
        --export-linger 10s "$@" 2>"$TMP/$name.probe" &
    local pp=$!
    PIDS="$PIDS $pp"
    wait_log ${name}a writing
    sleep 0.5
    stop_collect ${name}a TERM
    sleep "$outage"
    start_collect ${name}b 1 --listen "tcp://127.0.0.1:$port" -w "$TMP/${name}b/f.ipfix" --rotate 0
    wait $pp || fail "$name: probe failed: $(cat "$TMP/$name.probe")"
    stop_collect ${name}b TERM
    local a b dropped sessions
    a=$(count "$TMP/${name}a")
    b=$(count "$TMP/${name}b")
    dropped=$(sed -n 's/.*dropped \([0-9]*\) flow records.*/\1/p' "$TMP/$name.probe")
    dropped=${dropped:-0}
    sessions=$(sed -n 's/.* \([0-9]*\) sessions,.*/\1/p' "$TMP/$name.probe")
    [ "${sessions:-0}" -ge 2 ] || fail "$name: no reconnect: $(cat "$TMP/$name.probe")"
    [ "$a" -gt 0 ] && [ "$b" -gt 0 ] || fail "$name: stored $a then $b records"
    [ $((a + b + dropped)) -eq "$total" ] ||
        fail "$name: stored $a + $b, dropped $dropped, metered $total: $(cat "$TMP/$name.probe")"
    echo "$name: outage ${outage}s: stored $a + $b, exporter dropped $dropped, metered $total, $sessions sessions"
    DROPPED=$dropped
}

restart_run big 1
[ "$DROPPED" -eq 0 ] || fail "a 4 MiB queue dropped $DROPPED records in a 1 s outage"
restart_run small 2.5 --export-buffer 64k
[ "$DROPPED" -gt 0 ] || fail "a 64 KiB queue dropped nothing in a 2.5 s outage at 3000 records/s"

# kill -9 while files rotate every second
start_collect k 1 --listen tcp://127.0.0.1:0 -w "$TMP/k/%H%M%S.ipfix" --rotate 1
"$NS_BIN" probe -q -r "$TMP/g.pcap" --export "tcp://127.0.0.1:$(port_of k tcp)" --export-rate 1500 \
    --export-delay 100ms --export-linger 0 2>/dev/null &
pp=$!
PIDS="$PIDS $pp"
wait_log k writing
sleep 2
stop_collect k KILL
wait $pp 2>/dev/null || true
done_files=$(find "$TMP/k" -name '*.ipfix' | wc -l)
part=$(find "$TMP/k" -name '*.part' | wc -l)
[ "$done_files" -ge 1 ] || fail "kill -9: no completed file"
# one .part when records came after the last rotation; none when the kill
# fell between a rotation and the next record (seen under load)
[ "$part" -le 1 ] || fail "kill -9: $part .part files: $(ls "$TMP/k" | tr '\n' ' '); $(tail -3 "$TMP/k.log" | tr '\n' ' ')"
n=0
for f in $(find "$TMP/k" -type f); do
    c=$("$NS_BIN" read -r "$f" -s flowid -F csv 2>"$TMP/read.err" | tail -n +2 | wc -l) ||
        fail "kill -9: $f does not read: $(cat "$TMP/read.err")"
    [ -s "$TMP/read.err" ] && grep -qi error "$TMP/read.err" && fail "kill -9: $f: $(cat "$TMP/read.err")"
    n=$((n + c))
done
[ "$n" -gt 0 ] || fail "kill -9: no records in the files"
echo "kill -9: $done_files completed files and $part .part read cleanly: $n records"

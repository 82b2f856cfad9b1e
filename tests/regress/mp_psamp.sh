#!/bin/bash
# Parallel measurement processes (netsift probe --mp, mp/mp.h) on real
# captures (a classic pcap read in bursts, a pcapng read packet by packet):
#  (a) each process's packet reports, statistics and flows are exactly those
#      of the same chain run alone with --select/--report/--report-id;
#  (b) the processes keep their own selectionSequenceIds, and
#      read --selection-summary shows each;
#  (c) under --mp-budget, per period: at most the budget is sent, nothing
#      is left out while the period's reports fit, a process loses reports
#      only when every less important one sent none in that period, the
#      most important one is complete when it alone fits (and not when the
#      budget is one short of its busiest second), the reports sent are the
#      processes' own; per process selected = reported + dropped exactly
#      (statistics options record);
#  (d) ipfixDump and tshark decode the mixed stream without a complaint;
#  (e) the same stream exported over UDP to netsift collect reads back the
#      same reports, statistics and flows as the file.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need ipfixDump
need tshark
need python3
need_shared
NS="$NS_BIN"

reports() { # reports FILE SSID: that sequence's packet report lines
    "$NS" read -r "$1" --reports 2>/dev/null | grep "^report ssid=$2 " || true
}
flows() { # flows FILE: the flow records as CSV
    "$NS" read -r "$1" -F csv -s stime,ltime,proto,saddr,sport,daddr,dport,spkts,dpkts,sbytes,dbytes,state 2>/dev/null
}

for cap in "$PCAPS/ndpi-1kxun.pcap" "$PCAPS/zeek-http-bro-org.pcap" "$PCAPS/ndpi-alexa-app.pcapng"; do
    [ -f "$cap" ] || skip "no $cap"
    b=$(basename "$cap")
    # ---- (a) three processes at once = each alone ----
    "$NS" probe -r "$cap" -w "$TMP/mp.ipfix" \
        --mp 'name=traj; prio=1; id=7; select=hash:bob,frac=0.05; report=seq,time,digest,addr' \
        --mp 'name=tcp; select=match:tcp; select=count:1/5; flows' \
        --mp 'name=all;select=count:1/4,offset=1;report=default,ttl' 2>"$TMP/mp.log" ||
        fail "$b: probe --mp: $(cat "$TMP/mp.log")"
    "$NS" probe -q -r "$cap" --select hash:bob,frac=0.05 --report seq,time,digest,addr --report-id 7 \
        -w "$TMP/a7.ipfix" || fail "$b: alone 7"
    "$NS" probe -q -r "$cap" --select count:1/4,offset=1 --report default,ttl --report-id 3 \
        -w "$TMP/a3.ipfix" || fail "$b: alone 3"
    "$NS" probe -q -r "$cap" --select match:tcp --select count:1/5 -w "$TMP/a2.ipfix" || fail "$b: alone flows"
    for id in 7 3; do
        reports "$TMP/a$id.ipfix" "$id" >"$TMP/alone.txt"
        reports "$TMP/mp.ipfix" "$id" >"$TMP/mp.txt"
        [ -s "$TMP/alone.txt" ] || fail "$b: no reports of sequence $id alone"
        cmp -s "$TMP/alone.txt" "$TMP/mp.txt" ||
            fail "$b: sequence $id differs from alone: $(diff "$TMP/alone.txt" "$TMP/mp.txt" | head -3)"
        # the last statistics record: same counts (the mp one also says dropped 0)
        "$NS" read -r "$TMP/a$id.ipfix" --reports 2>/dev/null | grep "^# statistics of sequence $id " | tail -1 >"$TMP/s1"
        "$NS" read -r "$TMP/mp.ipfix" --reports 2>/dev/null | grep "^# statistics of sequence $id " | tail -1 |
            sed 's/ dropped 0;$//' >"$TMP/s2"
        cmp -s "$TMP/s1" "$TMP/s2" || fail "$b: statistics of $id: $(cat "$TMP/s1" "$TMP/s2")"
    done
    flows "$TMP/a2.ipfix" >"$TMP/f1.csv"
    flows "$TMP/mp.ipfix" >"$TMP/f2.csv"
    [ "$(wc -l <"$TMP/f1.csv")" -gt 2 ] || fail "$b: too few flows alone"
    cmp -s "$TMP/f1.csv" "$TMP/f2.csv" || fail "$b: flows differ: $(diff "$TMP/f1.csv" "$TMP/f2.csv" | head -3)"
    # ---- (b) each sequence in the summary, with its own statistics ----
    "$NS" read -r "$TMP/mp.ipfix" --selection-summary >"$TMP/sum.txt" 2>/dev/null
    for id in 7 2 3; do
        grep -q "^selection sequence $id (domain 0)" "$TMP/sum.txt" || fail "$b: summary lacks $id: $(cat "$TMP/sum.txt")"
    done
    [ "$(grep -c '^  statistics:' "$TMP/sum.txt")" -eq 3 ] || fail "$b: statistics per sequence"
    "$NS" read -r "$TMP/a2.ipfix" --selection-summary 2>/dev/null | grep '^  statistics' >"$TMP/s1"
    grep -A2 '^selection sequence 2 ' "$TMP/sum.txt" | grep '^  statistics' >"$TMP/s2"
    cmp -s "$TMP/s1" "$TMP/s2" || fail "$b: flow process statistics differ"
    echo "ok: $b: 3 processes = each alone ($(wc -l <"$TMP/mp.txt") + $(reports "$TMP/mp.ipfix" 7 | wc -l) reports, $(($(wc -l <"$TMP/f1.csv") - 1)) flows)"
done

# ---- (c) contention: a report budget per second ----
cap="$PCAPS/ndpi-1kxun.pcap"
P1='select=hash:bob,frac=0.1;report=seq,time,addr'
P2='select=count:1/3;report=seq,time,addr'
P3='select=random:p=0.2,seed=3;report=seq,time,addr'
"$NS" probe -q -r "$cap" --select hash:bob,frac=0.1 --report seq,time,addr --report-id 1 -w "$TMP/c1.ipfix"
"$NS" probe -q -r "$cap" --select count:1/3 --report seq,time,addr --report-id 2 -w "$TMP/c2.ipfix"
"$NS" probe -q -r "$cap" --select random:p=0.2,seed=3 --report seq,time,addr --report-id 3 -w "$TMP/c3.ipfix"
for i in 1 2 3; do reports "$TMP/c$i.ipfix" "$i"; done >"$TMP/alone.txt"
# the top process's busiest second
top=$(reports "$TMP/c1.ipfix" 1 | awk '{print $3, substr($4, 1, 8)}' | sort | uniq -c | sort -rn | awk 'NR==1 {print $1}')
[ "$top" -ge 3 ] || fail "busiest second of process 1 has $top reports"
check() { # check BUDGET FILE TOP-COMPLETE(1/0)
    "$NS" read -r "$2" --reports >"$TMP/r.txt" 2>/dev/null
    python3 - "$1" "$TMP/alone.txt" "$TMP/r.txt" "$3" <<'PY'
import sys, collections
budget, want_top = int(sys.argv[1]), sys.argv[4] == "1"
rank = {1: 0, 2: 1, 3: 2}  # prio 1, 2, 3 (given in the order 3, 1, 2)
def load(path):
    per = collections.defaultdict(lambda: collections.Counter())
    lines = collections.defaultdict(set)
    stats = {}
    for l in open(path):
        f = l.split()
        if l.startswith("report ssid="):
            sid = int(f[1][5:])
            per[f[2] + " " + f[3][:8]][sid] += 1
            lines[sid].add(l)
        elif l.startswith("# statistics of sequence"):
            sid = int(f[4])
            sel = int(l.split(" selected ")[-1].split(";")[0])
            drop = int(l.split(" dropped ")[1].split(";")[0]) if " dropped " in l else None
            stats[sid] = (sel, drop)
    return per, lines, stats
A, Al, _ = load(sys.argv[2])
M, Ml, st = load(sys.argv[3])
bad = []
for sid in rank:
    if not Ml[sid] <= Al[sid]:
        bad.append("sequence %d sent a report it did not make alone" % sid)
    sel, drop = st.get(sid, (None, None))
    if drop is None or sel != len(Al[sid]) or sel != len(Ml[sid]) + drop:
        bad.append("sequence %d: selected %s, reported %d, dropped %s, alone %d" % (sid, sel, len(Ml[sid]), drop, len(Al[sid])))
for sec in set(A) | set(M):
    a, m = A[sec], M[sec]
    if sum(m.values()) != min(budget, sum(a.values())):
        bad.append("%s: sent %d, made %d, budget %d" % (sec, sum(m.values()), sum(a.values()), budget))
    for s in rank:
        if m[s] < a[s]:  # s lost reports: every less important one sent none
            for t in rank:
                if rank[t] > rank[s] and m[t]:
                    bad.append("%s: %d lost %d while %d sent %d" % (sec, s, a[s] - m[s], t, m[t]))
top_complete = len(Ml[1]) == len(Al[1])
if top_complete != want_top:
    bad.append("top process complete: %s, expected %s" % (top_complete, want_top))
lost = {s: len(Al[s]) - len(Ml[s]) for s in rank}
if want_top and not (lost[2] > 0 and lost[3] > 0):
    bad.append("the lower processes lost nothing (%s): the budget does not bind" % lost)
for b in bad[:5]:
    print(b)
print("lost per process:", lost)
sys.exit(1 if bad else 0)
PY
}
"$NS" probe -r "$cap" --mp "name=low;prio=3;id=3;$P3" --mp "name=traj;prio=1;id=1;$P1" \
    --mp "name=mid;prio=2;id=2;$P2" --mp-budget "$top/s" -w "$TMP/b.ipfix" 2>"$TMP/b.log" ||
    fail "probe --mp-budget: $(cat "$TMP/b.log")"
check "$top" "$TMP/b.ipfix" 1 || fail "budget $top/s: priorities not kept"
grep -q "process traj (id 1, prio 1): selected [0-9]*, reported [0-9]*, dropped 0$" "$TMP/b.log" ||
    fail "summary: $(cat "$TMP/b.log")"
"$NS" read -r "$TMP/b.ipfix" --selection-summary 2>/dev/null | grep -q "contention: 0 selected reports left out" ||
    fail "selection-summary lacks the contention line"
"$NS" probe -q -r "$cap" --mp "name=low;prio=3;id=3;$P3" --mp "name=traj;prio=1;id=1;$P1" \
    --mp "name=mid;prio=2;id=2;$P2" --mp-budget "$((top - 1))/s" -w "$TMP/b2.ipfix" ||
    fail "probe --mp-budget $((top - 1))"
check "$((top - 1))" "$TMP/b2.ipfix" 0 || fail "budget $((top - 1))/s: priorities not kept"
echo "ok: budget $top/s keeps process 1 whole, $((top - 1))/s does not; selected = reported + dropped"

# ---- (d) peers decode the mixed stream ----
for f in "$TMP/mp.ipfix" "$TMP/b.ipfix"; do
    ipfixDump -i "$f" >"$TMP/dump.txt" 2>"$TMP/dump.err" || fail "ipfixDump: $(head -3 "$TMP/dump.err")"
    if grep -qiE 'error|warn|invalid|malformed' "$TMP/dump.err" "$TMP/dump.txt"; then
        fail "ipfixDump complained: $(grep -iE 'error|warn|invalid|malformed' "$TMP/dump.err" "$TMP/dump.txt" | head -3)"
    fi
    grep -q "selectionSequenceId" "$TMP/dump.txt" || fail "ipfixDump: no selectionSequenceId"
    python3 "$NS_SRC/tests/regress/lib/ipfix2pcap.py" "$f" "$TMP/m.pcap" 4739 >/dev/null
    tshark -r "$TMP/m.pcap" -d udp.port==4739,cflow -Y '_ws.malformed || _ws.expert.severity >= 4194304' \
        -T fields -e frame.number >"$TMP/bad.txt" 2>/dev/null || fail "tshark"
    [ ! -s "$TMP/bad.txt" ] || fail "tshark flags frames $(head -3 "$TMP/bad.txt" | tr '\n' ' ')"
    n=$(tshark -r "$TMP/m.pcap" -d udp.port==4739,cflow -T fields -e cflow.selection_sequence_id 2>/dev/null |
        tr ',' '\n' | grep . | sort -u | wc -l)
    [ "$n" -ge 3 ] || fail "tshark sees $n selectionSequenceIds"
done
grep -q "sourceIPv4Address" "$TMP/dump.txt" || fail "ipfixDump: no addresses"
echo "ok: ipfixDump and tshark decode the mixed streams"

# ---- (e) one exporting process: file and UDP export carry the same ----
start_collect cu 1 --listen udp://127.0.0.1:0 -w "$TMP/cu/f.ipfix" --rotate 0
pu=$(port_of cu udp)
"$NS" probe -q -r "$cap" --mp "name=low;prio=3;id=3;$P3" --mp "name=traj;prio=1;id=1;$P1" \
    --mp 'name=tcp;prio=2;select=match:tcp;select=count:1/5;flows' --mp-budget "$top/s" \
    -w "$TMP/e.ipfix" --export "udp://127.0.0.1:$pu" --export-rate 20000 || fail "probe --mp --export"
sleep 0.5
stop_collect cu
grep -q "lost 0 in 0 gaps" "$TMP/cu.log" || fail "collect: $(grep total: "$TMP/cu.log")"
for f in e.ipfix cu/f.ipfix; do
    "$NS" read -r "$TMP/$f" --reports 2>/dev/null | grep -E '^report|^# statistics' | sed 's/ at [^:]*:[^:]*:[^:]*:/:/' >"$TMP/$(basename "$f").r"
    flows "$TMP/$f" >"$TMP/$(basename "$f").f"
done
[ "$(grep -c '^report' "$TMP/e.ipfix.r")" -gt 100 ] || fail "too few reports exported"
cmp -s "$TMP/e.ipfix.r" "$TMP/f.ipfix.r" || fail "collected reports differ: $(diff "$TMP/e.ipfix.r" "$TMP/f.ipfix.r" | head -3)"
cmp -s "$TMP/e.ipfix.f" "$TMP/f.ipfix.f" || fail "collected flows differ: $(diff "$TMP/e.ipfix.f" "$TMP/f.ipfix.f" | head -3)"
echo "ok: $(grep -c '^report' "$TMP/f.ipfix.r") reports and $(($(wc -l <"$TMP/f.ipfix.f") - 1)) flows exported over UDP alike"

# ---- the command line refuses what it cannot do ----
! "$NS" probe -q -r "$cap" -w "$TMP/x" --mp 'id=1;select=count:1/2;report' --mp 'select=count:1/3;report;id=1' 2>"$TMP/e" &&
    grep -q "both have id 1" "$TMP/e" || fail "duplicate ids accepted: $(cat "$TMP/e")"
! "$NS" probe -q -r "$cap" -w "$TMP/x" --mp 'select=count:1/2;flows' --mp 'select=count:1/3;flows' 2>"$TMP/e" &&
    grep -q "at most one metering process" "$TMP/e" || fail "two metering processes accepted"
! "$NS" probe -q -r "$cap" -w "$TMP/x" --mp 'select=count:1/2; selct=x' 2>"$TMP/e" &&
    grep -q "column 19: unknown key 'selct'" "$TMP/e" || fail "bad key: $(cat "$TMP/e")"
! "$NS" probe -q -r "$cap" -w "$TMP/x" --select count:1/2 --mp 'select=count:1/2;report' 2>/dev/null ||
    fail "--select with --mp accepted"
echo "ok: bad --mp lines refused"

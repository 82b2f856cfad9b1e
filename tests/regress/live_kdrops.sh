#!/bin/bash
# Kernel drops of live capture in the statistics options records (issue 8;
# RFC 7011 §4.2, fsel/optrec.h template 0xFF14: ignoredPacketTotalCount
# per observation point).  A tiny ring (2 blocks of 64 KiB) takes a
# tcpreplay burst at full speed on a veth in network namespaces made here,
# so the kernel drops frames.  Checked, with 1 and with 2 workers:
#   - the kernel really dropped (else the run says nothing: it is retried
#     with a longer burst, and the test fails if it never drops);
#   - the dropped count of the options record (read --check, read) equals
#     the summary's kernel drop count, and its observed count the kernel's
#     received count;
#   - packets metered + kernel drops = packets the kernel saw, exactly (the
#     probe closes its rings before the last statistics read: live.h
#     ns_live_quiesce);
#   - read --check's identity "kernel observed = dropped + captured" is OK,
#     and it can fail: a record whose numbers do not add up says DIFFERS.
# Skipped (77) only when namespaces cannot be made.
. "$(dirname "$0")/lib/common.sh"
need tcpreplay
. "$(dirname "$0")/lib/netns.sh"
P="nkd$$"
netns_pair "$P"
ip netns exec $S ip link add s0 type veth peer name r0 netns $R
ip netns exec $S ip link set s0 up
ip netns exec $R ip link set r0 up

PCAP=$TMP/burst.pcap
"$NS_BIN" gen -w "$PCAP" --flows 2000 --snaplen 128 --seed 7 >/dev/null 2>&1 ||
    fail "netsift gen failed"


num() { # text regex -> first number captured by the regex's group
    sed -n "s/$2/\1/p" <<<"$1" | head -1
}

run() { # workers loops
    local wk=$1 loops=$2 log=$TMP/log$1 out=$TMP/out$1.ipfix
    ip netns exec $R "$NS_BIN" probe -i r0 -w "$out" --ring-blocks 2 --block-size 64 \
        --block-timeout 20 --workers "$wk" --status 0 --idle 1h --tcp-idle 1h 2>"$log" &
    probe=$!
    pids+=("$probe")
    netns_wait_sockets $probe "$wk" "$log"
    ip netns exec $S tcpreplay -q -i s0 --topspeed --loop="$loops" "$PCAP" >/dev/null 2>&1 ||
        fail "tcpreplay failed"
    sleep 0.5
    kill -INT $probe
    wait $probe || { cat "$log" >&2; fail "workers $wk: probe exit status $?"; }
    local sum
    sum=$(cat "$log")
    metered=$(num "$sum" '^netsift probe: \([0-9]*\) packets.*')
    kseen=$(num "$sum" '.*kernel r0 (ifindex [0-9]*): \([0-9]*\) received.*')
    kdrop=$(num "$sum" '.*kernel r0 (ifindex [0-9]*): [0-9]* received, \([0-9]*\) dropped.*')
    [ -n "$metered" ] && [ -n "$kseen" ] && [ -n "$kdrop" ] || fail "workers $wk: no summary: $sum"
    check=$("$NS_BIN" read -r "$out" --check) || fail "workers $wk: read --check: $check"
    left=$("$NS_BIN" read -r "$out" -F csv 2>&1 >/dev/null)
}

for wk in 1 2; do
    dropped=0
    for loops in 20 100 400; do
        run $wk $loops
        [ "$kdrop" -gt 0 ] && { dropped=1; break; }
    done
    [ $dropped = 1 ] || fail "workers $wk: the kernel never dropped with a 128 KiB ring ($kseen seen)"
    echo "workers $wk: kernel saw $kseen, dropped $kdrop, metered $metered"
    [ $((metered + kdrop)) -eq "$kseen" ] ||
        fail "workers $wk: metered $metered + dropped $kdrop != kernel saw $kseen"
    [ "$(tail -1 <<<"$check")" = OK ] || fail "workers $wk: $check"
    line=$(grep "kernel observed packets" <<<"$check") || fail "workers $wk: no kernel record: $check"
    rseen=$(num "$line" '.*kernel observed packets *\([0-9]*\) = .*')
    rdrop=$(num "$line" '.* = dropped \([0-9]*\) + captured.*')
    rcap=$(num "$line" '.* + captured \([0-9]*\) = .*')
    [ "$rdrop" = "$kdrop" ] || fail "workers $wk: record says $rdrop dropped, summary $kdrop"
    [ "$rseen" = "$kseen" ] || fail "workers $wk: record says $rseen observed, summary $kseen"
    [ "$rcap" = "$metered" ] || fail "workers $wk: record says $rcap captured, $metered metered"
    grep -q "left out by the kernel (domain 0, ifindex [0-9]*): $kdrop of $kseen packets dropped" <<<"$left" ||
        fail "workers $wk: read does not tell the drops: $left"
done

# --check can fail: the same record with a wrong captured count
python3 - "$TMP/out1.ipfix" "$TMP/bad.ipfix" <<'PY' || fail "could not forge a record"
import struct, sys
data = bytearray(open(sys.argv[1], 'rb').read())
# find the 0xFF14 options template's data set and add 1 to capturedPacketTotalCount
pos, done = 0, False
while pos + 16 <= len(data):
    ln = struct.unpack_from('>H', data, pos + 2)[0]
    s = pos + 16
    while s + 4 <= pos + ln:
        sid, sl = struct.unpack_from('>HH', data, s)
        if sid == 0xFF14 and sl >= 4 + 48:
            off = s + 4 + 4 + 4 + 8 + 8  # pid, ifindex, dropped, observed
            v = struct.unpack_from('>Q', data, off)[0]
            struct.pack_into('>Q', data, off, v + 1)
            done = True
        s += sl if sl else 4
    pos += ln if ln else 16
open(sys.argv[2], 'wb').write(data)
sys.exit(0 if done else 1)
PY
bad=$("$NS_BIN" read -r "$TMP/bad.ipfix" --check) && fail "--check passed a record that does not add up: $bad"
grep -q "kernel observed packets.*DIFFERS" <<<"$bad" || fail "--check did not point at the kernel record: $bad"
echo "kernel drops in the options records: OK"

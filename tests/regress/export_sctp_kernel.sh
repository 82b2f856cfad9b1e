#!/bin/bash
# Kernel SCTP (sctp://, lksctp API): skipped where the kernel has no SCTP
# (this project's VMs and CI); there, sctp:// must fail with a message
# that says so and names sctp+udp://.  Where it has SCTP, the records of
# an export over sctp:// equal those of the -w file.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need python3

if ! python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132).close()' 2>/dev/null; then
    if "$NS_BIN" collect --listen sctp://127.0.0.1:0 2>"$TMP/err.log"; then
        fail "collect on sctp:// started on a kernel without SCTP"
    fi
    grep -q 'no SCTP.*sctp+udp://' "$TMP/err.log" || fail "unclear message: $(cat "$TMP/err.log")"
    if "$NS_BIN" probe -q -r "$NS_SRC/samples/sample.pcap" --export sctp://127.0.0.1:4739 2>"$TMP/perr.log"; then
        fail "probe --export sctp:// started on a kernel without SCTP"
    fi
    grep -q 'no SCTP.*sctp+udp://' "$TMP/perr.log" || fail "unclear message: $(cat "$TMP/perr.log")"
    skip "this kernel has no SCTP (the error names sctp+udp:// as it should)"
fi

start_collect ck 1 --listen 'sctp://127.0.0.1:0' -w "$TMP/ck/netsift.ipfix" --rotate 0
pk=$(port_of ck sctp)
[ -n "$pk" ] || fail "no port: $(cat "$TMP/ck.log")"
"$NS_BIN" probe -q -r "$NS_SRC/samples/sample.pcap" -w "$TMP/ref.ipfix" --export "sctp://127.0.0.1:$pk" \
    2>"$TMP/probe.log" || fail "probe: $(cat "$TMP/probe.log")"
grep -q -E 'dropped|abandoned' "$TMP/probe.log" && fail "dropped: $(cat "$TMP/probe.log")"
sleep 0.3
stop_collect ck
records "$TMP/ref.ipfix" >"$TMP/want.csv"
records "$TMP/ck/netsift.ipfix" >"$TMP/got.csv"
cmp -s "$TMP/want.csv" "$TMP/got.csv" || fail "kernel SCTP: records differ: $(diff "$TMP/want.csv" "$TMP/got.csv" | head -4)"
echo "ok: $(wc -l <"$TMP/want.csv") records over kernel SCTP identical to -w"

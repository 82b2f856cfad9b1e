#!/bin/bash
# fsel_collect.sh — the flow selection identities checked on the collector
# side (issue 6): `netsift probe` with a limited cache under a policy
# exports over TCP and UDP (loopback) to `netsift collect`, which stores
# the statistics options records whole next to the flows; `netsift read
# --check` on the collector's file must say OK, exactly as on the file the
# probe wrote itself, and fail when the statistics are missing (a probe
# without --process-stats).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need_shared
CAP="$PCAPS/ndpi-1kxun.pcap"
[ -f "$CAP" ] || skip "no $CAP"
for tp in tcp udp; do
    start_collect "c$tp" 1 --listen "$tp://127.0.0.1:0" -w "$TMP/$tp-%H%M%S.ipfix"
    port=$(port_of "c$tp" "$tp")
    [ -n "$port" ] || fail "no $tp port"
    "$NS_BIN" probe -q -r "$CAP" --cache-size 40 --cache-policy evict-lru --process-stats \
        --export "$tp://127.0.0.1:$port" -w "$TMP/probe-$tp.ipfix" || fail "probe to $tp"
    sleep 0.5
    stop_collect "c$tp"
    files=$(ls "$TMP"/$tp-*.ipfix 2>/dev/null)
    [ -n "$files" ] || fail "collector stored nothing over $tp: $(cat "$TMP/c$tp.log")"
    "$NS_BIN" read -r "$TMP/probe-$tp.ipfix" --check >"$TMP/probe-$tp.chk" ||
        fail "probe's own file: $(cat "$TMP/probe-$tp.chk")"
    # shellcheck disable=SC2086
    "$NS_BIN" read -r $files --check >"$TMP/coll-$tp.chk" ||
        fail "collector's file over $tp: $(cat "$TMP/coll-$tp.chk")"
    tail -1 "$TMP/coll-$tp.chk" | grep -qx OK || fail "no OK over $tp"
    # the same identities, the same numbers (the collector files each
    # exporter under an observation domain of its own)
    diff <(sed 's/^domain [0-9]* /domain N /' "$TMP/probe-$tp.chk") \
        <(sed 's/^domain [0-9]* /domain N /' "$TMP/coll-$tp.chk") ||
        fail "collector-side check differs from the probe's ($tp)"
    echo "$tp: $(grep -c . "$TMP/coll-$tp.chk") lines of --check, OK on both sides"
done
# without statistics the check cannot be made, and says so
start_collect cn 1 --listen "tcp://127.0.0.1:0" -w "$TMP/n-%H%M%S.ipfix"
port=$(port_of cn tcp)
"$NS_BIN" probe -q -r "$CAP" --export "tcp://127.0.0.1:$port" -w /dev/null
sleep 0.3
stop_collect cn
# shellcheck disable=SC2086
if "$NS_BIN" read -r $(ls "$TMP"/n-*.ipfix) --check >/dev/null 2>"$TMP/n.err"; then
    fail "--check passed without statistics records"
fi
grep -q "no metering statistics" "$TMP/n.err" || fail "unclear: $(cat "$TMP/n.err")"
echo "fsel_collect: OK"

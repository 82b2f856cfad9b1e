# Two network namespaces for the live tests (source after common.sh):
# netns_pair PREFIX makes $S (the sender's side) and $R (the receiver's),
# named PREFIXs and PREFIXr, with IPv6 off so that nothing of their own
# (DAD, router solicitations) reaches the wire; at exit it kills what the
# test put in the array pids (TERM, then KILL after 0.2 s), deletes both
# namespaces and $TMP.  Skips (77) when namespaces cannot be made here.
# The links between them are each test's own.
netns_cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ ${#pids[@]} -eq 0 ] || sleep 0.2
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$S" 2>/dev/null || true
    ip netns del "$R" 2>/dev/null || true
    rm -rf "$TMP"
}

netns_pair() {
    S=${1}s
    R=${1}r
    pids=()
    trap netns_cleanup EXIT
    ip netns add "$S" 2>/dev/null || skip "cannot create network namespaces here"
    ip netns add "$R"
    for n in "$S" "$R"; do
        ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
        ip netns exec "$n" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    done
}

# netns_wait_sockets PID N LOG: wait (10 s at most) until N packet sockets
# are bound in $R — they show in its /proc/net/packet, and from then on the
# kernel queues every frame for them — plus a moment for the probe to set
# its filter.  Fails, showing LOG, when the probe PID dies or is too slow.
netns_wait_sockets() {
    local i
    for i in $(seq 200); do
        kill -0 "$1" 2>/dev/null || { cat "$3" >&2; fail "probe did not start"; }
        if [ "$(ip netns exec "$R" cat /proc/net/packet | tail -n +2 | wc -l)" -ge "$2" ]; then
            sleep 0.2
            return 0
        fi
        sleep 0.05
    done
    cat "$3" >&2
    fail "probe's $2 packet socket(s) not open after 10 s"
}

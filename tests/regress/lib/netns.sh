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

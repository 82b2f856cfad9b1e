#!/bin/bash
# netsift cull apply|remove on a Linux bridge, in network namespaces made
# here: a fabric namespace with bridge br0 and three members (A, B, C) on
# veth ports, each with 192.0.2.x/24 and 2001:db8:2::x/64; A and B also
# have a loopback address off the LAN, routed via each other (multihop BGP).
# The filter goes on A's port.  Checked, with TCP connects and pings:
#   culled:    tcp/179 between LAN addresses to and from A, IPv4 and IPv6
#   untouched: B<->C tcp/179, A tcp/80, ICMP/ICMPv6 to A, multihop tcp/179
#              between A's and B's off-LAN addresses across the same port
# and with `nft list table bridge netsift_cull`: applying twice leaves one
# table with 4 drop rules whose counters saw the culled SYNs; remove
# deletes it, removing again is fine, sessions connect again; --dry-run
# changes nothing.  Skipped (77) only when namespaces cannot be made.
. "$(dirname "$0")/lib/common.sh"
NFT=$(command -v nft || { [ -x /usr/sbin/nft ] && echo /usr/sbin/nft; } || true)
[ -n "$NFT" ] || skip "nft not installed (Debian package nftables)"
need python3
need ping
P="ncf$$"
F=${P}f A=${P}a B=${P}b C=${P}c
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for n in $F $A $B $C; do ip netns del "$n" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
ip netns add $F 2>/dev/null || skip "cannot create network namespaces here"
for n in $A $B $C; do ip netns add $n; done
inf() { ip netns exec $F "$@"; }
inf ip link add br0 type bridge
inf ip link set br0 up
i=1
for n in $A $B $C; do
    port=v$(echo "$n" | tail -c 2) # va, vb, vc
    inf ip link add "$port" type veth peer name eth0 netns "$n"
    inf ip link set "$port" master br0 up
    ip netns exec "$n" ip link set lo up
    ip netns exec "$n" ip link set eth0 up
    ip netns exec "$n" ip addr add 192.0.2.$i/24 dev eth0
    ip netns exec "$n" ip addr add 2001:db8:2::$i/64 dev eth0 nodad
    i=$((i + 1))
done
# multihop: A's 203.0.113.1 and B's 198.18.0.2, each routed via the other's LAN address
ip netns exec $A ip addr add 203.0.113.1/32 dev lo
ip netns exec $A ip route add 198.18.0.2/32 via 192.0.2.2
ip netns exec $B ip addr add 198.18.0.2/32 dev lo
ip netns exec $B ip route add 203.0.113.1/32 via 192.0.2.1

cat >"$TMP/srv.py" <<'PY'
import socket, sys, threading
def serve(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port)); s.listen(16)
    while True:
        c, _ = s.accept(); c.sendall(b"ok\n"); c.close()
for p in (179, 80):
    threading.Thread(target=serve, args=(p,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
cat >"$TMP/cli.py" <<'PY'
import socket, sys
dst, port, src = sys.argv[1], int(sys.argv[2]), (sys.argv[3] if len(sys.argv) > 3 else None)
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(1.5)
try:
    if src: s.bind((src, 0))
    s.connect((dst, port)); print("open" if s.recv(3) == b"ok\n" else "odd")
except OSError:
    print("blocked")
PY
for n in $A $C; do
    ip netns exec "$n" python3 "$TMP/srv.py" >"$TMP/srv.$n" 2>&1 &
    pids+=($!)
done
for _ in $(seq 50); do grep -q ready "$TMP/srv.$A" && grep -q ready "$TMP/srv.$C" && break; sleep 0.1; done
grep -q ready "$TMP/srv.$A" || fail "server did not start: $(cat "$TMP/srv.$A")"
# B's server too, for connections that start at A
ip netns exec $B python3 "$TMP/srv.py" >"$TMP/srv.$B" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q ready "$TMP/srv.$B" && break; sleep 0.1; done

conn() { ip netns exec "$1" python3 "$TMP/cli.py" "${@:2}"; }
expect() { # WANT FROM DST PORT [SRC]
    local want=$1 got
    shift
    got=$(conn "$@")
    [ "$got" = "$want" ] || fail "$phase: tcp from $1 to $2:$3${4:+ (src $4)}: $got, want $want"
}
ping_ok() { ip netns exec "$1" ping -c 1 -W 2 "$2" >/dev/null || fail "$phase: ping $1 -> $2 lost"; }
drops() { inf "$NFT" list table bridge netsift_cull 2>/dev/null | grep -c ' drop$' || true; }

phase="before"
expect open $B 192.0.2.1 179
expect open $B 2001:db8:2::1 179
expect open $A 192.0.2.2 179
expect open $B 203.0.113.1 179 198.18.0.2

ns() { inf "$NS_BIN" "$@"; }
LAN="--lan 192.0.2.0/24 --lan 2001:db8:2::/64"
# --dry-run: the script, and nothing installed
ns cull apply $LAN --port va --dry-run >"$TMP/dry"
grep -q "^delete table bridge netsift_cull" "$TMP/dry" || fail "dry-run script: $(cat "$TMP/dry")"
[ "$(drops)" = 0 ] || fail "--dry-run installed rules"

ns cull apply $LAN --port va >"$TMP/ap1" || fail "apply failed"
grep -q "^installed table bridge netsift_cull: 4 drop rules" "$TMP/ap1" || fail "apply said: $(cat "$TMP/ap1")"
ns cull apply $LAN --port va >"$TMP/ap2" || fail "second apply failed"
grep -q "^replaced table bridge netsift_cull: 4 drop rules" "$TMP/ap2" || fail "second apply said: $(cat "$TMP/ap2")"
[ "$(inf "$NFT" list tables | grep -c netsift_cull)" = 1 ] || fail "applying twice left $(inf "$NFT" list tables)"
[ "$(drops)" = 4 ] || fail "applying twice left $(drops) drop rules, want 4"
inf "$NFT" list table bridge netsift_cull | grep -q 'iifname "va"' || fail "no iifname va in the table"
# a port that does not exist is warned about
ns cull apply $LAN --port va --port nosuch 2>"$TMP/warn" >/dev/null
grep -q "no interface 'nosuch'" "$TMP/warn" || fail "no warning for a missing port"
ns cull apply $LAN --port va >/dev/null

phase="culled"
expect blocked $B 192.0.2.1 179     # B opens to A: A's SYN-ACK (sport 179) dropped at va
expect blocked $A 192.0.2.2 179     # A opens to B: A's SYN (dport 179) dropped at va
expect blocked $B 2001:db8:2::1 179 # IPv6 too (RFC 8327: every address family)
expect blocked $A 2001:db8:2::2 179
expect blocked $A 192.0.2.3 179
expect open $B 192.0.2.3 179        # B<->C does not cross va
expect open $C 192.0.2.2 179
expect open $B 2001:db8:2::3 179
expect open $B 192.0.2.1 80         # only BGP
expect open $B 2001:db8:2::1 80
expect open $A 192.0.2.2 80
expect open $B 203.0.113.1 179 198.18.0.2 # multihop BGP that merely transits
expect open $A 198.18.0.2 179 203.0.113.1
ping_ok $B 192.0.2.1
ping_ok $B 2001:db8:2::1
pk=$(inf "$NFT" list table bridge netsift_cull | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | awk '{s+=$1} END{print s+0}')
[ "${pk:-0}" -gt 0 ] || fail "drop counters did not count the culled packets"

phase="removed"
ns cull remove >"$TMP/rm1" || fail "remove failed"
grep -q "^removed table bridge netsift_cull (it had dropped [1-9][0-9]* BGP packets)" "$TMP/rm1" ||
    fail "remove said: $(cat "$TMP/rm1")"
inf "$NFT" list table bridge netsift_cull >/dev/null 2>&1 && fail "table still there after remove"
ns cull remove >"$TMP/rm2" || fail "second remove failed"
grep -q "nothing to remove" "$TMP/rm2" || fail "second remove said: $(cat "$TMP/rm2")"
expect open $B 192.0.2.1 179
expect open $A 192.0.2.2 179
expect open $B 2001:db8:2::1 179

# an nft that fails: exit 1 and its message
printf '#!/bin/sh\necho "Error: simulated failure" >&2\nexit 1\n' >"$TMP/badnft"
chmod +x "$TMP/badnft"
rc=0
ns cull apply $LAN --port va --nft "$TMP/badnft" >/dev/null 2>"$TMP/e" || rc=$?
[ "$rc" = 1 ] && grep -q "simulated failure" "$TMP/e" || fail "failing nft: exit $rc, $(cat "$TMP/e")"
echo "ok: apply/remove culled 5 BGP paths, left 8 other connections, pings and multihop BGP alone"

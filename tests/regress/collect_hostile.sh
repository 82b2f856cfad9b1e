#!/bin/bash
# Hostile input to `netsift collect` (run under the ASan build by
# check-asan): random datagrams, truncated messages, wrong versions,
# lengths that lie, template floods, too many domains, a TCP stream of
# garbage, a TCP message that never ends, more exporters than allowed.
# The collector must count all of it, stay up, answer SIGUSR1, then still
# collect a clean export exactly, and exit 0.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need python3

start_collect h 2 --listen udp://127.0.0.1:0,tcp://127.0.0.1:0 -w "$TMP/h/f.ipfix" --rotate 0 \
    --max-exporters 80 --max-templates 32 --max-domains 4
pu=$(port_of h udp)
pt=$(port_of h tcp)
python3 - "$pu" "$pt" <<'PY' || fail "the attack script failed"
import os, random, socket, struct, sys, time
pu, pt = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(7)

def msg(sets, seq=0, dom=1, ver=10, length=None):
    body = b"".join(sets)
    n = 16 + len(body) if length is None else length
    return struct.pack(">HHIII", ver, n & 0xFFFF, 0, seq, dom) + body

def tset(tid, nfields):
    f = b"".join(struct.pack(">HH", 1 + (i % 200), 4) for i in range(nfields))
    rec = struct.pack(">HH", tid, nfields) + f
    return struct.pack(">HH", 2, 4 + len(rec)) + rec

# TCP: garbage, then a message that never ends, then many connections
g = socket.create_connection(("127.0.0.1", pt))
g.sendall(os.urandom(5000))
h = socket.create_connection(("127.0.0.1", pt))
h.sendall(struct.pack(">HHIII", 10, 65535, 0, 0, 1) + b"\0" * 1000)
conns = []
for i in range(100):
    try:
        conns.append(socket.create_connection(("127.0.0.1", pt)))
    except OSError:
        pass
time.sleep(0.5)
for c in conns + [g, h]:
    c.close()
time.sleep(0.3)
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(8)]
def send(s, b):
    s.sendto(b, ("127.0.0.1", pu))
# random bytes
for i in range(3000):
    send(socks[i % 8], os.urandom(rnd.randrange(0, 1500)))
# truncated, wrong version, length > datagram, length < 16
good = msg([tset(256, 3)])
for i in range(200):
    send(socks[0], good[: rnd.randrange(1, len(good))])
    send(socks[1], msg([tset(256, 3)], ver=9))
    send(socks[2], msg([tset(256, 3)], length=9000))
    send(socks[3], msg([], length=8))
# a set length that lies, a template longer than its set
send(socks[4], msg([struct.pack(">HH", 256, 5000) + b"\0" * 20]))
send(socks[4], msg([struct.pack(">HH", 2, 12) + struct.pack(">HH", 300, 400) + b"\0" * 4]))
# template flood: 2000 distinct templates from one exporter
for k in range(0, 2000, 50):
    send(socks[5], msg([tset(256 + k + j, 20) for j in range(50)]))
# domain flood
for d in range(100):
    send(socks[6], msg([tset(256, 2)], dom=d))
# data for templates that were never defined, random mutations of a good message
for i in range(1000):
    b = bytearray(msg([tset(256, 4), struct.pack(">HH", 256, 4 + 16 * 3) + os.urandom(48)], seq=i))
    for _ in range(3):
        b[rnd.randrange(len(b))] = rnd.randrange(256)
    send(socks[7], bytes(b))
# more exporters than allowed: 60 source ports
extra = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(60)]
for s in extra:
    send(s, good)
PY
sleep 0.5
pid=$(cat "$TMP/h.pid")
kill -0 "$pid" || fail "the collector died: $(tail -5 "$TMP/h.log")"
kill -USR1 "$pid"
sleep 0.5
grep -q "records (.*/s)" "$TMP/h.log" || fail "no statistics on SIGUSR1"
# still collects a clean export exactly
"$NS_BIN" probe -q -r "$NS_SRC/samples/sample.pcap" -w "$TMP/ref.ipfix" --export "tcp://127.0.0.1:$pt" ||
    fail "export after the attack"
stop_collect h
wait_rc=0
grep -q "total:" "$TMP/h.log" || fail "no totals: $(tail -5 "$TMP/h.log")"
tot=$(grep "total:" "$TMP/h.log")
num() { sed -n "s/.*$1 \([0-9]*\).*/\1/p" <<<"$tot"; }
[ "$(num malformed)" -gt 1000 ] || fail "malformed not counted: $tot"
[ "$(num 'not IPFIX')" -ge 1 ] || fail "TCP garbage not counted: $tot"
[ "$(num 'refused')" -gt 0 ] || fail "refused sessions not counted: $tot"
[ "$(sed -n 's/.*(refused \([0-9]*\)).*/\1/p' <<<"$tot")" -gt 0 ] || fail "template flood not refused: $tot"
[ "$(num 'domains refused')" -gt 0 ] || fail "domain flood not refused: $tot"
[ "$(num 'unknown sets')" -gt 0 ] || fail "unknown sets not counted: $tot"
records "$TMP/ref.ipfix" >"$TMP/want.csv"
# the random input may have produced decodable records of its own: keep
# only the clean export's (its flows all carry flowId)
records "$TMP/h/f.ipfix" | grep -Fxf "$TMP/want.csv" >"$TMP/got.csv" || true
cmp -s "$TMP/want.csv" "$TMP/got.csv" || fail "the clean export after the attack was not stored exactly"
grep -qiE "AddressSanitizer|runtime error" "$TMP/h.log" && fail "sanitizer: $(grep -iE 'AddressSanitizer|runtime error' "$TMP/h.log" | head -3)"
echo "ok: $tot"

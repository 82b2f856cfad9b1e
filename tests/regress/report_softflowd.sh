#!/bin/bash
# softflowd's PSAMP packet reports (-v psamp) over UDP into netsift collect,
# then netsift read --reports: every packet of the capture is reported
# (softflowd reports them all), each report's dataLinkFrameSection is the
# frame's first bytes and its time the frame's time (within 1 us), and the summary pools
# them as reports without input sequence numbers (softflowd numbers its
# reports in selectionSequenceId instead; see netsift-select(7)).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/collect.sh"
need softflowd
need python3
need_shared

for f in zeek-icmp-5-pings.pcap ndpi-dns-doh.pcap; do
    cap="$PCAPS/$f"
    [ -f "$cap" ] || continue
    start_collect c 1 --listen udp://127.0.0.1:0 -w "$TMP/$f/r.ipfix" --rotate 0
    timeout 60 softflowd -d -r "$cap" -v psamp -n "127.0.0.1:$(port_of c udp)" >"$TMP/sf.log" 2>&1 ||
        fail "softflowd: $(tail -3 "$TMP/sf.log")"
    sleep 0.3
    stop_collect c
    grep -q "total: .* [1-9][0-9]* PSAMP records" "$TMP/c.log" || fail "collect kept no PSAMP: $(grep total: "$TMP/c.log")"
    "$NS_BIN" read -r "$TMP/$f/r.ipfix" --reports >"$TMP/r.txt" || fail "read --reports"
    python3 - "$cap" "$TMP/r.txt" <<'PY' || fail "$f: reports differ from the capture"
import struct, sys, datetime
data = open(sys.argv[1], "rb").read()
magic = struct.unpack("<I", data[:4])[0]
end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
off, frames = 24, []
while off + 16 <= len(data):
    sec, frac, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
    us = frac // 1000 if nano else frac
    frames.append((sec, us, data[off + 16:off + 16 + incl]))
    off += 16 + incl
reps = []
for line in open(sys.argv[2]):
    if not line.startswith("report"):
        continue
    f = line.split()
    t = datetime.datetime.strptime(f[2] + " " + f[3], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
    sect = f[-1].split(":", 1)[1].rstrip(".")
    reps.append((int(t.timestamp()), t.microsecond, sect))
if len(reps) != len(frames):
    sys.exit("%d reports for %d frames" % (len(reps), len(frames)))
# UDP keeps the order here (loopback); compare in order
bad = 0
for i, ((s, us, fr), (rs, rus, sect)) in enumerate(zip(frames, reps)):
    if fr[:len(sect) // 2].hex() != sect:
        print("frame %d: section %s, capture %s" % (i + 1, sect, fr[:12].hex())); bad += 1
    # softflowd's NTP fraction is 0.9999 us past the frame's microsecond
    # (netsift-select(7)), which a microsecond decoder may round either way
    if abs((s * 1000000 + us) - (rs * 1000000 + rus)) > 1:
        print("frame %d: time %d.%06d, capture %d.%06d" % (i + 1, rs, rus, s, us)); bad += 1
if bad:
    sys.exit(1)
print("ok: %d softflowd reports match the capture" % len(reps))
PY
    "$NS_BIN" read -r "$TMP/$f/r.ipfix" --selection-summary >"$TMP/s.txt"
    n=$(grep -c '^report' "$TMP/r.txt")
    grep -q "domain 1: $n packet reports without input sequence numbers" "$TMP/s.txt" ||
        fail "summary: $(cat "$TMP/s.txt")"
done

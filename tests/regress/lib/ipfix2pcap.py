#!/usr/bin/env python3
"""Wrap each IPFIX message of an RFC 5655 file in an Ethernet/IPv4/UDP
frame (127.0.0.1 -> 127.0.0.1, destination port PORT) so that tshark can
decode the file with -d udp.port==PORT,cflow.  usage: ipfix2pcap.py IN OUT PORT"""
import struct
import sys

src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
out = open(dst, "wb")
out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
off, n = 0, 0
while off + 16 <= len(data):
    version, length = struct.unpack(">HH", data[off:off + 4])
    if version != 10 or length < 16 or off + length > len(data):
        sys.exit("not an IPFIX message at offset %d" % off)
    msg = data[off:off + length]
    udp = struct.pack(">HHHH", 4739, port, 8 + length, 0) + msg
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n & 0xFFFF, 0, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    s = sum(struct.unpack(">10H", ip))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    ip = ip[:10] + struct.pack(">H", ~s & 0xFFFF) + ip[12:]
    frame = b"\0\0\0\0\0\2" + b"\0\0\0\0\0\1" + b"\x08\x00" + ip + udp
    out.write(struct.pack("<IIII", 1000 + n, 0, len(frame), len(frame)) + frame)
    off += length
    n += 1
print(n)

#!/usr/bin/env python3
"""Write one pcap per TCP loss situation tested in tests/unit/test_meter_tcp.c
and print what Wireshark (tshark) flags in each, so the expected counts in
the unit tests can be checked against Wireshark:

    python3 tests/wireshark/tcp_cases.py /tmp/tcpcases

Each case is a list of (t_ms, from_client, flags, seq, ack, payload_len, win).
Sequence numbers are relative to ISNs CI (client) and SI (server)."""
import os, struct, subprocess, sys

CI, SI = 1000, 5000
A, B = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
S, F, R, P, K = 0x02, 0x01, 0x04, 0x08, 0x10

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def frame(c2s, flags, seq, ack, plen, win):
    src, dst = (A, B) if c2s else (B, A)
    sp, dp = (40000, 80) if c2s else (80, 40000)
    tcp = struct.pack('!HHIIBBHHH', sp, dp, seq & 0xffffffff, ack & 0xffffffff, 5 << 4, flags, win, 0, 0)
    data = b'x' * plen
    ph = src + dst + struct.pack('!BBH', 0, 6, len(tcp) + plen)
    c = csum(ph + tcp + data)
    tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp) + plen, 1, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    eth = b'\x02\0\0\0\0\x02' + b'\x02\0\0\0\0\x01' + b'\x08\x00'
    if not c2s: eth = eth[6:12] + eth[0:6] + eth[12:]
    return eth + ip + tcp + data

def hs(rtt_ms=10):
    return [(0, 1, S, CI, 0, 0, 65535), (rtt_ms, 0, S | K, SI, CI + 1, 0, 65535),
            (2 * rtt_ms, 1, K, CI + 1, SI + 1, 0, 65535)]

C = CI + 1  # first data byte of the client
CASES = {
    'retrans_seen':   hs() + [(30, 1, P | K, C, SI + 1, 100, 65535), (300, 1, P | K, C, SI + 1, 100, 65535)],
    'ooo_fill':       hs() + [(30, 1, K, C, SI + 1, 100, 65535), (31, 1, K, C + 200, SI + 1, 100, 65535),
                              (32, 1, K, C + 100, SI + 1, 100, 65535)],
    'late_fill':      hs() + [(30, 1, K, C, SI + 1, 100, 65535), (31, 1, K, C + 200, SI + 1, 100, 65535),
                              (531, 1, K, C + 100, SI + 1, 100, 65535)],
    'fast_retrans':   hs(50) + [(200, 1, K, C, SI + 1, 100, 65535), (200.5, 1, K, C + 200, SI + 1, 100, 65535),
                                (200.7, 1, K, C + 300, SI + 1, 100, 65535),
                                (201, 0, K, SI + 1, C + 100, 0, 65535), (202, 0, K, SI + 1, C + 100, 0, 65535),
                                (203, 0, K, SI + 1, C + 100, 0, 65535),
                                (205, 1, K, C + 100, SI + 1, 100, 65535)],
    'keepalive':      hs() + [(30, 1, K, C, SI + 1, 100, 65535), (40, 0, K, SI + 1, C + 100, 0, 65535),
                              (5000, 1, K, C + 99, SI + 1, 0, 65535), (10000, 1, K, C + 99, SI + 1, 1, 65535)],
    'zero_window':    hs() + [(30, 1, K, C, SI + 1, 100, 65535), (40, 0, K, SI + 1, C + 100, 0, 0),
                              (500, 1, K, C + 100, SI + 1, 1, 65535), (1500, 1, K, C + 100, SI + 1, 1, 65535),
                              (1510, 0, K, SI + 1, C + 100, 0, 65535), (1520, 1, K, C + 100, SI + 1, 100, 65535)],
    'syn_retrans':    [(0, 1, S, CI, 0, 0, 65535), (1000, 1, S, CI, 0, 0, 65535),
                       (1010, 0, S | K, SI, CI + 1, 0, 65535), (1020, 1, K, CI + 1, SI + 1, 0, 65535)],
    'fin_retrans':    hs() + [(30, 1, F | K, C, SI + 1, 0, 65535), (300, 1, F | K, C, SI + 1, 0, 65535)],
    'spurious':       hs() + [(30, 1, K, C, SI + 1, 100, 65535), (40, 0, K, SI + 1, C + 100, 0, 65535),
                              (400, 1, K, C, SI + 1, 100, 65535)],
    'dup_quick':      [(0, 1, K, C, SI + 1, 100, 65535), (0.5, 1, K, C + 100, SI + 1, 100, 65535),
                       (1.0, 1, K, C, SI + 1, 100, 65535)],
}

def write(path, pkts):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))  # ns pcap
        base = 1_700_000_000 * 10**9
        for t, c2s, fl, seq, ack, plen, win in pkts:
            b = frame(c2s, fl, seq, ack, plen, win)
            ts = base + int(t * 1e6)
            f.write(struct.pack('<IIII', ts // 10**9, ts % 10**9, len(b), len(b)))
            f.write(b)

def main():
    out = sys.argv[1] if len(sys.argv) > 1 else '/tmp/tcpcases'
    os.makedirs(out, exist_ok=True)
    for name, pkts in CASES.items():
        p = os.path.join(out, name + '.pcap')
        write(p, pkts)
        r = subprocess.run(['tshark', '-r', p, '-T', 'fields', '-e', 'frame.number', '-e',
                            'tcp.analysis.flags', '-e', '_ws.expert.message', '-E', 'occurrence=a'],
                           capture_output=True, text=True)
        n = subprocess.run(['tshark', '-r', p, '-Y', 'tcp.analysis.retransmission'],
                           capture_output=True, text=True).stdout.count('\n')
        flagged = [l for l in r.stdout.splitlines() if l.split('\t')[1:2] != ['']]
        print(f'{name}: retransmission={n}')
        for l in flagged:
            print('   ', l)

if __name__ == '__main__':
    main()

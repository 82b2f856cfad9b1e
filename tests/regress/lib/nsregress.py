"""Shared helpers of the regression checks against tshark (conv_vs_tshark.sh,
retrans_vs_tshark.sh): read tshark's per-frame field dumps and netsift's CSV
records, and find the layer netsift meters.

netsift decodes only the outermost IP header and the transport right after
it (IPv6 extension headers and AH skipped, RFC 8200 §4 / RFC 4302 §3.1), so
of tshark's layers we take the first "ip"/"ipv6" in frame.protocols and the
first layer after it that is not an IPv6 extension header or AH; fields are
dumped with -E occurrence=f so they belong to the outermost instance."""
import csv
import ipaddress

# IPv6 extension headers netsift walks through (src/pkt/ip6.c), with the
# tshark field holding each one's next-header value; AH (51) likewise for
# both versions (src/pkt/ip4.c).
EXT_NXT = {0: "ipv6.hopopts.nxt", 43: "ipv6.routing.nxt", 44: "ipv6.fraghdr.nxt",
           60: "ipv6.dstopts.nxt", 51: "ah.next_header"}
PORT_PROTOS = {6, 17, 33, 132, 136}  # TCP UDP DCCP SCTP UDP-Lite (meter/key.h)
PORT_FIELDS = {"tcp": "tcp", "udp": "udp", "sctp": "sctp", "dccp": "dccp", "udplite": "udp"}


def read_fields(path, names):
    """Rows of a `tshark -T fields -E occurrence=f` dump as dicts."""
    with open(path, errors="replace") as f:
        for line in f:
            v = line.rstrip("\n").split("\t")
            v += [""] * (len(names) - len(v))
            yield dict(zip(names, v))


def ts_ns(epoch):
    """frame.time_epoch ("s.fraction") as integer nanoseconds, exactly."""
    s, _, frac = epoch.partition(".")
    return int(s) * 10**9 + int((frac + "000000000")[:9])


def num(s, default=None):
    if s == "":
        return default
    return int(s, 0) if s.startswith("0x") else int(s)


def outer(protocols):
    """(family "ip"/"ipv6" or None, name of the layer after the IP header(s))."""
    layers = protocols.split(":")
    for i, name in enumerate(layers):
        if name in ("ip", "ipv6"):
            for nxt in layers[i + 1:]:
                if not nxt.startswith("ipv6.") and nxt != "ah":
                    return name, nxt
            return name, ""
    return None, ""


def final_proto(row, fam):
    """Upper-layer protocol number after extension headers / AH (netsift's proto)."""
    n = num(row["ip.proto"] if fam == "ip" else row["ipv6.nxt"])
    for _ in range(8):
        if n is None or n not in EXT_NXT or (fam == "ip" and n != 51):
            return n
        n = num(row[EXT_NXT[n]])
    return n


def addr(s):
    return ipaddress.ip_address(s)


def endpoint_key(a, pa, b, pb):
    """Canonical orientation of a conversation: (lower endpoint, higher endpoint)."""
    x, y = (addr(a), pa), (addr(b), pb)
    return (x, y) if (x[0].packed, x[1]) <= (y[0].packed, y[1]) else (y, x)


def fmt_ep(ep):
    a, p = ep
    return ("[%s]:%d" if a.version == 6 else "%s:%d") % (a.compressed, p)


def read_netsift(path):
    """netsift read -F csv rows grouped by flowid: {flowid: [rows]} in file order."""
    flows = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            flows.setdefault(int(r["flowid"]), []).append(r)
    return flows


def isum(rows, field):
    return sum(int(r[field]) for r in rows if r[field] not in ("", None))

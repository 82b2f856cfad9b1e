/*
 * ns_pktdump — decode every packet of pcap/pcapng files with ns_pkt_decode
 * and print what the decoder saw; the regression tests compare this with
 * tshark.  Test tool only (never installed).
 *
 *   ns_pktdump [-s] [-x] FILE...
 *
 * Default: one tab-separated line per packet:
 *   frame  malformed  ipver  src  dst  proto  sport  dport  ip_len
 * with "-" for absent values (no IP: everything after malformed; ports
 * only for TCP/UDP/SCTP/DCCP with a valid header).  -x appends flags (hex),
 * ethertype, vlan_count, mpls_count, l4_payload_len, payload_caplen.
 * -s prints one summary line per file instead: packets, IP packets, IP
 * bytes (sum of ip_len), and a count per malformed reason.
 *
 * Exit status: 0, or 1 when a file cannot be opened or read to its end
 * (packets before a read error are still printed).
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"
#include "pkt/pkt.h"

static int has_ports(const struct ns_pkt *p)
{
    return (p->flags & NS_PKT_F_L4) &&
           (p->proto == 6 || p->proto == 17 || p->proto == 132 || p->proto == 33);
}

static void print_pkt(unsigned long frame, const struct ns_pkt *p, int extended)
{
    printf("%lu\t%s", frame, ns_pkt_malformed_name(p->malformed));
    if (p->flags & NS_PKT_F_IP) {
        char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
        int af = p->ip_version == 4 ? AF_INET : AF_INET6;
        inet_ntop(af, p->src, s, sizeof s);
        inet_ntop(af, p->dst, d, sizeof d);
        printf("\t%u\t%s\t%s\t%u", p->ip_version, s, d, p->proto);
        if (has_ports(p))
            printf("\t%u\t%u", p->sport, p->dport);
        else
            printf("\t-\t-");
        printf("\t%u", p->ip_len);
    } else {
        printf("\t-\t-\t-\t-\t-\t-\t-");
    }
    if (extended)
        printf("\t%#x\t%#06x\t%u\t%u\t%u\t%u", p->flags, p->ethertype, p->vlan_count, p->mpls_count,
               p->l4_payload_len, p->payload_caplen);
    putchar('\n');
}

/* Reads through capture/ (the probe's own reader: mapped classic pcap,
 * libpcap for the rest), so what is printed is exactly what the meter gets. */
static int dump_file(const char *path, int summary, int extended)
{
    struct ns_capture *c;
    struct ns_error err;
    const char *paths[] = {path};
    if (ns_capture_open_files(&c, paths, 1, NULL, &err) < 0) {
        fprintf(stderr, "ns_pktdump: %s\n", err.msg);
        return 1;
    }
    unsigned long n = 0, nip = 0, counts[NS_MAL__COUNT] = {0};
    unsigned long long ipbytes = 0;
    const uint8_t *data;
    int linktype, rc;
    struct ns_pkt p;
    while ((rc = ns_capture_next(c, &p, &data, &linktype, &err)) == 1) {
        ns_pkt_decode(&p, linktype, data);
        n++;
        if (p.flags & NS_PKT_F_IP) {
            nip++;
            ipbytes += p.ip_len;
        }
        counts[p.malformed]++;
        if (!summary)
            print_pkt(n, &p, extended);
    }
    int status = 0;
    if (rc < 0 || ns_capture_warning(c)) {
        fprintf(stderr, "ns_pktdump: %s\n", rc < 0 ? err.msg : ns_capture_warning(c));
        status = 1;
    }
    if (summary) {
        printf("%s\tpackets=%lu\tip=%lu\tip_bytes=%llu", path, n, nip, ipbytes);
        for (int m = 1; m < NS_MAL__COUNT; m++)
            if (counts[m])
                printf("\t%s=%lu", ns_pkt_malformed_name((enum ns_malformed)m), counts[m]);
        putchar('\n');
    }
    ns_capture_close(c);
    return status;
}

int main(int argc, char **argv)
{
    int summary = 0, extended = 0, opt;
    while ((opt = getopt(argc, argv, "sx")) != -1) {
        switch (opt) {
        case 's':
            summary = 1;
            break;
        case 'x':
            extended = 1;
            break;
        default:
            fprintf(stderr, "usage: ns_pktdump [-s] [-x] FILE...\n");
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: ns_pktdump [-s] [-x] FILE...\n");
        return 2;
    }
    int status = 0;
    for (int i = optind; i < argc; i++)
        status |= dump_file(argv[i], summary, extended);
    return status;
}

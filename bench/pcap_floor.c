/*
 * pcap_floor — the floor for any capture-file meter: a bare libpcap read
 * loop that touches every packet header and the first bytes of each frame
 * and does nothing else.  bench/run.sh runs it beside `netsift probe`.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: pcap_floor FILE\n");
        return 2;
    }
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *h = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, eb);
    if (!h) {
        fprintf(stderr, "pcap_floor: %s\n", eb);
        return 1;
    }
    struct pcap_pkthdr *hdr;
    const u_char *d;
    uint64_t n = 0, bytes = 0, x = 0;
    while (pcap_next_ex(h, &hdr, &d) == 1) {
        n++;
        bytes += hdr->len;
        x += hdr->caplen > 14 ? d[12] ^ d[13] : 0; /* touch the frame */
    }
    printf("%llu packets %llu bytes (%llu)\n", (unsigned long long)n, (unsigned long long)bytes,
           (unsigned long long)(x & 1));
    pcap_close(h);
    return 0;
}

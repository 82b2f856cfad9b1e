/*
 * ns_select — which packets of a capture a selection chain (src/select)
 * or a libpcap BPF expression selects, as frame numbers.  The regression
 * tests compare the two (match vs BPF), two observation points (hash
 * consistency), and hash values with an independent implementation.
 * Test tool only (never installed).
 *
 *   ns_select [-d] -s SPEC [-s SPEC...] FILE...   chain (SPEC as --select)
 *   ns_select -b 'BPF EXPR' FILE...                libpcap's pcap_compile
 *   ns_select -H FUNC INIT HEX                     one hash value (hex)
 *   ns_select -M EXPRFILE FILE...                  many match expressions
 *   ns_select -B EXPRFILE FILE...                  the same, through BPF
 *
 * -M/-B read one expression a line and print "LINE FRAME" for each
 * expression (0-based line) and frame it selects, in one pass.  -B splits
 * frames by encapsulation, as BPF must be told about it: a frame that BPF
 * finds to carry one VLAN tag is tested with `vlan and (E)`, two tags
 * `vlan and vlan and (E)`, MPLS `mpls and (E)`, PPPoE `pppoes and (E)`
 * (and tags before those), others with E; a form that does not compile
 * for the link type selects nothing.  netsift's decoded view sees through tags
 * and labels by itself.
 *
 * Output: one line per selected packet, its 1-based frame number counted
 * across the files; -d appends the digest hash value (hex).  The last
 * line on stderr gives observed/selected per selector.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "select/hash.h"
#include "select/match.h"
#include "select/select.h"

static int hash_one(const char *fn, const char *init_s, const char *hex)
{
    size_t n = strlen(hex) / 2;
    uint8_t *b = malloc(n + 1);
    if (!b)
        return 1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        b[i] = (uint8_t)v;
    }
    uint32_t init = (uint32_t)strtoul(init_s, NULL, 0), h;
    if (strcmp(fn, "bob") == 0)
        h = ns_hash_bob(b, n, init);
    else if (strcmp(fn, "ipsx") == 0)
        h = ns_hash_ipsx(b, n, init);
    else {
        uint32_t t[8][256];
        ns_crc32_table(t);
        h = ns_crc32((const uint32_t(*)[256])t, init, b, n);
    }
    printf("%08x\n", h);
    free(b);
    return 0;
}

#define MAXE 256

static int many(const char *list, int bpf_mode, char **files, int nfiles)
{
    FILE *f = fopen(list, "r");
    if (!f)
        return 2;
    static char exprs[MAXE][512];
    int ne = 0;
    while (ne < MAXE && fgets(exprs[ne], sizeof exprs[ne], f)) {
        exprs[ne][strcspn(exprs[ne], "\n")] = 0;
        ne++;
    }
    fclose(f);
    static struct ns_match *m[MAXE];
    struct ns_error e;
    if (!bpf_mode)
        for (int i = 0; i < ne; i++)
            if (ns_match_compile(&m[i], exprs[i], &e) < 0) {
                fprintf(stderr, "ns_select: %s\n", e.msg);
                return 2;
            }
    unsigned long frame = 0;
    for (int fi = 0; fi < nfiles; fi++) {
        char eb[PCAP_ERRBUF_SIZE];
        pcap_t *h =
            pcap_open_offline_with_tstamp_precision(files[fi], PCAP_TSTAMP_PRECISION_NANO, eb);
        if (!h) {
            fprintf(stderr, "ns_select: %s\n", eb);
            return 2;
        }
        int lt = pcap_datalink(h);
        /* encapsulation classes, most specific first; the last is "none" */
        static const char *const cls[] = {"vlan and vlan and pppoes",
                                          "vlan and pppoes",
                                          "pppoes",
                                          "vlan and vlan and mpls",
                                          "vlan and mpls",
                                          "mpls",
                                          "vlan and vlan and vlan",
                                          "vlan and vlan",
                                          "vlan",
                                          ""};
        enum { NC = sizeof cls / sizeof cls[0] };
        static struct bpf_program cp[NC], ep[MAXE][NC];
        int cok[NC] = {0};
        static int eok[MAXE][NC];
        memset(eok, 0, sizeof eok);
        if (bpf_mode) {
            for (int k = 0; k < NC; k++)
                cok[k] = pcap_compile(h, &cp[k], cls[k], 1, PCAP_NETMASK_UNKNOWN) == 0;
            for (int i = 0; i < ne; i++)
                for (int k = 0; k < NC; k++) {
                    char buf[1200];
                    if (*cls[k])
                        snprintf(buf, sizeof buf, "%s and (%.511s)", cls[k], exprs[i]);
                    else
                        snprintf(buf, sizeof buf, "%.511s", exprs[i]);
                    eok[i][k] = pcap_compile(h, &ep[i][k], buf, 1, PCAP_NETMASK_UNKNOWN) == 0;
                }
        }
        struct pcap_pkthdr *ph;
        const u_char *data;
        while (pcap_next_ex(h, &ph, &data) == 1) {
            frame++;
            if (bpf_mode) {
                int c = 0;
                while (c < NC - 1 && !(cok[c] && pcap_offline_filter(&cp[c], ph, data)))
                    c++;
                for (int i = 0; i < ne; i++)
                    if (eok[i][c] && pcap_offline_filter(&ep[i][c], ph, data))
                        printf("%d %lu\n", i, frame);
                continue;
            }
            struct ns_pkt p;
            memset(&p, 0, sizeof p);
            p.caplen = ph->caplen;
            p.wirelen = ph->len < ph->caplen ? ph->caplen : ph->len;
            ns_pkt_decode(&p, lt, data);
            for (int i = 0; i < ne; i++)
                if (ns_match_eval(m[i], &p, data))
                    printf("%d %lu\n", i, frame);
        }
        if (bpf_mode) {
            for (int k = 0; k < NC; k++)
                if (cok[k])
                    pcap_freecode(&cp[k]);
            for (int i = 0; i < ne; i++)
                for (int k = 0; k < NC; k++)
                    if (eok[i][k])
                        pcap_freecode(&ep[i][k]);
        }
        pcap_close(h);
    }
    for (int i = 0; i < ne; i++)
        ns_match_free(m[i]);
    return 0;
}

int main(int argc, char **argv)
{
    const char *bpf = NULL;
    int digest = 0, o;
    struct ns_sel_chain *c = NULL;
    struct ns_error e;
    if (ns_sel_chain_create(&c, &e) < 0)
        return 2;
    while ((o = getopt(argc, argv, "b:ds:HM:B:")) != -1) {
        switch (o) {
        case 'M':
        case 'B':
            ns_sel_chain_free(c);
            return many(optarg, o == 'B', argv + optind, argc - optind);
        case 'b':
            bpf = optarg;
            break;
        case 'd':
            digest = 1;
            break;
        case 's':
            if (ns_sel_chain_add_spec(c, optarg, &e) < 0) {
                fprintf(stderr, "ns_select: %s\n", e.msg);
                return 2;
            }
            break;
        case 'H':
            ns_sel_chain_free(c);
            if (argc - optind != 3)
                return 2;
            return hash_one(argv[optind], argv[optind + 1], argv[optind + 2]);
        default:
            fprintf(stderr, "usage: ns_select [-d] (-s SPEC... | -b BPF) FILE...\n");
            return 2;
        }
    }
    unsigned long frame = 0;
    int rc = 0;
    for (int i = optind; i < argc; i++) {
        char eb[PCAP_ERRBUF_SIZE];
        pcap_t *h =
            pcap_open_offline_with_tstamp_precision(argv[i], PCAP_TSTAMP_PRECISION_NANO, eb);
        if (!h) {
            fprintf(stderr, "ns_select: %s\n", eb);
            return 2;
        }
        struct bpf_program prog;
        if (bpf && pcap_compile(h, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
            fprintf(stderr, "ns_select: %s: %s\n", argv[i], pcap_geterr(h));
            pcap_close(h);
            rc = 3; /* the expression does not apply to this link type */
            continue;
        }
        int lt = pcap_datalink(h);
        struct pcap_pkthdr *ph;
        const u_char *data;
        int r;
        while ((r = pcap_next_ex(h, &ph, &data)) == 1) {
            frame++;
            if (bpf) {
                if (pcap_offline_filter(&prog, ph, data))
                    printf("%lu\n", frame);
                continue;
            }
            struct ns_pkt p;
            memset(&p, 0, sizeof p);
            p.ts_ns = (uint64_t)ph->ts.tv_sec * 1000000000u + (uint64_t)ph->ts.tv_usec;
            p.caplen = ph->caplen;
            p.wirelen = ph->len < ph->caplen ? ph->caplen : ph->len;
            int decoded = 0;
            struct ns_sel_verdict v;
            if (ns_sel_chain_run(c, &p, data, lt, &decoded, &v)) {
                if (digest && v.has_digest)
                    printf("%lu %08x\n", frame, v.digest);
                else
                    printf("%lu\n", frame);
            }
        }
        if (bpf)
            pcap_freecode(&prog);
        pcap_close(h);
    }
    for (size_t i = 0; i < ns_sel_chain_len(c); i++) {
        struct ns_sel_info in;
        ns_sel_chain_info(c, i, &in);
        fprintf(stderr, "%s: observed %llu selected %llu\n", in.desc,
                (unsigned long long)in.observed, (unsigned long long)in.selected);
    }
    struct ns_sel_estimate est;
    ns_sel_chain_estimate(c, &est);
    fprintf(stderr, "estimate: selected %llu packets %.3f se %.3f octets %.3f se %.3f\n",
            (unsigned long long)est.selected, est.packets, est.packets_se, est.octets,
            est.octets_se);
    ns_sel_chain_free(c);
    return rc;
}

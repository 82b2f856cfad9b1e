/*
 * capture.c — see capture.h.  A file is read either through a memory
 * mapping (pcapmap.h: classic pcap in a regular file) or through libpcap
 * (pcapng, stdin, everything else); both deliver the same packets, and the
 * BPF filter runs in user space on either, so rejected packets are counted.
 */
#include "capture/capture.h"

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "capture/pcapmap.h"

struct ns_capture {
    char **paths;
    size_t npaths;
    size_t next;           /* index of the next file to open */
    int open;              /* a file is being read */
    pcap_t *h;             /* libpcap source, or NULL */
    struct ns_pcapmap map; /* mapped source when map.base */
    pcap_t *dead;          /* handle the filter was compiled with (mapped source) */
    int linktype;
    char *bpf;
    struct bpf_program prog; /* compiled for the current file's link type */
    int have_prog;
    uint64_t file_pkts; /* packets read from the current file */
    uint64_t file_size;
    struct ns_capture_stats st;
    char warning[512];
    int has_warning;
    int live;      /* an interface, not files: next() may return 2 */
    int live_nano; /* the kernel gives nanosecond timestamps */
    /* Mappings of files already read: frames handed out from them stay
     * valid until ns_capture_close() (capture.h), so they are unmapped only
     * there; their pages are given back when the file ends.  One slot per
     * input file, allocated at open: retiring never fails. */
    struct {
        const uint8_t *base;
        size_t size;
    } * retired;
    size_t nretired;
};

static void close_current(struct ns_capture *c)
{
    if (c->have_prog) {
        pcap_freecode(&c->prog);
        c->have_prog = 0;
    }
    if (c->h) {
        pcap_close(c->h);
        c->h = NULL;
    }
    if (c->dead) {
        pcap_close(c->dead);
        c->dead = NULL;
    }
    if (c->map.base) {
        /* Given back now, unmapped at close: the pages of a private,
         * never-written file mapping are read again from the file if a
         * frame still in flight touches them. */
        madvise((void *)c->map.base, c->map.size, MADV_DONTNEED);
        c->retired[c->nretired].base = c->map.base;
        c->retired[c->nretired++].size = c->map.size;
        memset(&c->map, 0, sizeof c->map);
    }
    c->open = 0;
}

static int compile_filter(struct ns_capture *c, pcap_t *h, const char *path, struct ns_error *err)
{
    if (!c->bpf || !*c->bpf)
        return NS_OK;
    /* Filter in user space with pcap_offline_filter() rather than
     * pcap_setfilter(), so that rejected packets can be counted. */
    if (pcap_compile(h, &c->prog, c->bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        const char *ln = pcap_datalink_val_to_name(c->linktype);
        ns_error_set(err, NS_EINVAL, "filter '%s' for %s (link type %s): %s", c->bpf, path,
                     ln ? ln : "?", pcap_geterr(h));
        close_current(c);
        return NS_EINVAL;
    }
    c->have_prog = 1;
    return NS_OK;
}

static int open_next(struct ns_capture *c, struct ns_error *err)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    const char *path = c->paths[c->next];
    c->file_pkts = 0;
    c->file_size = 0;

    int rc = ns_pcapmap_open(&c->map, path, err);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        c->next++;
        c->open = 1;
        c->linktype = c->map.linktype;
        c->file_size = c->map.size;
        if (c->bpf && *c->bpf) {
            c->dead = pcap_open_dead(c->linktype, (int)c->map.snaplen);
            if (!c->dead) {
                close_current(c);
                return ns_error_set(err, NS_ENOMEM, "%s: pcap_open_dead failed", path);
            }
            return compile_filter(c, c->dead, path, err);
        }
        return NS_OK;
    }

    c->h = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!c->h) {
        /* libpcap names the file itself in some messages, not in others */
        if (strstr(ebuf, path))
            return ns_error_set(err, NS_EIO, "%s", ebuf);
        return ns_error_set(err, NS_EIO, "%s: %s", path, ebuf);
    }
    c->next++;
    c->open = 1;
    c->linktype = pcap_datalink(c->h);
    struct stat sb;
    if (strcmp(path, "-") != 0 && stat(path, &sb) == 0)
        c->file_size = (uint64_t)sb.st_size;
    return compile_filter(c, c->h, path, err);
}

int ns_capture_open_files(struct ns_capture **out, const char *const *paths, size_t n,
                          const char *bpf, struct ns_error *err)
{
    *out = NULL;
    if (n == 0)
        return ns_error_set(err, NS_EINVAL, "no input file");
    size_t nstdin = 0;
    for (size_t i = 0; i < n; i++)
        nstdin += strcmp(paths[i], "-") == 0;
    if (nstdin > 1)
        return ns_error_set(err, NS_EINVAL, "standard input ('-') given more than once");

    struct ns_capture *c = calloc(1, sizeof *c);
    if (!c)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    c->paths = calloc(n, sizeof *c->paths);
    c->retired = calloc(n, sizeof *c->retired);
    c->npaths = n;
    if (!c->paths || !c->retired)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        c->paths[i] = strdup(paths[i]);
        if (!c->paths[i])
            goto nomem;
    }
    if (bpf && *bpf && !(c->bpf = strdup(bpf)))
        goto nomem;

    int rc = open_next(c, err);
    if (rc < 0) {
        ns_capture_close(c);
        return rc;
    }
    *out = c;
    return NS_OK;
nomem:
    ns_capture_close(c);
    return ns_error_set(err, NS_ENOMEM, "out of memory");
}

int ns_capture_open_live(struct ns_capture **out, const char *iface, int snaplen, int timeout_ms,
                         const char *bpf, struct ns_error *err)
{
    *out = NULL;
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    struct ns_capture *c = calloc(1, sizeof *c);
    if (!c || !(c->paths = calloc(1, sizeof *c->paths)) || !(c->paths[0] = strdup(iface))) {
        ns_capture_close(c);
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    }
    c->npaths = 1;
    c->next = 1;
    c->live = 1;
    c->h = pcap_create(iface, ebuf);
    if (!c->h) {
        ns_capture_close(c);
        return ns_error_set(err, NS_EIO, "%s: %s", iface, ebuf);
    }
    pcap_set_snaplen(c->h, snaplen > 0 ? snaplen : 65535);
    pcap_set_promisc(c->h, 1);
    pcap_set_immediate_mode(c->h, 1);
    /* Immediate mode is TPACKET_V2: one ring slot per frame, sized by the
     * snap length, so libpcap's 2 MiB default holds a few dozen frames and
     * a reader starved of CPU for a second or two loses some.  A monitor
     * that judges silences cannot afford that: 64 MiB rides out stalls of
     * many seconds at peering-LAN control-plane rates. */
    pcap_set_buffer_size(c->h, 64 << 20);
    pcap_set_timeout(c->h, timeout_ms > 0 ? timeout_ms : 100);
    c->live_nano = pcap_set_tstamp_precision(c->h, PCAP_TSTAMP_PRECISION_NANO) == 0;
    int rc = pcap_activate(c->h);
    if (rc < 0) {
        ns_error_set(err, NS_EIO, "%s: %s", iface,
                     rc == PCAP_ERROR ? pcap_geterr(c->h) : pcap_statustostr(rc));
        ns_capture_close(c);
        return NS_EIO;
    }
    c->live_nano = pcap_get_tstamp_precision(c->h) == PCAP_TSTAMP_PRECISION_NANO;
    c->open = 1;
    c->linktype = pcap_datalink(c->h);
    if (bpf && *bpf) {
        /* live: the kernel filters (nothing to count) */
        if (pcap_compile(c->h, &c->prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
            pcap_setfilter(c->h, &c->prog) < 0) {
            ns_error_set(err, NS_EINVAL, "filter '%s' on %s: %s", bpf, iface, pcap_geterr(c->h));
            ns_capture_close(c);
            return NS_EINVAL;
        }
        pcap_freecode(&c->prog);
    }
    *out = c;
    return NS_OK;
}

static void damaged(struct ns_capture *c, const char *what)
{
    snprintf(c->warning, sizeof c->warning,
             "%.200s: %.200s (after packet %llu; the rest of the file is skipped)",
             c->paths[c->next - 1], what, (unsigned long long)c->file_pkts);
    c->has_warning = 1;
    c->st.files_damaged++;
    close_current(c);
}

/* One record of the current file: 1, 0 at its end, -1 when damaged. */
static int read_one(struct ns_capture *c, struct pcap_pkthdr *ph, const uint8_t **data,
                    uint64_t *ts_ns)
{
    if (c->map.base) {
        struct ns_error e;
        int rc = ns_pcapmap_next(&c->map, data, &ph->caplen, &ph->len, ts_ns, &e);
        if (rc < 0)
            damaged(c, e.msg);
        return rc < 0 ? -1 : rc;
    }
    struct pcap_pkthdr *hdr;
    int rc = pcap_next_ex(c->h, &hdr, data);
    if (c->live && rc == 1) {
        *ph = *hdr;
        uint64_t frac = (uint64_t)hdr->ts.tv_usec * (c->live_nano ? 1u : 1000u);
        *ts_ns = (uint64_t)hdr->ts.tv_sec * 1000000000u + frac;
        return 1;
    }
    if (c->live && rc == 0)
        return 2; /* the timeout passed without a packet */
    if (rc == 1) {
        *ph = *hdr;
        /* With nanosecond precision tv_usec holds nanoseconds.  A classic
         * pcap file stores seconds as a 32-bit unsigned number; libpcap
         * 1.10 reads it as signed, so times past 2038-01-19 come out
         * negative: read them as the file means them (as pcapmap.c does). */
        uint64_t sec = hdr->ts.tv_sec < 0 && hdr->ts.tv_sec >= INT32_MIN
                           ? (uint64_t)(uint32_t)hdr->ts.tv_sec
                           : (uint64_t)hdr->ts.tv_sec;
        /* an invalid fraction is clamped to the end of its second, as in
         * pcapmap.c (libpcap may already have overflowed it) */
        uint64_t frac = hdr->ts.tv_usec >= 0 && hdr->ts.tv_usec < 1000000000
                            ? (uint64_t)hdr->ts.tv_usec
                            : 999999999u;
        *ts_ns = sec * 1000000000u + frac;
        return 1;
    }
    if (rc == -2)
        return 0;
    if (c->live) {
        snprintf(c->warning, sizeof c->warning, "%.200s: %.250s", c->paths[0], pcap_geterr(c->h));
        c->has_warning = 1;
        close_current(c);
        return 0;
    }
    /* libpcap cannot resynchronise inside a file: keep what we have */
    damaged(c, pcap_geterr(c->h));
    return -1;
}

int ns_capture_next(struct ns_capture *c, struct ns_pkt *p, const uint8_t **frame, int *linktype,
                    struct ns_error *err)
{
    for (;;) {
        if (!c->open) {
            if (c->next >= c->npaths)
                return 0;
            int rc = open_next(c, err);
            if (rc < 0)
                return rc;
        }
        struct pcap_pkthdr ph;
        uint64_t ts;
        int rc = read_one(c, &ph, frame, &ts);
        if (rc == 2)
            return 2;
        if (rc == 0) {
            c->st.files_done++;
            close_current(c);
            continue;
        }
        if (rc < 0)
            continue;
        c->file_pkts++;
        if (c->have_prog && !pcap_offline_filter(&c->prog, &ph, *frame)) {
            c->st.filtered++;
            continue;
        }
        c->st.packets++;
        p->ts_ns = ts;
        p->caplen = ph.caplen;
        p->wirelen = ph.len < ph.caplen ? ph.caplen : ph.len;
        p->ifindex = 0;
        *linktype = c->linktype;
        return 1;
    }
}

size_t ns_capture_burst(struct ns_capture *c, struct ns_pkt *p, const uint8_t **frames, size_t max,
                        int *linktype)
{
    if (!c->open || !c->map.base || c->have_prog)
        return 0;
    size_t n = ns_pcapmap_burst(&c->map, p, frames, max);
    c->file_pkts += n;
    c->st.packets += n;
    *linktype = c->linktype;
    return n;
}

int ns_capture_kernel_drops(struct ns_capture *c, uint64_t *drops)
{
    struct pcap_stat ps;
    if (!c->live || !c->h || pcap_stats(c->h, &ps) < 0)
        return -1;
    *drops = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
    return 0;
}

int ns_capture_frames_stable(const struct ns_capture *c)
{
    return c->map.base != NULL;
}

const char *ns_capture_warning(const struct ns_capture *c)
{
    return c->has_warning ? c->warning : NULL;
}

void ns_capture_take_warning(struct ns_capture *c)
{
    c->has_warning = 0;
}

const char *ns_capture_current_file(const struct ns_capture *c)
{
    if (c->open)
        return c->paths[c->next - 1];
    return c->next < c->npaths ? c->paths[c->next] : NULL;
}

void ns_capture_progress(const struct ns_capture *c, uint64_t *done, uint64_t *total)
{
    *done = 0;
    *total = c->file_size;
    if (c->map.base) {
        *done = c->map.off;
    } else if (c->h && c->file_size) {
        FILE *f = pcap_file(c->h);
        long pos = f ? ftell(f) : -1;
        if (pos > 0)
            *done = (uint64_t)pos;
    }
}

void ns_capture_get_stats(const struct ns_capture *c, struct ns_capture_stats *s)
{
    *s = c->st;
}

void ns_capture_close(struct ns_capture *c)
{
    if (!c)
        return;
    close_current(c);
    for (size_t i = 0; i < c->nretired; i++)
        munmap((void *)c->retired[i].base, c->retired[i].size);
    free(c->retired);
    if (c->paths)
        for (size_t i = 0; i < c->npaths; i++)
            free(c->paths[i]);
    free(c->paths);
    free(c->bpf);
    free(c);
}

#include "capture/capture.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct ns_capture {
    char **paths;
    size_t npaths;
    size_t next;    /* index of the next file to open */
    pcap_t *h;      /* current file, NULL between files */
    int linktype;
    char *bpf;
    struct bpf_program prog; /* compiled for the current file's link type */
    int have_prog;
    uint64_t file_pkts; /* packets read from the current file */
    uint64_t file_size;
    struct ns_capture_stats st;
    char warning[512];
    int has_warning;
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
}

static int open_next(struct ns_capture *c, struct ns_error *err)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    const char *path = c->paths[c->next];

    c->h = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!c->h) {
        /* libpcap names the file itself in some messages, not in others */
        if (strstr(ebuf, path))
            return ns_error_set(err, NS_EIO, "%s", ebuf);
        return ns_error_set(err, NS_EIO, "%s: %s", path, ebuf);
    }
    c->next++;
    c->linktype = pcap_datalink(c->h);
    c->file_pkts = 0;
    c->file_size = 0;
    struct stat sb;
    if (strcmp(path, "-") != 0 && stat(path, &sb) == 0)
        c->file_size = (uint64_t)sb.st_size;

    if (c->bpf && *c->bpf) {
        /* Filter in user space with pcap_offline_filter() rather than
         * pcap_setfilter(), so that rejected packets can be counted. */
        if (pcap_compile(c->h, &c->prog, c->bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
            const char *ln = pcap_datalink_val_to_name(c->linktype);
            ns_error_set(err, NS_EINVAL, "filter '%s' for %s (link type %s): %s", c->bpf, path,
                         ln ? ln : "?", pcap_geterr(c->h));
            close_current(c);
            return NS_EINVAL;
        }
        c->have_prog = 1;
    }
    return NS_OK;
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
    c->npaths = n;
    if (!c->paths)
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

int ns_capture_next(struct ns_capture *c, struct ns_pkt *p, const uint8_t **frame, int *linktype,
                    struct ns_error *err)
{
    for (;;) {
        if (!c->h) {
            if (c->next >= c->npaths)
                return 0;
            int rc = open_next(c, err);
            if (rc < 0)
                return rc;
        }
        struct pcap_pkthdr *hdr;
        const u_char *data;
        int rc = pcap_next_ex(c->h, &hdr, &data);
        if (rc == 1) {
            c->file_pkts++;
            if (c->have_prog && !pcap_offline_filter(&c->prog, hdr, data)) {
                c->st.filtered++;
                continue;
            }
            c->st.packets++;
            c->st.bytes += hdr->caplen;
            /* With nanosecond precision tv_usec holds nanoseconds. */
            p->ts_ns = (uint64_t)hdr->ts.tv_sec * 1000000000u + (uint64_t)hdr->ts.tv_usec;
            p->caplen = hdr->caplen;
            p->wirelen = hdr->len < hdr->caplen ? hdr->caplen : hdr->len;
            p->ifindex = 0;
            *frame = data;
            *linktype = c->linktype;
            return 1;
        }
        if (rc == -2) { /* end of this file */
            c->st.files_done++;
            close_current(c);
            continue;
        }
        /* rc == -1: a damaged record.  libpcap cannot resynchronise inside a
         * pcap file, so keep what we have and move on to the next file. */
        snprintf(c->warning, sizeof c->warning, "%s: %s (after packet %llu; the rest of the file is skipped)",
                 c->paths[c->next - 1], pcap_geterr(c->h), (unsigned long long)c->file_pkts);
        c->has_warning = 1;
        c->st.files_damaged++;
        close_current(c);
    }
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
    if (c->h)
        return c->paths[c->next - 1];
    return c->next < c->npaths ? c->paths[c->next] : NULL;
}

void ns_capture_progress(const struct ns_capture *c, uint64_t *done, uint64_t *total)
{
    *done = 0;
    *total = c->file_size;
    if (c->h && c->file_size) {
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
    if (c->paths)
        for (size_t i = 0; i < c->npaths; i++)
            free(c->paths[i]);
    free(c->paths);
    free(c->bpf);
    free(c);
}

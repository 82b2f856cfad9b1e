#include "capture/pcapmap.h"

#include "pkt/pkt.h"
#include "util/prefetch.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t rd32(const uint8_t *p, int swapped)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swapped ? __builtin_bswap32(v) : v;
}

/* Link types whose file (LINKTYPE_) number is the number libpcap reports
 * (DLT_) on every platform, so the decoder sees the same value whichever
 * reader delivered the frame. */
static void release_behind(struct ns_pcapmap *m);

static int linktype_same_as_dlt(int lt)
{
    switch (lt) {
    case 0:   /* NULL */
    case 1:   /* EN10MB */
    case 9:   /* PPP */
    case 104: /* C_HDLC */
    case 113: /* LINUX_SLL */
    case 228: /* IPV4 */
    case 229: /* IPV6 */
    case 239: /* NFLOG */
    case 276: /* LINUX_SLL2 */
        return 1;
    default:
        return 0;
    }
}

int ns_pcapmap_open(struct ns_pcapmap *m, const char *path, struct ns_error *err)
{
    memset(m, 0, sizeof *m);
    if (!strcmp(path, "-"))
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* let libpcap say what is wrong, in its words */
    struct stat sb;
    uint8_t hdr[24];
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 24 ||
        pread(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr) {
        close(fd);
        return 0;
    }
    uint32_t magic;
    memcpy(&magic, hdr, 4);
    switch (magic) {
    case 0xa1b2c3d4:
        break;
    case 0xd4c3b2a1:
        m->swapped = 1;
        break;
    case 0xa1b23c4d:
        m->nano = 1;
        break;
    case 0x4d3cb2a1:
        m->swapped = m->nano = 1;
        break;
    default:
        close(fd);
        return 0; /* pcapng and the rest: libpcap */
    }
    /* the low 26 bits name the link type; the rest carry FCS details */
    m->linktype = (int)(rd32(hdr + 20, m->swapped) & 0x03FFFFFFu);
    uint16_t major, minor;
    memcpy(&major, hdr + 4, 2);
    memcpy(&minor, hdr + 6, 2);
    if (m->swapped) {
        major = __builtin_bswap16(major);
        minor = __builtin_bswap16(minor);
    }
    /* 2.4 only: older minors may have caplen and len swapped, which
     * libpcap knows how to guess */
    if (!linktype_same_as_dlt(m->linktype) || major != 2 || minor != 4) {
        close(fd);
        return 0;
    }
    m->snaplen = rd32(hdr + 16, m->swapped);
    if (m->snaplen == 0 || m->snaplen > NS_PCAPMAP_MAX_CAPLEN)
        m->snaplen = NS_PCAPMAP_MAX_CAPLEN; /* as libpcap does */
    void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        if (e == ENOMEM || e == ENODEV)
            return 0; /* libpcap can still read it */
        return ns_error_set(err, NS_EIO, "%s: mmap: %s", path, strerror(e));
    }
    /* (advice values are not flags: one call each) */
    madvise(p, (size_t)sb.st_size, MADV_SEQUENTIAL);
    madvise(p, (size_t)sb.st_size, MADV_WILLNEED);
    m->base = p;
    m->size = (size_t)sb.st_size;
    m->off = 24;
    return 1;
}

int ns_pcapmap_next(struct ns_pcapmap *m, const uint8_t **data, uint32_t *caplen, uint32_t *wirelen,
                    uint64_t *ts_ns, struct ns_error *err)
{
    if (m->off == m->size)
        return 0;
    if (m->size - m->off < 16)
        return ns_error_set(err, NS_ETRUNC,
                            "truncated dump file; tried to read 16 header bytes, only got %zu",
                            m->size - m->off);
    const uint8_t *h = m->base + m->off;
    uint32_t sec = rd32(h, m->swapped), frac = rd32(h + 4, m->swapped);
    uint32_t incl = rd32(h + 8, m->swapped), orig = rd32(h + 12, m->swapped);
    if (incl > NS_PCAPMAP_MAX_CAPLEN)
        return ns_error_set(err, NS_EFORMAT,
                            "invalid packet capture length %u, bigger than maximum of %u", incl,
                            NS_PCAPMAP_MAX_CAPLEN);
    if (m->size - m->off - 16 < incl)
        return ns_error_set(err, NS_ETRUNC,
                            "truncated dump file; tried to read %u captured bytes, only got %zu",
                            incl, m->size - m->off - 16);
    *data = h + 16;
    /* libpcap reads the whole record but delivers at most the snapshot
     * length the file declares */
    *caplen = incl > m->snaplen ? m->snaplen : incl;
    *wirelen = orig;
    /* An invalid fraction (a second or more) is clamped to the end of its
     * second: the seconds are the part to trust, and time must not leap
     * (tcpdump-timestamp-invalid-micro.pcap holds 2^31 µs). */
    uint64_t fns = (uint64_t)frac * (m->nano ? 1u : 1000u);
    *ts_ns = (uint64_t)sec * 1000000000u + (fns < 1000000000u ? fns : 999999999u);
    m->last_frac = frac;
    m->off += 16 + (size_t)incl;
    m->records++;
    release_behind(m);
    return 1;
}

static void release_behind(struct ns_pcapmap *m)
{
    /* Give back what is well behind us: file pages count in the RSS of a
     * mapping, and a capture is read once.  Frames behind `off` may still
     * be in use (handed to another thread); that is safe, as the pages of
     * a private, never-written file mapping are read again from the file
     * when touched after MADV_DONTNEED, and 32 MiB behind they rarely are. */
    if (m->off - m->released > NS_PCAPMAP_RELEASE) {
        size_t upto = (m->off - NS_PCAPMAP_RELEASE / 2) & ~(size_t)0xfffff;
        if (upto > m->released) {
            madvise((void *)(m->base + m->released), upto - m->released, MADV_DONTNEED);
            m->released = upto;
        }
    }
}

size_t ns_pcapmap_burst(struct ns_pcapmap *m, struct ns_pkt *p, const uint8_t **frames, size_t max)
{
    const uint8_t *base = m->base;
    size_t off = m->off, size = m->size;
    uint32_t limit = m->snaplen < NS_PCAPMAP_MAX_CAPLEN ? m->snaplen : NS_PCAPMAP_MAX_CAPLEN;
    uint32_t fmax = m->nano ? 1000000000u : 1000000u, mul = m->nano ? 1u : 1000u;
    int sw = m->swapped;
    size_t n = 0;
    uint32_t frac = m->last_frac;
    while (n < max && size - off >= 16) {
        const uint8_t *h = base + off;
        uint32_t sec = rd32(h, sw), fr = rd32(h + 4, sw);
        uint32_t incl = rd32(h + 8, sw), orig = rd32(h + 12, sw);
        if (incl > limit || size - off - 16 < incl || fr >= fmax)
            break; /* the careful path words it */
        /* records lie end to end: fetch the bytes a few records on now,
         * as finding each header waits on the one before */
        ns_prefetch(h + 1024);
        ns_prefetch(h + 1088);
        frames[n] = h + 16;
        p[n].ts_ns = (uint64_t)sec * 1000000000u + (uint64_t)fr * mul;
        p[n].caplen = incl;
        p[n].wirelen = orig < incl ? incl : orig;
        p[n].ifindex = 0;
        frac = fr;
        off += 16 + (size_t)incl;
        n++;
    }
    m->off = off;
    m->last_frac = frac;
    m->records += n;
    release_behind(m);
    return n;
}

void ns_pcapmap_close(struct ns_pcapmap *m)
{
    if (m->base)
        munmap((void *)m->base, m->size);
    memset(m, 0, sizeof *m);
}

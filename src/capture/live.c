/*
 * live.c — see live.h.  The tpacket back end follows the kernel's
 * Documentation/networking/packet_mmap.rst (TPACKET_V3 section); the pcap
 * back end is libpcap's own live capture, non-blocking, polled.
 */
#include "capture/live.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define FRAME_SIZE 2048u /* tp_frame_size: only checked by the kernel for V3 */
#define TAG_LEN    4u

struct live_if {
    char name[IFNAMSIZ];
    uint32_t ifindex;
    int linktype;
    int skip_outgoing; /* loopback: every packet is seen leaving and arriving */
    /* tpacket */
    int fd;
    uint8_t *map;
    size_t map_len;
    struct ns_tpring ring;
    uint16_t fanout_id;
    /* pcap */
    pcap_t *h;
    /* counters */
    uint64_t packets, kseen, drops, freeze, ifdrops;
};

struct ns_live {
    enum ns_live_backend backend;
    uint32_t snaplen;
    size_t n;
    size_t cur; /* interface read last: drained first */
    struct live_if ifs[NS_LIVE_MAX_IFACES];
    struct pollfd pfd[NS_LIVE_MAX_IFACES];
};

void ns_live_config_default(struct ns_live_config *c)
{
    memset(c, 0, sizeof *c);
    c->backend = NS_LIVE_TPACKET;
    c->block_kib = 1024;
    c->ring_blocks = 64;
    c->block_timeout_ms = 100;
    c->snaplen = 65535;
    c->promisc = 1;
}

/* ---- the ring walker ---- */

static struct tpacket_block_desc *block_at(const struct ns_tpring *r, uint32_t i)
{
    return (struct tpacket_block_desc *)(void *)(r->map + (size_t)i * r->block_size);
}

static void release_block(struct ns_tpring *r)
{
    struct tpacket_block_desc *bd = block_at(r, r->cur);
    /* the kernel may fill the block again as soon as it sees this store:
     * every read of the block happens before it (release order) */
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    r->left = 0;
    r->cur = (r->cur + 1) % r->nblocks;
}

int ns_tpring_next(struct ns_tpring *r, struct ns_tpring_frame *f)
{
    const size_t hdr3 = TPACKET_ALIGN(sizeof(struct tpacket3_hdr));
    if (r->release) {
        /* the last frame of the block was given out at the previous call:
         * the caller is done with it now */
        r->release = 0;
        release_block(r);
    }
    for (;;) {
        struct tpacket_block_desc *bd = block_at(r, r->cur);
        if (r->left == 0) {
            uint32_t st = __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
            if (!(st & TP_STATUS_USER))
                return 0;
            uint32_t np = bd->hdr.bh1.num_pkts;
            uint32_t first = bd->hdr.bh1.offset_to_first_pkt;
            if (np == 0) {
                release_block(r);
                continue;
            }
            if (first < sizeof *bd || first >= r->block_size || (first & 3u)) {
                r->bad_blocks++;
                release_block(r);
                continue;
            }
            r->left = np;
            r->off = first;
        }
        const uint8_t *base = (const uint8_t *)bd;
        uint32_t off = r->off;
        if ((off & 3u) || (size_t)off + hdr3 + sizeof(struct sockaddr_ll) > r->block_size) {
            r->bad_blocks++;
            release_block(r);
            continue;
        }
        const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)(const void *)(base + off);
        if ((size_t)off + h->tp_mac + h->tp_snaplen > r->block_size || h->tp_mac < hdr3) {
            r->bad_blocks++;
            release_block(r);
            continue;
        }
        const struct sockaddr_ll *sll =
            (const struct sockaddr_ll *)(const void *)(base + off + hdr3);
        f->data = base + off + h->tp_mac;
        f->caplen = h->tp_snaplen;
        f->wirelen = h->tp_len < h->tp_snaplen ? h->tp_snaplen : h->tp_len;
        f->ts_ns = (uint64_t)h->tp_sec * 1000000000u + h->tp_nsec;
        f->has_vlan = (h->tp_status & TP_STATUS_VLAN_VALID) != 0;
        f->vlan_tci = h->hv1.tp_vlan_tci;
        f->vlan_tpid =
            (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid : ETH_P_8021Q;
        f->pkttype = sll->sll_pkttype;
        /* The frame stays readable until the next call: the block is
         * handed back then, not now. */
        r->left--;
        if (r->left > 0) {
            uint32_t next = h->tp_next_offset;
            if (next == 0 || (uint64_t)off + next >= r->block_size) {
                r->bad_blocks++;
                r->left = 0;
                r->release = 1;
            } else {
                r->off = off + next;
            }
        } else {
            r->release = 1;
        }
        return 1;
    }
}

uint32_t ns_tpring_copy(const struct ns_tpring_frame *f, uint32_t snaplen, uint8_t *buf,
                        uint32_t *wirelen)
{
    uint32_t n = f->caplen < snaplen ? f->caplen : snaplen;
    if (!f->has_vlan || n < 12) {
        memcpy(buf, f->data, n);
        return n;
    }
    /* IEEE 802.1Q §9: the tag goes right after the source address */
    memcpy(buf, f->data, 12);
    buf[12] = (uint8_t)(f->vlan_tpid >> 8);
    buf[13] = (uint8_t)f->vlan_tpid;
    buf[14] = (uint8_t)(f->vlan_tci >> 8);
    buf[15] = (uint8_t)f->vlan_tci;
    memcpy(buf + 16, f->data + 12, n - 12);
    *wirelen += TAG_LEN;
    return n + TAG_LEN;
}

/* ---- opening ---- */

static int filter_compile(int linktype, uint32_t snaplen, const char *bpf, struct bpf_program *prog,
                          const char *ifname, struct ns_error *err)
{
    pcap_t *dead = pcap_open_dead(linktype, (int)snaplen);
    if (!dead)
        return ns_error_set(err, NS_ENOMEM, "pcap_open_dead failed");
    if (pcap_compile(dead, prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        ns_error_set(err, NS_EINVAL, "filter '%s' for %s: %s", bpf, ifname, pcap_geterr(dead));
        pcap_close(dead);
        return NS_EINVAL;
    }
    pcap_close(dead);
    return NS_OK;
}

static int sys_fail(struct ns_error *err, const char *ifname, const char *what)
{
    int e = errno;
    if (e == EPERM || e == EACCES)
        return ns_error_set(err, NS_EIO, "%s: %s: %s (capturing needs CAP_NET_RAW)", ifname, what,
                            strerror(e));
    return ns_error_set(err, NS_EIO, "%s: %s: %s", ifname, what, strerror(e));
}

static int attach_filter(struct live_if *li, const struct ns_live_config *c, struct ns_error *err)
{
    if (!c->bpf || !*c->bpf)
        return NS_OK;
    struct bpf_program prog;
    int rc = filter_compile(li->linktype, c->snaplen, c->bpf, &prog, li->name, err);
    if (rc < 0)
        return rc;
    /* struct bpf_insn and struct sock_filter have the same layout */
    struct sock_fprog fp = {.len = (unsigned short)prog.bf_len,
                            .filter = (struct sock_filter *)(void *)prog.bf_insns};
    rc = setsockopt(li->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp);
    pcap_freecode(&prog);
    if (rc < 0)
        return sys_fail(err, li->name, "SO_ATTACH_FILTER");
    return NS_OK;
}

/* Join (or, for the first worker, create) the interface's fan-out group;
 * packet(7) PACKET_FANOUT: the argument is id | type_flags << 16. */
static int join_fanout(struct live_if *li, const struct ns_live_config *c, struct ns_error *err)
{
    uint32_t type = c->fanout == NS_FANOUT_CBPF ? PACKET_FANOUT_CBPF
                                                : PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
    int create = c->fanout_ids == NULL;
    uint32_t arg =
        (create ? 0u : li->fanout_id) | (type | (create ? PACKET_FANOUT_FLAG_UNIQUEID : 0u)) << 16;
    if (setsockopt(li->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) < 0)
        return sys_fail(err, li->name, "PACKET_FANOUT");
    if (create) {
        uint32_t got = 0;
        socklen_t len = sizeof got;
        if (getsockopt(li->fd, SOL_PACKET, PACKET_FANOUT, &got, &len) < 0)
            return sys_fail(err, li->name, "PACKET_FANOUT (reading the group id)");
        li->fanout_id = (uint16_t)(got & 0xffffu);
        if (c->fanout == NS_FANOUT_CBPF) {
            struct sock_fprog fp = {.len = (unsigned short)c->fanout_prog_len,
                                    .filter = c->fanout_prog};
            if (setsockopt(li->fd, SOL_PACKET, PACKET_FANOUT_DATA, &fp, sizeof fp) < 0)
                return sys_fail(err, li->name, "PACKET_FANOUT_DATA (the fan-out program)");
        }
    }
    return NS_OK;
}

static int open_tpacket(struct live_if *li, const struct ns_live_config *c, struct ns_error *err)
{
    li->fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: nothing arrives before bind() */
    if (li->fd < 0)
        return sys_fail(err, li->name, "socket(AF_PACKET)");

    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", li->name);
    if (ioctl(li->fd, SIOCGIFHWADDR, &ifr) < 0)
        return sys_fail(err, li->name, "SIOCGIFHWADDR");
    switch (ifr.ifr_hwaddr.sa_family) {
    case ARPHRD_ETHER:
        li->linktype = NS_LINK_ETHERNET;
        break;
    case ARPHRD_LOOPBACK:
        li->linktype = NS_LINK_ETHERNET; /* zero addresses, real ethertype */
        li->skip_outgoing = 1;
        break;
    case ARPHRD_NONE:
#ifdef ARPHRD_RAWIP
    case ARPHRD_RAWIP:
#endif
        li->linktype = NS_LINK_DLT_RAW_BSD; /* DLT_RAW (12): the frame is the IP packet */
        break;
    default:
        return ns_error_set(err, NS_EINVAL,
                            "%s: hardware type %u is not served by --capture tpacket; try "
                            "--capture pcap",
                            li->name, (unsigned)ifr.ifr_hwaddr.sa_family);
    }

    int v = TPACKET_V3;
    if (setsockopt(li->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0)
        return sys_fail(err, li->name, "PACKET_VERSION TPACKET_V3");

    struct tpacket_req3 req;
    memset(&req, 0, sizeof req);
    req.tp_block_size = c->block_kib * 1024u;
    req.tp_block_nr = c->ring_blocks;
    req.tp_frame_size = FRAME_SIZE;
    req.tp_frame_nr = req.tp_block_size / FRAME_SIZE * req.tp_block_nr;
    req.tp_retire_blk_tov = c->block_timeout_ms;
    if (setsockopt(li->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
        return sys_fail(err, li->name, "PACKET_RX_RING (ring too large for the kernel?)");
    li->map_len = (size_t)req.tp_block_size * req.tp_block_nr;
    void *m = mmap(NULL, li->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, li->fd, 0);
    if (m == MAP_FAILED) {
        li->map_len = 0;
        return sys_fail(err, li->name, "mmap of the receive ring");
    }
    li->map = m;
    li->ring.map = li->map;
    li->ring.block_size = req.tp_block_size;
    li->ring.nblocks = req.tp_block_nr;

    int rc;
    if (c->fanout) { /* nothing until the socket is in its group (live.h) */
        struct sock_filter none = BPF_STMT(BPF_RET | BPF_K, 0);
        struct sock_fprog fp = {.len = 1, .filter = &none};
        if (setsockopt(li->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp) < 0)
            return sys_fail(err, li->name, "SO_ATTACH_FILTER");
    } else if ((rc = attach_filter(li, c, err)) < 0) {
        return rc;
    }

    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)li->ifindex;
    if (bind(li->fd, (struct sockaddr *)&sll, sizeof sll) < 0)
        return sys_fail(err, li->name, "bind");
    if (c->fanout) {
        if ((rc = join_fanout(li, c, err)) < 0)
            return rc;
        if (c->bpf && *c->bpf)
            rc = attach_filter(li, c, err);
        else if (setsockopt(li->fd, SOL_SOCKET, SO_DETACH_FILTER, &(int){0}, sizeof(int)) < 0)
            rc = sys_fail(err, li->name, "SO_DETACH_FILTER");
        if (rc < 0)
            return rc;
    }
    if (c->promisc) {
        struct packet_mreq mr;
        memset(&mr, 0, sizeof mr);
        mr.mr_ifindex = (int)li->ifindex;
        mr.mr_type = PACKET_MR_PROMISC;
        if (setsockopt(li->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0)
            return sys_fail(err, li->name, "promiscuous mode");
    }
    return NS_OK;
}

static int open_pcap(struct live_if *li, const struct ns_live_config *c, struct ns_error *err)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    li->h = pcap_create(li->name, ebuf);
    if (!li->h)
        return ns_error_set(err, NS_EIO, "%s: %s", li->name, ebuf);
    pcap_set_snaplen(li->h, (int)c->snaplen);
    pcap_set_promisc(li->h, c->promisc);
    pcap_set_immediate_mode(li->h, 1);
    pcap_set_buffer_size(li->h, (int)(c->block_kib * 1024u * c->ring_blocks));
    pcap_set_timeout(li->h, (int)c->block_timeout_ms);
    pcap_set_tstamp_precision(li->h, PCAP_TSTAMP_PRECISION_NANO);
    int rc = pcap_activate(li->h);
    if (rc < 0) {
        const char *msg = rc == PCAP_ERROR ? pcap_geterr(li->h) : pcap_statustostr(rc);
        return ns_error_set(err, NS_EIO, "%s: %s", li->name, msg);
    }
    li->linktype = pcap_datalink(li->h);
    if (!ns_pkt_linktype_supported(li->linktype)) {
        const char *ln = pcap_datalink_val_to_name(li->linktype);
        return ns_error_set(err, NS_EINVAL, "%s: link type %s (%d) is not decoded", li->name,
                            ln ? ln : "?", li->linktype);
    }
    if (c->bpf && *c->bpf) {
        struct bpf_program prog;
        if (pcap_compile(li->h, &prog, c->bpf, 1, PCAP_NETMASK_UNKNOWN) < 0)
            return ns_error_set(err, NS_EINVAL, "filter '%s' for %s: %s", c->bpf, li->name,
                                pcap_geterr(li->h));
        rc = pcap_setfilter(li->h, &prog);
        pcap_freecode(&prog);
        if (rc < 0)
            return ns_error_set(err, NS_EIO, "%s: %s", li->name, pcap_geterr(li->h));
    }
    if (pcap_setnonblock(li->h, 1, ebuf) < 0)
        return ns_error_set(err, NS_EIO, "%s: %s", li->name, ebuf);
    li->fd = pcap_get_selectable_fd(li->h);
    if (li->fd < 0)
        return ns_error_set(err, NS_EINVAL, "%s: libpcap gives no pollable descriptor", li->name);
    return NS_OK;
}

int ns_live_open(struct ns_live **out, const struct ns_live_config *c, struct ns_error *err)
{
    *out = NULL;
    if (c->nifaces == 0)
        return ns_error_set(err, NS_EINVAL, "no interface to capture on");
    if (c->nifaces > NS_LIVE_MAX_IFACES)
        return ns_error_set(err, NS_EINVAL, "at most %d interfaces", NS_LIVE_MAX_IFACES);
    long page = sysconf(_SC_PAGESIZE);
    uint64_t bs = (uint64_t)c->block_kib * 1024u;
    if (page <= 0)
        page = 4096;
    if (bs < (uint64_t)page || (bs & (bs - 1)) || bs > (1u << 30))
        return ns_error_set(err, NS_EINVAL,
                            "block size %u KiB: a power of two from the page size (%ld bytes) "
                            "to 1 GiB",
                            c->block_kib, page);
    if (c->ring_blocks < 2 || bs * c->ring_blocks > (1ull << 31))
        return ns_error_set(err, NS_EINVAL, "ring of %u blocks: 2 or more, at most 2 GiB in all",
                            c->ring_blocks);
    if (c->block_timeout_ms == 0 || c->block_timeout_ms > 60000)
        return ns_error_set(err, NS_EINVAL, "block timeout %u ms: 1..60000", c->block_timeout_ms);
    if (c->snaplen < 64 || c->snaplen > 262144)
        return ns_error_set(err, NS_EINVAL, "snaplen %u: 64..262144", c->snaplen);

    if (c->fanout && c->backend != NS_LIVE_TPACKET)
        return ns_error_set(err, NS_EINVAL, "several workers need --capture tpacket (fan-out)");
    if (c->fanout == NS_FANOUT_CBPF && (!c->fanout_prog || !c->fanout_prog_len))
        return ns_error_set(err, NS_EINVAL, "fan-out by program without a program");

    struct ns_live *l = calloc(1, sizeof *l);
    if (!l)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    l->backend = c->backend;
    l->snaplen = c->snaplen;
    for (size_t i = 0; i < c->nifaces; i++) {
        struct live_if *li = &l->ifs[i];
        li->fd = -1;
        l->n = i + 1;
        const char *name = c->ifaces[i];
        if (strlen(name) >= sizeof li->name) {
            ns_live_close(l);
            return ns_error_set(err, NS_EINVAL, "interface name too long: '%s'", name);
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(name, c->ifaces[j]) == 0) {
                ns_live_close(l);
                return ns_error_set(err, NS_EINVAL, "interface %s given twice", name);
            }
        snprintf(li->name, sizeof li->name, "%s", name);
        li->ifindex = if_nametoindex(name);
        if (li->ifindex == 0) {
            ns_live_close(l);
            return ns_error_set(err, NS_EINVAL, "%s: no such interface", name);
        }
        if (c->fanout_ids)
            li->fanout_id = c->fanout_ids[i];
        int rc = c->backend == NS_LIVE_PCAP ? open_pcap(li, c, err) : open_tpacket(li, c, err);
        if (rc < 0) {
            ns_live_close(l);
            return rc;
        }
        l->pfd[i].fd = li->fd;
        l->pfd[i].events = POLLIN;
    }
    *out = l;
    return NS_OK;
}

uint16_t ns_live_fanout_id(const struct ns_live *l, size_t i)
{
    return i < l->n ? l->ifs[i].fanout_id : 0;
}

size_t ns_live_max_frame(const struct ns_live *l)
{
    return (size_t)l->snaplen + TAG_LEN;
}

/* ---- reading ---- */

static int next_tpacket(struct ns_live *l, struct live_if *li, struct ns_pkt *p, uint8_t *buf)
{
    struct ns_tpring_frame f;
    for (;;) {
        if (ns_tpring_next(&li->ring, &f) != 1)
            return 0;
        if (li->skip_outgoing && f.pkttype == PACKET_OUTGOING)
            continue;
        uint32_t wirelen = f.wirelen;
        p->caplen = ns_tpring_copy(&f, l->snaplen, buf, &wirelen);
        p->wirelen = wirelen < p->caplen ? p->caplen : wirelen;
        p->ts_ns = f.ts_ns;
        return 1;
    }
}

static int next_pcap(struct ns_live *l, struct live_if *li, struct ns_pkt *p, uint8_t *buf,
                     struct ns_error *err)
{
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc = pcap_next_ex(li->h, &hdr, &data);
    if (rc == 0)
        return 0;
    if (rc < 0)
        return ns_error_set(err, NS_EIO, "%s: %s", li->name, pcap_geterr(li->h));
    uint32_t n = hdr->caplen;
    if (n > ns_live_max_frame(l))
        n = (uint32_t)ns_live_max_frame(l);
    memcpy(buf, data, n);
    p->caplen = n;
    p->wirelen = hdr->len < n ? n : hdr->len;
    /* nanosecond precision: tv_usec holds nanoseconds */
    p->ts_ns = (uint64_t)hdr->ts.tv_sec * 1000000000u + (uint64_t)hdr->ts.tv_usec;
    return 1;
}

static int poll_error(struct ns_live *l, struct ns_error *err)
{
    for (size_t i = 0; i < l->n; i++) {
        if (!(l->pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL)))
            continue;
        int e = 0;
        socklen_t len = sizeof e;
        if (l->backend == NS_LIVE_TPACKET)
            getsockopt(l->ifs[i].fd, SOL_SOCKET, SO_ERROR, &e, &len);
        if (e == ENETDOWN)
            return ns_error_set(err, NS_EIO, "%s: the interface went down", l->ifs[i].name);
        return ns_error_set(err, NS_EIO, "%s: capture failed: %s", l->ifs[i].name,
                            e ? strerror(e) : "poll error");
    }
    return NS_OK;
}

int ns_live_next(struct ns_live *l, struct ns_pkt *p, uint8_t *buf, int *linktype, int wait_ms,
                 struct ns_error *err)
{
    for (int waited = 0;; waited = 1) {
        /* stay on the interface read last while it has frames: its block
         * is warm in cache and goes back to the kernel sooner */
        for (size_t k = 0; k < l->n; k++) {
            size_t i = (l->cur + k) % l->n;
            struct live_if *li = &l->ifs[i];
            int rc = l->backend == NS_LIVE_PCAP ? next_pcap(l, li, p, buf, err)
                                                : next_tpacket(l, li, p, buf);
            if (rc < 0)
                return rc;
            if (rc == 1) {
                l->cur = i;
                li->packets++;
                p->ifindex = li->ifindex;
                *linktype = li->linktype;
                return 1;
            }
        }
        if (waited || wait_ms <= 0)
            return 0;
        int rc = poll(l->pfd, (nfds_t)l->n, wait_ms);
        if (rc < 0 && errno != EINTR)
            return ns_error_set(err, NS_EIO, "poll: %s", strerror(errno));
        if (rc > 0 && (rc = poll_error(l, err)) < 0)
            return rc;
    }
}

void ns_live_get_stats(struct ns_live *l, struct ns_live_stats *s)
{
    memset(s, 0, sizeof *s);
    s->nifaces = (uint32_t)l->n;
    for (size_t i = 0; i < l->n; i++) {
        struct live_if *li = &l->ifs[i];
        if (li->h) {
            struct pcap_stat ps;
            if (pcap_stats(li->h, &ps) == 0) {
                li->kseen = ps.ps_recv; /* cumulative already */
                li->drops = ps.ps_drop;
                li->ifdrops = ps.ps_ifdrop;
            }
        } else if (li->map) {
            /* reading resets the kernel's counters: accumulate */
            struct tpacket_stats_v3 ts;
            socklen_t len = sizeof ts;
            memset(&ts, 0, sizeof ts);
            if (getsockopt(li->fd, SOL_PACKET, PACKET_STATISTICS, &ts, &len) == 0) {
                li->kseen += ts.tp_packets; /* the kernel counts drops in tp_packets */
                li->drops += ts.tp_drops;
                li->freeze += ts.tp_freeze_q_cnt;
            }
        }
        struct ns_live_if_stats *o = &s->ifs[i];
        snprintf(o->name, sizeof o->name, "%s", li->name);
        o->ifindex = li->ifindex;
        o->packets = li->packets;
        o->kernel_seen = li->kseen;
        o->drops = li->drops;
        o->freeze_q = li->freeze;
        o->if_drops = li->ifdrops;
        s->packets += li->packets;
        s->drops += li->drops;
    }
}

int ns_live_quiesce(struct ns_live *l)
{
    int all = 1;
    for (size_t i = 0; i < l->n; i++) {
        struct live_if *li = &l->ifs[i];
        if (!li->map) {
            all = 0; /* libpcap: its counters are its own; nothing to close */
            continue;
        }
        /* The socket filter runs before the kernel counts a frame in
         * tp_packets or tp_drops: a filter that keeps nothing freezes both. */
        struct sock_filter none = BPF_STMT(BPF_RET | BPF_K, 0);
        struct sock_fprog fp = {.len = 1, .filter = &none};
        if (setsockopt(li->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp) < 0)
            all = 0;
    }
    return all;
}

void ns_live_close(struct ns_live *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        struct live_if *li = &l->ifs[i];
        if (li->h) {
            pcap_close(li->h); /* closes li->fd */
            continue;
        }
        if (li->map)
            munmap(li->map, li->map_len);
        if (li->fd >= 0)
            close(li->fd);
    }
    free(l);
}

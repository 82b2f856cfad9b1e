/* The TPACKET_V3 ring walker (capture/live.h) on rings filled in memory the
 * way the kernel fills them: frames in order with their metadata, a block
 * handed back only after its last frame was used, blocks in ring order,
 * VLAN tags put back, and blocks whose offsets do not add up skipped
 * without reading outside them.  Plus the option checks of ns_live_open. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdlib.h>
#include <string.h>

#include "capture/live.h"

#define BS 4096u
#define NB 3u

static const size_t HDR3 = TPACKET_ALIGN(sizeof(struct tpacket3_hdr));

struct ring {
    uint8_t *mem;
    struct ns_tpring r;
};

static void ring_init(struct ring *t)
{
    t->mem = aligned_alloc(4096, BS * NB);
    assert_non_null(t->mem);
    memset(t->mem, 0, BS * NB);
    memset(&t->r, 0, sizeof t->r);
    t->r.map = t->mem;
    t->r.block_size = BS;
    t->r.nblocks = NB;
}

static struct tpacket_block_desc *blk(struct ring *t, uint32_t i)
{
    return (struct tpacket_block_desc *)(void *)(t->mem + (size_t)i * BS);
}

/* Fill block i with frames of the given lengths (payload byte = frame
 * number + 1), VLAN tci on the frames whose bit is set in vlan_mask. */
static void fill_block(struct ring *t, uint32_t i, const uint32_t *lens, uint32_t n,
                       uint32_t vlan_mask, uint32_t seq)
{
    struct tpacket_block_desc *bd = blk(t, i);
    uint8_t *base = (uint8_t *)bd;
    uint32_t off = TPACKET_ALIGN(sizeof *bd);
    bd->version = TPACKET_V3;
    bd->hdr.bh1.num_pkts = n;
    bd->hdr.bh1.offset_to_first_pkt = off;
    bd->hdr.bh1.seq_num = seq;
    for (uint32_t k = 0; k < n; k++) {
        struct tpacket3_hdr *h = (struct tpacket3_hdr *)(void *)(base + off);
        uint32_t mac = (uint32_t)(HDR3 + sizeof(struct sockaddr_ll) + 2);
        mac = TPACKET_ALIGN(mac);
        h->tp_mac = (uint16_t)mac;
        h->tp_snaplen = lens[k];
        h->tp_len = lens[k] + 100;
        h->tp_sec = seq;
        h->tp_nsec = k;
        struct sockaddr_ll *sll = (struct sockaddr_ll *)(void *)(base + off + HDR3);
        sll->sll_pkttype = (uint8_t)k;
        if (vlan_mask & (1u << k)) {
            h->tp_status |= TP_STATUS_VLAN_VALID;
            h->hv1.tp_vlan_tci = (uint16_t)(0x2000 | (100 + k)); /* PCP 1, VID 100+k */
        }
        memset(base + off + mac, (int)(k + 1), lens[k]);
        uint32_t next = TPACKET_ALIGN(mac + lens[k]);
        h->tp_next_offset = k + 1 < n ? next : 0;
        off += next;
        assert_true(off <= BS);
    }
    bd->hdr.bh1.block_status = TP_STATUS_USER;
}

static uint32_t status(struct ring *t, uint32_t i)
{
    return blk(t, i)->hdr.bh1.block_status;
}

static void walks_blocks_in_order(void **state)
{
    (void)state;
    struct ring t;
    ring_init(&t);
    struct ns_tpring_frame f;
    assert_int_equal(ns_tpring_next(&t.r, &f), 0); /* everything the kernel's */

    const uint32_t a[] = {60, 1514, 42};
    const uint32_t b[] = {200};
    fill_block(&t, 0, a, 3, 0, 7);
    fill_block(&t, 1, b, 1, 0, 8);
    for (uint32_t k = 0; k < 3; k++) {
        assert_int_equal(ns_tpring_next(&t.r, &f), 1);
        assert_int_equal(f.caplen, a[k]);
        assert_int_equal(f.wirelen, a[k] + 100);
        assert_int_equal(f.ts_ns, 7000000000ull + k);
        assert_int_equal(f.pkttype, k);
        assert_int_equal(f.has_vlan, 0);
        assert_int_equal(f.data[0], k + 1);
        assert_int_equal(f.data[a[k] - 1], k + 1);
        /* the block stays the reader's while its frames are in use */
        assert_int_equal(status(&t, 0), TP_STATUS_USER);
    }
    assert_int_equal(ns_tpring_next(&t.r, &f), 1);
    assert_int_equal(status(&t, 0), TP_STATUS_KERNEL);
    assert_int_equal(f.caplen, 200);
    assert_int_equal(f.ts_ns, 8000000000ull);
    assert_int_equal(ns_tpring_next(&t.r, &f), 0);
    assert_int_equal(status(&t, 1), TP_STATUS_KERNEL);
    assert_int_equal(ns_tpring_next(&t.r, &f), 0); /* block 2 still the kernel's */

    /* wrap around: blocks 2 then 0 */
    fill_block(&t, 2, b, 1, 0, 9);
    fill_block(&t, 0, b, 1, 0, 10);
    assert_int_equal(ns_tpring_next(&t.r, &f), 1);
    assert_int_equal(f.ts_ns, 9000000000ull);
    assert_int_equal(ns_tpring_next(&t.r, &f), 1);
    assert_int_equal(f.ts_ns, 10000000000ull);
    assert_int_equal(ns_tpring_next(&t.r, &f), 0);
    assert_int_equal(t.r.bad_blocks, 0);
    free(t.mem);
}

static void puts_vlan_tags_back(void **state)
{
    (void)state;
    struct ring t;
    ring_init(&t);
    const uint32_t a[] = {64, 64, 8};
    fill_block(&t, 0, a, 3, 0x5, 1); /* frames 0 and 2 tagged */
    struct ns_tpring_frame f;
    uint8_t buf[256];

    assert_int_equal(ns_tpring_next(&t.r, &f), 1);
    assert_int_equal(f.has_vlan, 1);
    assert_int_equal(f.vlan_tpid, ETH_P_8021Q);
    uint32_t wl = f.wirelen;
    assert_int_equal(ns_tpring_copy(&f, 65535, buf, &wl), 68);
    assert_int_equal(wl, 64 + 100 + 4);
    static const uint8_t tag[4] = {0x81, 0x00, 0x20, 100};
    assert_memory_equal(buf + 12, tag, 4);
    assert_int_equal(buf[11], 1);
    assert_int_equal(buf[16], 1);
    assert_int_equal(buf[67], 1);
    /* a snaplen cut applies to the frame before the tag goes in */
    wl = f.wirelen;
    assert_int_equal(ns_tpring_copy(&f, 20, buf, &wl), 24);

    assert_int_equal(ns_tpring_next(&t.r, &f), 1);
    assert_int_equal(f.has_vlan, 0);
    wl = f.wirelen;
    assert_int_equal(ns_tpring_copy(&f, 65535, buf, &wl), 64);
    assert_int_equal(wl, 164);

    /* too short to hold the addresses: copied as it is */
    assert_int_equal(ns_tpring_next(&t.r, &f), 1);
    assert_int_equal(f.has_vlan, 1);
    wl = f.wirelen;
    assert_int_equal(ns_tpring_copy(&f, 65535, buf, &wl), 8);
    free(t.mem);
}

static void skips_blocks_that_do_not_add_up(void **state)
{
    (void)state;
    struct ring t;
    ring_init(&t);
    const uint32_t a[] = {100, 100};
    struct ns_tpring_frame f;

    /* first frame offset past the block */
    fill_block(&t, 0, a, 2, 0, 1);
    blk(&t, 0)->hdr.bh1.offset_to_first_pkt = BS + 8;
    /* frame claims more bytes than the block holds */
    fill_block(&t, 1, a, 2, 0, 2);
    struct tpacket3_hdr *h =
        (struct tpacket3_hdr *)(void *)(t.mem + BS +
                                        TPACKET_ALIGN(sizeof(struct tpacket_block_desc)));
    h->tp_snaplen = BS;
    /* a next offset leading out of the block: the first frame is good */
    fill_block(&t, 2, a, 2, 0, 3);
    h = (struct tpacket3_hdr *)(void *)(t.mem + 2 * BS +
                                        TPACKET_ALIGN(sizeof(struct tpacket_block_desc)));
    h->tp_next_offset = BS;

    assert_int_equal(ns_tpring_next(&t.r, &f), 1);
    assert_int_equal(f.ts_ns, 3000000000ull);
    assert_int_equal(t.r.bad_blocks, 3);
    assert_int_equal(ns_tpring_next(&t.r, &f), 0);
    for (uint32_t i = 0; i < NB; i++)
        assert_int_equal(status(&t, i), TP_STATUS_KERNEL);

    /* an empty block is handed back too */
    fill_block(&t, 0, a, 0, 0, 4);
    assert_int_equal(ns_tpring_next(&t.r, &f), 0);
    assert_int_equal(status(&t, 0), TP_STATUS_KERNEL);
    free(t.mem);
}

static void open_checks_options(void **state)
{
    (void)state;
    struct ns_live_config c;
    ns_live_config_default(&c);
    struct ns_live *l = NULL;
    struct ns_error err;
    assert_int_equal(ns_live_open(&l, &c, &err), NS_EINVAL); /* no interface */
    const char *ifs[] = {"lo"};
    c.ifaces = ifs;
    c.nifaces = 1;
    c.block_kib = 3; /* not a power of two */
    assert_int_equal(ns_live_open(&l, &c, &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "power of two"));
    ns_live_config_default(&c);
    c.ifaces = ifs;
    c.nifaces = 1;
    c.ring_blocks = 1;
    assert_int_equal(ns_live_open(&l, &c, &err), NS_EINVAL);
    c.ring_blocks = 8;
    c.block_timeout_ms = 0;
    assert_int_equal(ns_live_open(&l, &c, &err), NS_EINVAL);
    c.block_timeout_ms = 10;
    const char *bad[] = {"no-such-if0"};
    c.ifaces = bad;
    assert_int_equal(ns_live_open(&l, &c, &err), NS_EINVAL);
    assert_non_null(strstr(err.msg, "no such interface"));
    assert_null(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(walks_blocks_in_order),
        cmocka_unit_test(puts_vlan_tags_back),
        cmocka_unit_test(skips_blocks_that_do_not_add_up),
        cmocka_unit_test(open_checks_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

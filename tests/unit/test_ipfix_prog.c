/*
 * The grouped program of fixed templates (flowrec_dec.c ns_flowrec_prepare)
 * against the plan walk it stands for: random templates drawn from the
 * mapping table (forward and reverse elements, reduced sizes, odd lengths,
 * unknown elements, duplicates, and the overlapping pairs that must keep
 * the walk), random record bytes, decoded by a store with the program and
 * by one without.  The two records must be identical, octet for octet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "../common/rand_record.h"
#include "ipfix/flowrec.h"
#include "ipfix/flowrec_map.h"
#include "ipfix/tmpl.h"

#define MAXF 80

/* A field of the table, forward or reversed, at a length that is usually
 * netsift's, sometimes another one its conversion accepts or rejects. */
static struct ns_field_spec pick(uint64_t *s)
{
    struct ns_field_spec f = {0};
    if (rr_below(s, 12) == 0) { /* unknown to the mapping: a skip step */
        f.pen = 0;
        f.id = (uint16_t)(400 + rr_below(s, 50));
        f.len = (uint16_t)(1 + rr_below(s, 12));
        return f;
    }
    const struct ns_fr_desc *d = &ns_fr_table[rr_below(s, ns_fr_table_len)];
    f.pen = d->pen;
    f.id = d->id;
    if (d->dir && rr_below(s, 2))
        ns_fr_reverse(d, &f.pen, &f.id);
    f.len = d->len;
    switch (rr_below(s, 8)) {
    case 0:
        f.len = (uint16_t)(1 + rr_below(s, 8)); /* reduced size, or wrong */
        break;
    case 1:
        f.len = 4; /* float32, dateTimeSeconds, or wrong */
        break;
    default:
        break;
    }
    return f;
}

static int same_field(const struct ns_field_spec *a, const struct ns_field_spec *b)
{
    return a->pen == b->pen && a->id == b->id;
}

/* Pairs planted in templates.  The first NOVERLAP write the same record
 * octets under different destinations, so the order of their steps is
 * their meaning; the rest share a destination (one is dropped by
 * priority) or set ip_version from both addresses (the last one wins). */
#define NOVERLAP 4
static const struct ns_field_spec overlaps[][2] = {
    {{0, 60, 1}, {0, 8, 4}},    /* ipVersion, sourceIPv4Address: ip_version */
    {{0, 27, 16}, {0, 60, 1}},  /* sourceIPv6Address, ipVersion */
    {{0, 32, 2}, {0, 177, 1}},  /* icmpTypeCodeIPv4, icmpCodeIPv4: icmp_code */
    {{0, 179, 1}, {0, 139, 2}}, /* icmpCodeIPv6, icmpTypeCodeIPv6 */
    {{0, 32, 2}, {0, 176, 1}},  /* icmpTypeCodeIPv4, icmpTypeIPv4: one destination */
    {{0, 8, 4}, {0, 28, 16}},   /* IPv4 source, IPv6 destination: IPv6 wins */
    {{0, 27, 16}, {0, 12, 4}},  /* and the other way round */
};

static void program_equals_walk(void **state)
{
    (void)state;
    struct ns_error err = {0};
    struct ns_tmpl_store *fast, *walk;
    assert_int_equal(ns_tmpl_store_new(&fast, 64, ns_flowrec_resolve, NULL, &err), 0);
    assert_int_equal(ns_tmpl_store_new(&walk, 64, ns_flowrec_resolve, NULL, &err), 0);
    ns_tmpl_store_set_prepare(fast, ns_flowrec_prog_size, ns_flowrec_prepare);
    uint64_t seed = 20261203;
    size_t with_prog = 0, without = 0;
    struct ns_tmpl_scope sc = {0, 1};
    for (int round = 0; round < 20000; round++) {
        struct ns_field_spec f[MAXF];
        uint16_t n = (uint16_t)(1 + rr_below(&seed, MAXF - 2));
        for (uint16_t i = 0; i < n; i++)
            f[i] = pick(&seed);
        if (rr_below(&seed, 4) == 0) { /* plant an overlapping pair */
            size_t k = rr_below(&seed, sizeof overlaps / sizeof overlaps[0]);
            f[rr_below(&seed, n)] = overlaps[k][0];
            f[n++] = overlaps[k][1];
        }
        if (rr_below(&seed, 8) == 0) { /* the same element twice */
            uint16_t again = (uint16_t)rr_below(&seed, n);
            f[n++] = f[again];
        }
        uint16_t tid = (uint16_t)(256 + round % 64);
        const struct ns_tmpl *tf, *tw;
        int rf = ns_tmpl_store_add(fast, &sc, tid, 0, f, n, &tf, &err);
        int rw = ns_tmpl_store_add(walk, &sc, tid, 0, f, n, &tw, &err);
        assert_int_equal(rf, rw);
        if (rf < 0)
            continue;
        assert_non_null(tf->extra);
        assert_null(tw->extra);
        if (ns_flowrec_prog_ok(tf))
            with_prog++;
        else
            without++;
        /* An overlapping pair that both map must never take the program. */
        for (uint16_t i = 0; i < n; i++)
            for (uint16_t j = 0; j < n; j++)
                for (size_t k = 0; k < NOVERLAP; k++)
                    if (same_field(&f[i], &overlaps[k][0]) && same_field(&f[j], &overlaps[k][1]) &&
                        f[i].len == overlaps[k][0].len && f[j].len == overlaps[k][1].len)
                        assert_false(ns_flowrec_prog_ok(tf));
        uint8_t rec[MAXF * 16 + 16];
        assert_true(tf->min_len <= sizeof rec);
        for (int k = 0; k < 4; k++) {
            for (size_t b = 0; b < tf->min_len; b++)
                rec[b] = (uint8_t)rr_next(&seed);
            struct ns_record a, b;
            memset(&a, 0x55, sizeof a); /* the decoder must clear it */
            memset(&b, 0xAA, sizeof b);
            size_t ua = 0, ub = 0;
            uint32_t now = (uint32_t)rr_next(&seed);
            assert_int_equal(ns_flowrec_decode(tf, rec, tf->min_len, now, &a, &ua, &err), 0);
            assert_int_equal(ns_flowrec_decode(tw, rec, tw->min_len, now, &b, &ub, &err), 0);
            assert_int_equal(ua, ub);
            assert_memory_equal(&a, &b, sizeof a);
        }
    }
    /* Both paths were exercised (else the comparison proves nothing). */
    assert_true(with_prog > 1000);
    assert_true(without > 1000);
    ns_tmpl_store_free(fast);
    ns_tmpl_store_free(walk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(program_equals_walk)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

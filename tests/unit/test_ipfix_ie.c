#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "ipfix/ie.h"
#include "ipfix/ns_ie.h"

static void check(uint32_t pen, uint16_t id, const char *name, enum ns_ie_type t, int sem,
                  int units)
{
    const struct ns_ie *a = ns_ie_by_id(pen, id), *b = ns_ie_by_name(name);
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_string_equal(a->name, name);
    assert_int_equal(a->pen, pen);
    assert_int_equal(a->id, id);
    assert_int_equal(a->type, t);
    assert_int_equal(a->semantics, sem);
    assert_int_equal(a->units, units);
}

static void known_iana(void **state)
{
    check(0, 1, "octetDeltaCount", NS_IET_UNSIGNED64, NS_IES_DELTACOUNTER, NS_IEU_OCTETS);
    check(0, 2, "packetDeltaCount", NS_IET_UNSIGNED64, NS_IES_DELTACOUNTER, NS_IEU_PACKETS);
    check(0, 157, "flowEndNanoseconds", NS_IET_DATETIMENANOSECONDS, NS_IES_DEFAULT,
          NS_IEU_NANOSECONDS);
    check(0, 8, "sourceIPv4Address", NS_IET_IPV4ADDRESS, NS_IES_DEFAULT, NS_IEU_NONE);
    check(0, 27, "sourceIPv6Address", NS_IET_IPV6ADDRESS, NS_IES_DEFAULT, NS_IEU_NONE);
    check(0, 6, "tcpControlBits", NS_IET_UNSIGNED16, NS_IES_FLAGS, NS_IEU_NONE);
    check(0, 148, "flowId", NS_IET_UNSIGNED64, NS_IES_IDENTIFIER, NS_IEU_NONE);
    check(0, 295, "IPSecSPI", NS_IET_UNSIGNED32, NS_IES_IDENTIFIER, NS_IEU_NONE);
    check(0, 352, "layer2OctetDeltaCount", NS_IET_UNSIGNED64, NS_IES_DELTACOUNTER, NS_IEU_OCTETS);
    check(0, 56, "sourceMacAddress", NS_IET_MACADDRESS, NS_IES_DEFAULT, NS_IEU_NONE);
    check(0, 82, "interfaceName", NS_IET_STRING, NS_IES_DEFAULT, NS_IEU_NONE);
    /* RFC 5103 reverse names */
    check(NS_PEN_REVERSE, 1, "reverseOctetDeltaCount", NS_IET_UNSIGNED64, NS_IES_DELTACOUNTER,
          NS_IEU_OCTETS);
    check(NS_PEN_REVERSE, 295, "reverseIPSecSPI", NS_IET_UNSIGNED32, NS_IES_IDENTIFIER,
          NS_IEU_NONE);
    assert_null(ns_ie_by_id(0, 0));     /* reserved */
    assert_null(ns_ie_by_id(0, 30000)); /* unassigned */
    assert_null(ns_ie_by_id(12345, 1)); /* unknown PEN */
    assert_null(ns_ie_by_name("noSuchElement"));
    assert_null(ns_ie_by_name(""));
    assert_int_equal(ns_ie_type_length(NS_IET_DATETIMENANOSECONDS), 8);
    assert_int_equal(ns_ie_type_length(NS_IET_MACADDRESS), 6);
    assert_int_equal(ns_ie_type_length(NS_IET_STRING), NS_IE_VARLEN);
    assert_string_equal(ns_ie_type_name(NS_IET_IPV6ADDRESS), "ipv6Address");
}

static void enterprise(void **state)
{
    check(NS_PEN, NS_IE_LOSS_PACKETS, "lossPackets", NS_IET_SIGNED64, NS_IES_DELTACOUNTER,
          NS_IEU_PACKETS);
    check(NS_PEN, NS_IE_LOSS_PACKETS | 0x4000, "reverseLossPackets", NS_IET_SIGNED64,
          NS_IES_DELTACOUNTER, NS_IEU_PACKETS);
    check(NS_PEN, NS_IE_JITTER_STDDEV_US, "jitterStddevMicroseconds", NS_IET_FLOAT64,
          NS_IES_QUANTITY, NS_IEU_MICROSECONDS);
    check(NS_PEN, NS_IE_SYNACK_US, "synAckMicroseconds", NS_IET_UNSIGNED32, NS_IES_QUANTITY,
          NS_IEU_MICROSECONDS);
    /* per-flow elements have no reverse */
    assert_null(ns_ie_by_id(NS_PEN, NS_IE_SYNACK_US | 0x4000));
    assert_null(ns_ie_by_name("reverseSynAckMicroseconds"));
    /* IANA tcpWindowScale is used instead of an enterprise one */
    assert_int_equal(ns_ie_by_name("tcpWindowScale")->pen, 0);
    assert_int_equal(ns_ie_by_name("tcpWindowScale")->id, 238);
}

/* Every element: lookup by name and by id agree, names are unique,
 * enterprise ids leave room for the reverse bit. */
static void all_agree(void **state)
{
    size_t n = 0;
    const struct ns_ie *e;
    for (size_t i = 0; (e = ns_ie_at(i)) != NULL; i++, n++) {
        assert_non_null(e->name);
        assert_ptr_equal(ns_ie_by_id(e->pen, e->id), e);
        assert_ptr_equal(ns_ie_by_name(e->name), e);
        if (e->pen == NS_PEN_REVERSE) {
            const struct ns_ie *f = ns_ie_by_id(0, e->id);
            assert_non_null(f);
            assert_int_equal(strncmp(e->name, "reverse", 7), 0);
            assert_int_equal(e->type, f->type);
        }
        if (e->pen == NS_PEN && !(e->id & 0x4000)) {
            assert_true(e->id < 0x4000);
        }
    }
    /* 2019 registry: 460 named elements with a type, forward + reverse, plus
     * 17 enterprise + 13 reversed enterprise, 22 of flow selection plus 1
     * of live capture (fsel/optrec.h, not reversible) and 1 of parallel
     * measurement processes (mp/mp.h). */
    assert_int_equal(n, 2 * 460 + 17 + 13 + 22 + 1 + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_iana),
        cmocka_unit_test(enterprise),
        cmocka_unit_test(all_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_select — the property-match compiler and the --select spec parser
 * on arbitrary text: compile (or fail with a message), then run the result
 * over a few fixed packets.  No crash, no leak, no out-of-bounds read; a
 * successful compile must evaluate without error on any packet.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "select/match.h"
#include "select/select.h"

static const uint8_t pkt4[] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x81, 0x00, 0x00,
    0x0a, 0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
    0xc0, 0x00, 0x02, 0x07, 0xc6, 0x33, 0x64, 0x01, 0x10, 0xe1, 0x00, 0xb3, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    struct ns_error e;
    struct ns_pkt p;
    /* the packet, whole and cut short at every 7th length */
    for (uint32_t cut = sizeof pkt4; cut > 0; cut = cut > 7 ? cut - 7 : 0) {
        struct ns_match *m;
        if (ns_match_compile(&m, s, &e) == 0) {
            memset(&p, 0, sizeof p);
            p.caplen = p.wirelen = cut;
            ns_pkt_decode(&p, 1, pkt4);
            (void)ns_match_eval(m, &p, pkt4);
            ns_match_free(m);
        }
        if (cut != sizeof pkt4)
            continue;
        struct ns_sel_chain *c;
        if (ns_sel_chain_create(&c, &e) == 0) {
            if (ns_sel_chain_add_spec(c, s, &e) == 0) {
                int decoded = 0;
                memset(&p, 0, sizeof p);
                p.caplen = p.wirelen = sizeof pkt4;
                (void)ns_sel_chain_run(c, &p, pkt4, 1, &decoded, NULL);
            }
            ns_sel_chain_free(c);
        }
    }
    free(s);
    return 0;
}

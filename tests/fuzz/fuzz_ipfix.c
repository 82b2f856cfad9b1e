/*
 * libFuzzer target: IPFIX message decoder + template store + flowrec
 * decoder.  The input is split into messages by their length fields (the
 * remainder, if the length lies, is fed as one more message) so templates
 * defined in one message are used by data sets of the next.  A fresh,
 * small template store per input keeps runs reproducible.
 */
#include <stddef.h>
#include <stdint.h>

#include "ipfix/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ns_ipfix_dec *d = NULL;
    static struct ns_ipfix_dec dec; /* large: keep it off the stack */
    struct ns_error err;
    if (ns_ipfix_dec_init(&dec, 0, 64, &err) < 0)
        return 0;
    d = &dec;
    size_t off = 0;
    while (off < size) {
        size_t left = size - off, len = left;
        if (left >= 4) {
            size_t l = (size_t)data[off + 2] << 8 | data[off + 3];
            if (l >= 16 && l <= left)
                len = l;
        }
        if (ns_ipfix_dec_message(d, data + off, len, &err) == 0) {
            struct ns_record r;
            int rc, n = 0;
            while ((rc = ns_ipfix_dec_next(d, &r, &err)) == 1) {
                /* touch the record so the decoder's writes are checked */
                n += r.proto + r.dir[0].tcp_flags;
            }
            (void)n;
        }
        off += len;
    }
    ns_ipfix_dec_fini(d);
    return 0;
}

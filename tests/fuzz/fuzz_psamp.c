/*
 * libFuzzer target: the PSAMP reader (report/reader.h) fed message by
 * message, as fuzz_ipfix.c splits its input (templates of one message
 * used by the data sets of the next), every item added to the estimator;
 * and the IPFIX decoder handing PSAMP records over whole (raw_want), as
 * the collector does.
 */
#include <stddef.h>
#include <stdint.h>

#include "ipfix/decode.h"
#include "report/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ns_psamp_reader *r;
    struct ns_error err;
    static struct ns_ipfix_dec dec; /* large: keep it off the stack */
    static struct ns_psamp_est est;
    if (ns_psamp_reader_new(&r, &err) < 0)
        return 0;
    if (ns_ipfix_dec_init(&dec, 0, 64, &err) < 0) {
        ns_psamp_reader_close(r);
        return 0;
    }
    dec.raw_want = ns_psamp_template_kind;
    ns_psamp_est_init(&est);
    size_t off = 0;
    while (off < size) {
        size_t left = size - off, len = left;
        if (left >= 4) {
            size_t l = (size_t)data[off + 2] << 8 | data[off + 3];
            if (l >= 16 && l <= left)
                len = l;
        }
        if (ns_psamp_reader_message(r, data + off, len, &err) == 0) {
            struct ns_psamp_item it;
            unsigned n = 0;
            while (ns_psamp_reader_next(r, &it, &err) == 1) {
                ns_psamp_est_add(&est, &it);
                for (uint32_t i = 0; it.sect && i < it.sect_len; i++)
                    n += it.sect[i]; /* the section lies within the message */
            }
            (void)n;
        }
        if (ns_ipfix_dec_message(&dec, data + off, len, &err) == 0) {
            struct ns_record rec;
            int rc;
            unsigned n = 0;
            while ((rc = ns_ipfix_dec_next(&dec, &rec, &err)) > 0)
                if (rc == 2 && dec.raw_len)
                    n += dec.raw[0] + dec.raw[dec.raw_len - 1];
            (void)n;
        }
        off += len;
    }
    ns_psamp_est_finish(&est);
    ns_ipfix_dec_fini(&dec);
    ns_psamp_reader_close(r);
    return 0;
}

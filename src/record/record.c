#include "record/record.h"

#include <string.h>

void ns_record_clear(struct ns_record *r)
{
    memset(r, 0, sizeof *r);
}

uint64_t ns_record_start_ns(const struct ns_record *r)
{
    uint64_t a = r->dir[0].first_ns, b = r->dir[1].first_ns;
    if (!a)
        return b;
    if (!b)
        return a;
    return a < b ? a : b;
}

uint64_t ns_record_end_ns(const struct ns_record *r)
{
    uint64_t a = r->dir[0].last_ns, b = r->dir[1].last_ns;
    return a > b ? a : b;
}

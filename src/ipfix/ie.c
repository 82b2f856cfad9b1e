#include "ipfix/ie.h"

#include <string.h>

#include "ipfix/ie_table.h"
#include "ipfix/ns_ie.h"

/* netsift's enterprise elements, forward then reverse, from ns_ie.h. */
#define FWD_(N, id, name, rname, t, s, u) {NS_PEN, (id), (t), (s), (u), (name)},
#define REV_(N, id, name, rname, t, s, u)                                                          \
    {NS_PEN, (id) | NS_IE_REVERSE_BIT, (t), (s), (u), (rname)},
static const struct ns_ie ent_fwd[] = {NS_IE_ENTERPRISE(FWD_)};
/* Non-reversible elements leave a hole (name NULL) to keep indices aligned. */
static const struct ns_ie ent_rev[] = {NS_IE_ENTERPRISE(REV_)};
#undef FWD_
#undef REV_
#define ENT_COUNT (sizeof ent_fwd / sizeof ent_fwd[0])

static const struct ns_ie *iana_find(const struct ns_ie *tab, uint16_t id)
{
    size_t lo = 0, hi = ns_ie_iana_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tab[mid].id == id)
            return &tab[mid];
        if (tab[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct ns_ie *ns_ie_by_id(uint32_t pen, uint16_t id)
{
    id &= 0x7FFF; /* tolerate a caller passing the raw field id with the E bit */
    if (pen == NS_PEN_IANA)
        return iana_find(ns_ie_iana, id);
    if (pen == NS_PEN_REVERSE)
        return iana_find(ns_ie_iana_reverse, id);
    if (pen == NS_PEN) {
        for (size_t i = 0; i < ENT_COUNT; i++) {
            if (ent_fwd[i].id == id)
                return &ent_fwd[i];
            if (ent_rev[i].name && ent_rev[i].id == id)
                return &ent_rev[i];
        }
    }
    return NULL;
}

const struct ns_ie *ns_ie_by_name(const char *name)
{
    if (!name)
        return NULL;
    size_t lo = 0, hi = ns_ie_iana_by_name_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ns_ie_iana_by_name[mid]->name, name);
        if (c == 0)
            return ns_ie_iana_by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = 0; i < ENT_COUNT; i++) {
        if (strcmp(ent_fwd[i].name, name) == 0)
            return &ent_fwd[i];
        if (ent_rev[i].name && strcmp(ent_rev[i].name, name) == 0)
            return &ent_rev[i];
    }
    return NULL;
}

const struct ns_ie *ns_ie_at(size_t i)
{
    if (i < ns_ie_iana_count)
        return &ns_ie_iana[i];
    i -= ns_ie_iana_count;
    if (i < ns_ie_iana_count)
        return &ns_ie_iana_reverse[i];
    i -= ns_ie_iana_count;
    if (i < ENT_COUNT)
        return &ent_fwd[i];
    i -= ENT_COUNT;
    /* skip the holes of non-reversible elements */
    for (size_t k = 0; k < ENT_COUNT; k++) {
        if (!ent_rev[k].name)
            continue;
        if (i == 0)
            return &ent_rev[k];
        i--;
    }
    return NULL;
}

uint16_t ns_ie_type_length(enum ns_ie_type t)
{
    switch (t) {
    case NS_IET_UNSIGNED8:
    case NS_IET_SIGNED8:
    case NS_IET_BOOLEAN:
        return 1;
    case NS_IET_UNSIGNED16:
    case NS_IET_SIGNED16:
        return 2;
    case NS_IET_UNSIGNED32:
    case NS_IET_SIGNED32:
    case NS_IET_FLOAT32:
    case NS_IET_DATETIMESECONDS:
    case NS_IET_IPV4ADDRESS:
        return 4;
    case NS_IET_UNSIGNED64:
    case NS_IET_SIGNED64:
    case NS_IET_FLOAT64:
    case NS_IET_DATETIMEMILLISECONDS:
    case NS_IET_DATETIMEMICROSECONDS:
    case NS_IET_DATETIMENANOSECONDS:
        return 8;
    case NS_IET_MACADDRESS:
        return 6;
    case NS_IET_IPV6ADDRESS:
        return 16;
    case NS_IET_OCTETARRAY:
    case NS_IET_STRING:
    case NS_IET_BASICLIST:
    case NS_IET_SUBTEMPLATELIST:
    case NS_IET_SUBTEMPLATEMULTILIST:
        return NS_IE_VARLEN;
    }
    return NS_IE_VARLEN;
}

const char *ns_ie_type_name(enum ns_ie_type t)
{
    static const char *const names[] = {"octetArray",
                                        "unsigned8",
                                        "unsigned16",
                                        "unsigned32",
                                        "unsigned64",
                                        "signed8",
                                        "signed16",
                                        "signed32",
                                        "signed64",
                                        "float32",
                                        "float64",
                                        "boolean",
                                        "macAddress",
                                        "string",
                                        "dateTimeSeconds",
                                        "dateTimeMilliseconds",
                                        "dateTimeMicroseconds",
                                        "dateTimeNanoseconds",
                                        "ipv4Address",
                                        "ipv6Address",
                                        "basicList",
                                        "subTemplateList",
                                        "subTemplateMultiList"};
    if ((unsigned)t < sizeof names / sizeof names[0])
        return names[t];
    return "unknown";
}

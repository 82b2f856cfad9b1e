#include "ipfix/typeinfo.h"

#include <string.h>

#include "ipfix/be.h"
#include "ipfix/ns_ie.h"
#include "util/err.h"

/* RFC 5610 §3 elements (IANA ids) */
enum {
    IE_PEN = 346,         /* privateEnterpriseNumber */
    IE_IE_ID = 303,       /* informationElementId */
    IE_TYPE = 339,        /* informationElementDataType */
    IE_SEMANTICS = 344,   /* informationElementSemantics */
    IE_UNITS = 345,       /* informationElementUnits */
    IE_NAME = 341,        /* informationElementName */
    IE_DESC = 340,        /* informationElementDescription */
    IE_RANGE_BEGIN = 342, /* informationElementRangeBegin */
    IE_RANGE_END = 343    /* informationElementRangeEnd */
};

/* RFC 5610 §3.9 lists name as the only mandatory non-scope field, but
 * libfixbuf recognises a type template only when it has all of these
 * (fbInfoModelTypeInfoRecord): the range and description go along, zero
 * and empty. */
static const struct ns_field_spec tmpl[] = {
    {0, IE_PEN, 4},       {0, IE_IE_ID, 2},        {0, IE_TYPE, 1},
    {0, IE_SEMANTICS, 1}, {0, IE_UNITS, 2},        {0, IE_RANGE_BEGIN, 8},
    {0, IE_RANGE_END, 8}, {0, IE_NAME, NS_VARLEN}, {0, IE_DESC, NS_VARLEN},
};

static int put_one(struct ns_msg_enc *e, uint16_t id, const char *name, uint8_t type, uint8_t sem,
                   uint8_t units)
{
    size_t nl = strlen(name);
    uint8_t *p = ns_msg_enc_reserve(e, 26 + 1 + nl + 1);
    if (!p)
        return NS_EFULL;
    ns_put32(p, NS_PEN);
    ns_put16(p + 4, id);
    p[6] = type;
    p[7] = sem == NS_IES_UNSPEC ? 0 : sem;
    ns_put16(p + 8, units);
    ns_put64(p + 10, 0); /* range: none */
    ns_put64(p + 18, 0);
    ns_varlen_put(p + 26, 1 + nl, name, nl); /* names are < 255 octets */
    p[27 + nl] = 0;                          /* empty description */
    return 1;
}

struct typeinfo {
    const char *name;
    uint16_t id;
    uint8_t type, sem, units;
};

/* Forward and reverse entries, in the order ns_ie.h lists them. */
static const struct typeinfo all[] = {
#define NS_TI_(N, id, name, rname, t, s, u)                                                        \
    {(name), (id), (t), (s), (u)},                                                                 \
        {(rname), (uint16_t)((rname) ? ((id) | NS_IE_REVERSE_BIT) : 0), (t), (s), (u)},
    NS_IE_ENTERPRISE(NS_TI_)
#undef NS_TI_
};

/* Entries whose name is NULL stand for elements without a reverse. */
static int entry_count(void)
{
    return (int)(sizeof all / sizeof all[0]);
}

int ns_typeinfo_encode(struct ns_msg_enc *e, int *next)
{
    if (*next == 0) {
        size_t tl = 6 + sizeof tmpl / sizeof tmpl[0] * 4;
        if (ns_msg_enc_set_open(e, NS_SET_OPTIONS_TEMPLATE, tl) < 0 ||
            ns_msg_enc_template(e, NS_TYPEINFO_TID, tmpl, sizeof tmpl / sizeof tmpl[0], 2) < 0)
            return NS_EFULL;
        ns_msg_enc_set_close(e);
    }
    if (ns_msg_enc_set_open(e, NS_TYPEINFO_TID, 28) < 0)
        return *next == 0 ? 0 : NS_EFULL; /* the template alone filled it */
    int n = 0;
    for (; *next < entry_count(); ++*next) {
        const struct typeinfo *t = &all[*next];
        if (!t->name)
            continue;
        if (put_one(e, t->id, t->name, t->type, t->sem, t->units) < 0)
            break;
        n++;
    }
    ns_msg_enc_set_close(e);
    return n;
}

int ns_typeinfo_slots(void)
{
    return entry_count();
}

int ns_typeinfo_count(void)
{
    int n = 0;
    for (int i = 0; i < entry_count(); i++)
        n += all[i].name != NULL;
    return n;
}

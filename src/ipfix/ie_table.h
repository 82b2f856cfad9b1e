/*
 * ie_table.h — internal: the generated IANA tables (ie_table.c, from
 * tools/gen_ie_table.py).  Only ie.c reads these; everyone else uses ie.h.
 * ns_ie_iana and ns_ie_iana_reverse are sorted by id; ns_ie_iana_by_name
 * holds pointers into both, sorted by strcmp() order of the names.
 */
#ifndef NS_IPFIX_IE_TABLE_H
#define NS_IPFIX_IE_TABLE_H

#include "ipfix/ie.h"

extern const struct ns_ie ns_ie_iana[];
extern const struct ns_ie ns_ie_iana_reverse[];
extern const size_t ns_ie_iana_count;
extern const struct ns_ie *const ns_ie_iana_by_name[];
extern const size_t ns_ie_iana_by_name_count;

#endif

/*
 * typeinfo.h — RFC 5610 Information Element type records for netsift's
 * enterprise elements.
 *
 * A collector that has never heard of PEN 32473 cannot know that
 * lossPackets is a signed64 delta counter: without help it prints the bytes
 * as an unknown ("alien") element, and may even guess the wrong byte order.
 * RFC 5610 lets the exporter say it in-band: an options template scoped by
 * (privateEnterpriseNumber, informationElementId) whose records carry each
 * element's data type, semantics, units and name.  Every netsift IPFIX
 * stream starts with one such message, so `ipfixDump --rfc5610`, libfixbuf
 * collectors and anything else that implements RFC 5610 decode netsift's
 * elements by name and type.
 *
 * The options template uses id NS_TYPEINFO_TID, outside the range the flow
 * record templates are assigned from (flowrec.h).
 */
#ifndef NS_IPFIX_TYPEINFO_H
#define NS_IPFIX_TYPEINFO_H

#include <stddef.h>

#include "ipfix/msg.h"

#define NS_TYPEINFO_TID 0xFF00u

/* Append type records, starting with record `*next` (0 the first time: the
 * options template set goes first then), to the message being built in
 * `e`, as many as fit.  Advances *next; returns the number of records
 * written (so the caller can count them in the sequence number), or
 * NS_EFULL when not even the first fits an empty message.  The caller
 * flushes and calls again while *next < ns_typeinfo_slots(). */
int ns_typeinfo_encode(struct ns_msg_enc *e, int *next);

/* How many type records ns_typeinfo_encode() writes. */
/* Slots of the encoder's table (the `next` cursor's end): records and the
 * empty reverse slots of elements that have no reverse. */
int ns_typeinfo_slots(void);
int ns_typeinfo_count(void);

#endif

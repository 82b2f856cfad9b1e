/*
 * input.h — packet reports for trajectory analysis, from IPFIX files.
 *
 * Any exporter's packet reports will do, not only netsift's: a data
 * record counts as a report when its template carries digestHashValue
 * (IE 326) and an observation time (observationTimeNanoseconds 325,
 * Microseconds 324, Milliseconds 323 or Seconds 322, finest first; else
 * flowStartNanoseconds/Microseconds/Milliseconds 156/155/152 as some
 * exporters stamp packet reports).  Its selection number is
 * selectorIdTotalPktsSelected (IE 319) when the template has it — the
 * count of packets the (last) selector had selected, this one included —
 * which is what lets trajectory analysis tell a lost report from a lost
 * packet; without it every unmatched packet counts as lost, and the
 * statistics say so.
 *
 * The reader walks messages and templates itself (ipfix/msg.h): it needs
 * three fields of records the flow decoder has no use for.  Templates are
 * scoped per observation domain (RFC 7011 §8); `domain` < 0 takes reports
 * of every domain, otherwise only that one, so a collector's file holding
 * several observation points can be split by domain.  Options records
 * (statistics, interpretation) are skipped and counted.
 *
 * Errors: a file that is not IPFIX, or a message cut short, ends reading
 * with NS_EFORMAT / NS_ETRUNC and a message naming the offset; the reports
 * read before it are kept in the point (nothing read is lost).
 */
#ifndef NS_TRAJ_INPUT_H
#define NS_TRAJ_INPUT_H

#include <stdint.h>

#include "traj/traj.h"
#include "util/err.h"

struct ns_traj_read_stats {
    uint64_t messages;
    uint64_t reports;         /* records taken as reports */
    uint64_t numbered;        /* of them, with a selection number */
    uint64_t other_records;   /* data records without digest or time */
    uint64_t options_records; /* skipped */
    uint64_t unknown_sets;    /* data sets whose template was never seen */
    uint64_t other_domains;   /* reports of other observation domains */
};

int ns_traj_read_file(const char *path, long domain, struct ns_traj_point *p,
                      struct ns_traj_read_stats *st, struct ns_error *err);

#endif

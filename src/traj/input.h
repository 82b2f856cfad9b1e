/*
 * input.h — packet reports for trajectory analysis, from IPFIX files.
 *
 * Any exporter's packet reports will do, not only netsift's: they are read
 * with the PSAMP reader (report/reader.h), and a report counts when it
 * carries digestHashValue (IE 326) and an observation time.  Its selection
 * number is the last selector's selectorIdTotalPktsSelected (IE 319) — the
 * count of packets that selector had selected, this one included — which
 * is what lets trajectory analysis tell a lost report from a lost packet;
 * without it every unmatched packet counts as lost, and the statistics say
 * so.  `domain` < 0 takes reports of every observation domain, otherwise
 * only that one, so a collector's file holding several observation points
 * can be split by domain.
 *
 * Errors: a file that is not IPFIX, or a message cut short, ends reading
 * with the reader's error (prefixed with the path); the reports read
 * before it are kept in the point (nothing read is lost).
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
    uint64_t other_records;   /* packet reports without digest or time */
    uint64_t options_records; /* interpretation and statistics (skipped) */
    uint64_t unknown_sets;    /* data sets the reader skipped */
    uint64_t other_domains;   /* reports of other observation domains */
};

int ns_traj_read_file(const char *path, long domain, struct ns_traj_point *p,
                      struct ns_traj_read_stats *st, struct ns_error *err);

#endif

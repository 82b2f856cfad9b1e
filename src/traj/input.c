#include "traj/input.h"

#include <string.h>

#include "report/reader.h"

int ns_traj_read_file(const char *path, long domain, struct ns_traj_point *p,
                      struct ns_traj_read_stats *st, struct ns_error *err)
{
    memset(st, 0, sizeof *st);
    struct ns_psamp_reader *r;
    int rc = ns_psamp_reader_open(&r, path, err);
    if (rc < 0)
        return rc;
    struct ns_psamp_item it;
    while ((rc = ns_psamp_reader_next(r, &it, err)) > 0) {
        if (it.kind != NS_PSAMP_REPORT)
            continue;
        if (!(it.has & NS_PH_DIGEST) || !(it.has & NS_PH_TIME)) {
            st->other_records++;
            continue;
        }
        if (domain >= 0 && (uint32_t)domain != it.obs_domain) {
            st->other_domains++;
            continue;
        }
        /* the last selector's count of selected packets, this one included */
        uint64_t seq = (it.has & NS_PH_SELECTED) && it.nsel ? it.selected[it.nsel - 1] : 0;
        if ((rc = ns_traj_point_add(p, &(struct ns_traj_obs){it.digest, it.time_ns, seq}, err)) < 0)
            break;
        st->reports++;
        st->numbered += seq != 0;
    }
    struct ns_psamp_reader_stats rs;
    ns_psamp_reader_stats(r, &rs);
    st->messages = rs.messages;
    st->options_records = rs.options;
    st->unknown_sets = rs.skipped_sets;
    ns_psamp_reader_close(r);
    if (rc < 0)
        ns_error_prefix(err, "%s: ", path);
    return rc < 0 ? rc : NS_OK;
}

/*
 * nft.h — running the nft(8) binary for `netsift cull apply|remove`.
 *
 * Design
 * ------
 * The Linux filter is installed through the nft command rather than
 * libnftables so netsift links nothing new and the operator can replay
 * exactly what was run (`--dry-run` prints the same script).  nft reads a
 * whole script before it commits it as one transaction, so writing the
 * script to its stdin and then reading its output cannot deadlock.
 *
 * Ownership: output is copied into the caller's buffer (truncated, always
 * NUL-terminated).  Returns nft's exit status (0 = success), or a negative
 * NS_E* when nft could not be run at all.  Never prints.
 */
#ifndef NS_CULL_NFT_H
#define NS_CULL_NFT_H

#include <stddef.h>

#include "util/err.h"

/* Run `nft ARGS...` (argv[0] is the program; searched in PATH, then
 * /usr/sbin and /sbin, where Debian puts nft), with `input` (may be NULL)
 * on stdin; stdout and stderr go into `out`. */
int ns_cull_nft_run(const char *const *argv, const char *input, char *out, size_t outcap,
                    struct ns_error *e);

/* Whether a bridge table of that name exists: 1 yes, 0 no, <0 cannot run
 * nft. */
int ns_cull_nft_table_exists(const char *nft, const char *table, struct ns_error *e);

/* How an interface looks in this network namespace. */
enum ns_cull_port_state {
    NS_CULL_PORT_MISSING,     /* no such interface */
    NS_CULL_PORT_NOT_BRIDGED, /* exists, not enslaved to a bridge */
    NS_CULL_PORT_BRIDGED,     /* a bridge port: the filter will see its frames */
};
enum ns_cull_port_state ns_cull_port_state(const char *ifname);

#endif

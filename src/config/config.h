/*
 * config.h — netsift's configuration file: YAML whose structure follows the
 * IPFIX/PSAMP configuration data model of RFC 6728 (§4: observation
 * points, selection processes, caches, exporting processes with their
 * destinations, collecting processes), read with libyaml.
 *
 * Why this shape.  RFC 6728 names the parts of a metering device and how
 * they feed each other (observationPoint → selectionProcess → cache →
 * exportingProcess → destination); an operator who knows IPFIX finds each
 * knob where the standard puts it, under the standard's name
 * (activeTimeout, idleTimeout, maxFlows, destinationPort,
 * templateRefreshTimeout, ...).  RFC 6728 is a YANG model for NETCONF;
 * netsift keeps its tree and names, not NETCONF: one file, read at start
 * and again on SIGHUP.  What netsift has beyond the model is named in the
 * same camelCase style and marked "netsift" in netsift.conf(5)
 * (tcpIdleTimeout, the capture ring, netsiftSpec selectors, operation).
 *
 * netsift meters one pipeline per process, so each part appears once (a
 * one-element list or a plain mapping); the `name` of each part and the
 * references between them (observationPoint.selectionProcess,
 * selectionProcess.cache, cache.exportingProcess) are checked when given.
 *
 * Units (RFC 6728): timeouts in seconds, timeInterval/timeSpace in
 * microseconds, as plain integers; a string with a unit ("500ms", "2m")
 * is taken too.
 *
 * Errors.  Every problem — YAML syntax, a key the model does not have, a
 * value of the wrong type or out of range, a reference to a part not
 * defined — is reported as "FILE:LINE:COLUMN: message" (1-based, where
 * the offending node starts), NS_EINVAL (NS_EIO when the file cannot be
 * read).  Nothing is half-applied: a failed parse leaves *out cleared.
 *
 * Ownership: ns_conf_parse_* fill a caller-provided struct whose strings
 * are allocated; ns_conf_free() releases them.  No global state.
 */
#ifndef NS_CONFIG_CONFIG_H
#define NS_CONFIG_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/live.h"
#include "export/export.h"
#include "meter/meter.h"
#include "util/err.h"

#define NS_CONF_MAX      16 /* interfaces, selectors, destinations, listeners */
#define NS_CONF_NAME_MAX 64

/* Parts present in the file (bits of ns_conf.have). */
enum {
    NS_CONF_OP = 1u << 0,      /* observationPoint */
    NS_CONF_SEL = 1u << 1,     /* selectionProcess */
    NS_CONF_CACHE = 1u << 2,   /* cache */
    NS_CONF_EXPORT = 1u << 3,  /* exportingProcess */
    NS_CONF_COLLECT = 1u << 4, /* collectingProcess */
    NS_CONF_OPER = 1u << 5     /* operation (netsift) */
};

struct ns_conf {
    char path[256];
    unsigned have;
    /* observationPoint */
    char op_name[NS_CONF_NAME_MAX];
    uint32_t obs_domain; /* observationDomainId */
    char *ifaces[NS_CONF_MAX];
    size_t nifaces;
    struct ns_live_config live; /* capture, ringBlocks, blockSize, blockTimeout, snapLength */
    char *filter;               /* netsift: capture filter (tcpdump syntax) */
    /* selectionProcess: selectors in --select syntax (select.h), in order */
    char sp_name[NS_CONF_NAME_MAX];
    char *selectors[NS_CONF_MAX];
    size_t nselectors;
    /* cache: timeoutCache */
    char cache_name[NS_CONF_NAME_MAX];
    struct ns_meter_config meter;
    /* exportingProcess: network destinations as URLs, one file writer */
    char ep_name[NS_CONF_NAME_MAX];
    char *dests[NS_CONF_MAX];
    char dest_names[NS_CONF_MAX][NS_CONF_NAME_MAX];
    size_t ndests;
    char *file;    /* fileWriter.file */
    int file_zstd; /* fileWriter.zstd level (netsift), 0 = plain */
    int file_zstd_set;
    struct ns_export_config export; /* mtu, refresh, delay, rate, stats, buffer */
    /* collectingProcess */
    char cp_name[NS_CONF_NAME_MAX];
    char *listen[NS_CONF_MAX];
    size_t nlisten;
    char *store;        /* fileWriter.file: strftime pattern */
    uint64_t rotate_ns; /* fileWriter.rotate (netsift) */
    int store_zstd;
    /* operation (netsift): running as a service */
    char *user; /* NAME[:GROUP] */
    char *pidfile;
    char *metrics; /* HOST:PORT */
    uint64_t stats_ns;
    int daemon;
};

/* Defaults of every part (the library's own defaults). */
void ns_conf_init(struct ns_conf *c);
/* Parse `text` (len bytes); `name` is used in messages. */
int ns_conf_parse_string(struct ns_conf *out, const char *name, const char *text, size_t len,
                         struct ns_error *err);
int ns_conf_parse_file(struct ns_conf *out, const char *path, struct ns_error *err);
void ns_conf_free(struct ns_conf *c);

/* Parse a duration: an integer in `unit_ns` units, or a number with a unit
 * (us, ms, s, m, h).  0 on success. */
int ns_conf_duration(const char *s, uint64_t unit_ns, uint64_t *ns);

/* Write a YAML string scalar (double-quoted, escaped) to f. */
void ns_conf_write_str(FILE *f, const char *s);
/* Write a duration the way the file takes it back ("60s", "500ms"). */
void ns_conf_write_duration(FILE *f, uint64_t ns);

#endif

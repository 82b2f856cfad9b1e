/*
 * export_opts.h — the network export options (--export URL and its
 * policies) shared by commands that produce records (probe today), so each
 * command adds a handful of lines: the long options, one call in its
 * option switch, start before the run, finish after it.
 */
#ifndef NS_CMD_EXPORT_OPTS_H
#define NS_CMD_EXPORT_OPTS_H

#include <getopt.h>

#include "export/export.h"
#include "export/tlsctx.h"

enum {
    CMD_O_EXPORT = 2000,
    CMD_O_MTU,
    CMD_O_TREFRESH,
    CMD_O_TREFRESH_MSGS,
    CMD_O_XDELAY,
    CMD_O_XRATE,
    CMD_O_XRATE_DROP,
    CMD_O_XONE,
    CMD_O_XBUFFER,
    CMD_O_XSTATS,
    CMD_O_XLINGER,
    CMD_O_TLS_CERT,
    CMD_O_TLS_KEY,
    CMD_O_TLS_CA,
    CMD_O_TLS_NAME,
    CMD_O_SCTP_TTL
};

#define CMD_EXPORT_LONGOPTS                                                                        \
    {"export", 1, 0, CMD_O_EXPORT}, {"mtu", 1, 0, CMD_O_MTU},                                      \
        {"template-refresh", 1, 0, CMD_O_TREFRESH},                                                \
        {"template-refresh-msgs", 1, 0, CMD_O_TREFRESH_MSGS},                                      \
        {"export-delay", 1, 0, CMD_O_XDELAY}, {"export-rate", 1, 0, CMD_O_XRATE},                  \
        {"export-rate-drop", 0, 0, CMD_O_XRATE_DROP},                                              \
        {"export-one-per-message", 0, 0, CMD_O_XONE}, {"export-buffer", 1, 0, CMD_O_XBUFFER},      \
        {"export-stats", 1, 0, CMD_O_XSTATS}, {"export-linger", 1, 0, CMD_O_XLINGER},              \
        {"tls-cert", 1, 0, CMD_O_TLS_CERT}, {"tls-key", 1, 0, CMD_O_TLS_KEY},                      \
        {"tls-ca", 1, 0, CMD_O_TLS_CA}, {"sctp-ttl", 1, 0, CMD_O_SCTP_TTL},                        \
    {                                                                                              \
        "tls-name", 1, 0, CMD_O_TLS_NAME                                                           \
    }

#define CMD_EXPORT_HELP                                                                            \
    "  --export URL     also (or, without -w, only) send the records to an IPFIX\n"                \
    "                   collector: udp://HOST:PORT, tcp://, tls:// (TLS over TCP),\n"              \
    "                   dtls:// (DTLS over UDP), sctp:// (kernel SCTP) or\n"                       \
    "                   sctp+udp://HOST:PORT[?udp=U] (userspace SCTP over UDP, from\n"             \
    "                   local UDP port U) (IPv6 in brackets; port 4739, tls and dtls\n"            \
    "                   4740, by default); repeatable\n"                                           \
    "  --sctp-ttl MS    SCTP: data older than MS milliseconds is abandoned and\n"                  \
    "                   counted (PR-SCTP; default 5000, 0 = fully reliable)\n"                     \
    "  --mtu N          UDP path MTU (default 1500): messages stay within it\n"                    \
    "  --template-refresh SEC   UDP: resend templates every SEC (default 60s)\n"                   \
    "  --template-refresh-msgs N  UDP: and every N messages (default 1000)\n"                      \
    "  --export-delay SEC  longest a record waits in a message (default 1s)\n"                     \
    "  --export-rate N  at most N records/s (waits; --export-rate-drop drops\n"                    \
    "                   and counts instead)\n"                                                     \
    "  --export-one-per-message  one record per message\n"                                         \
    "  --export-buffer BYTES  TCP queue while the collector is slow or away\n"                     \
    "                   (default 4M); what overflows is dropped and counted\n"                     \
    "  --export-stats SEC  statistics options records every SEC (default 60s)\n"                   \
    "  --export-linger SEC  at the end, time left to deliver (default 5s)\n"                       \
    "  --tls-cert FILE  tls://, dtls://: our PEM certificate (chain), shown to\n"                  \
    "                   the collector\n"                                                           \
    "  --tls-key FILE   its PEM private key (unencrypted)\n"                                       \
    "  --tls-ca FILE    PEM CA certificate(s) the collector's chain must lead to\n"                \
    "  --tls-name NAME  the name the collector's certificate must carry\n"                         \
    "                   (default: the URL's host, an IP address checked as one)\n"

struct cmd_export {
    struct ns_export_config c;
    const char *urls[NS_EXPORT_MAX_DESTS];
    struct ns_tls_config tls;
    struct ns_exporter *x;
};

void cmd_export_init(struct cmd_export *e);
/* The command's long options followed by the export options (a static
 * array: call once per command run). */
const struct option *cmd_export_longopts(const struct option *own);
/* 1 when `opt` was an export option (dies on a bad value), else 0. */
int cmd_export_option(struct cmd_export *e, const char *cmd, int opt, const char *arg);
/* ns_exporter_opt for a probe sink (probe.h: ctx is the exporter). */
int cmd_exporter_opt(void *x, uint16_t tid, uint16_t scope_count, const struct ns_field_spec *f,
                     uint16_t n, const uint8_t *rec, struct ns_error *err);
/* Start exporting (dies on failure); 0 when no --export was given. */
int cmd_export_start(struct cmd_export *e, const char *cmd, uint32_t obs_domain);
/* Deliver what is left, close, print one summary line per collector.
 * Returns 1 when records were dropped. */
int cmd_export_finish(struct cmd_export *e, const char *cmd, int quiet);

#endif

/*
 * tmpl.h — template store and template-compiled decode plans (RFC 7011 §8).
 *
 * Design
 * ------
 * Templates are kept per scope.  The scope key is explicit: today the
 * observation domain within one input (a file: session 0); transport
 * sessions (UDP exporter address, SCTP association, TCP connection) will
 * number themselves in `session` — RFC 7011 §8 scopes template ids to the
 * transport session and observation domain.
 *
 * When a template arrives it is compiled ONCE into a plan: a list of steps
 * {wire length or variable, fixed offset, action}.  The action of each field
 * comes from a resolver supplied by the record mapping (flowrec.h), so the
 * store knows encoding, not meaning.  Compilation merges runs of unmapped
 * fixed-length fields into one skip step, and when two fields target the
 * same destination (e.g. octetDeltaCount and octetTotalCount) keeps the one
 * of higher priority.  Decoding a data record then walks the plan, never
 * the template.
 *
 * A resolver may also want its own compiled form of each template (the
 * flowrec decoder groups the steps of a fixed template by conversion, so a
 * record is a few tight loops instead of one switch per field):
 * ns_tmpl_store_set_prepare() reserves `extra` octets in every template's
 * allocation (zeroed, 8-aligned, freed with the template) and calls
 * prepare(ctx, t) once the plan is compiled.  What the extra holds is the
 * resolver's business; the store never reads it.
 *
 * Hostile input: the number of templates is bounded (max_templates at
 * creation; a new template beyond it fails with NS_EFULL), as are the
 * fields per template (NS_TMPL_MAX_FIELDS) and in all templates
 * (NS_TMPL_MAX_TOTAL_FIELDS).  Template memory is allocated when a
 * template is added (never per record) and owned by the store; a pointer
 * returned by ns_tmpl_store_get() is valid until that template is replaced
 * or withdrawn, or the store is freed.
 */
#ifndef NS_IPFIX_TMPL_H
#define NS_IPFIX_TMPL_H

#include <stddef.h>
#include <stdint.h>

#include "ipfix/msg.h"
#include "util/err.h"

#define NS_TMPL_MAX_FIELDS       512
#define NS_TMPL_DEFAULT_MAX      1024
#define NS_TMPL_MAX_TOTAL_FIELDS (1 << 20) /* all templates of a store: ≈ 20 MiB */

struct ns_tmpl_scope {
    uint32_t session;    /* transport session; 0 for a file */
    uint32_t obs_domain; /* observation domain id of the message header */
};

/* What to do with one field; opaque to the store except op 0 = skip. */
struct ns_tmpl_action {
    uint8_t op;     /* 0: skip */
    uint8_t width;  /* destination width, resolver-defined */
    uint8_t prio;   /* higher wins when two fields share dst */
    uint8_t flags;  /* resolver-defined */
    uint16_t dst;   /* destination offset, resolver-defined */
    uint16_t group; /* presence bits the field contributes */
};

typedef struct ns_tmpl_action (*ns_tmpl_resolve_fn)(void *ctx, const struct ns_field_spec *f);

struct ns_plan_step {
    uint16_t len; /* wire length, NS_VARLEN for variable length */
    uint16_t off; /* offset in the record when the template is fixed */
    struct ns_tmpl_action act;
};

struct ns_tmpl {
    struct ns_tmpl_scope scope;
    uint16_t tid;
    uint16_t nfields;
    uint16_t scope_count; /* options templates */
    uint8_t options;
    uint8_t fixed;    /* no variable-length field: every record is min_len */
    uint32_t min_len; /* octets of the smallest possible record (≥ 1) */
    uint32_t present; /* OR of the groups of the mapped fields */
    uint16_t nsteps;
    uint16_t unknown; /* fields the resolver did not map */
    const struct ns_field_spec *fields;
    const struct ns_plan_step *steps;
    uint64_t stamp; /* store clock when (re)defined (ns_tmpl_store_set_now) */
    /* The decoder's once-per-template answer of its owner's raw_want
     * (decode.h): 0 not asked yet, 1 no, 2 yes.  Asking per data set cost
     * a collector ~750 instructions per record (four field scans per set). */
    uint8_t raw_mark;
    /* Unique in the store, new with each definition that differs from the
     * one it replaces; a refresh with the same fields (RFC 7011 §8.4)
     * keeps the template, its plan and its serial, and only moves stamp. */
    uint64_t serial;
    void *extra; /* ns_tmpl_store_set_prepare room, NULL without */
};

typedef void (*ns_tmpl_prepare_fn)(void *ctx, const struct ns_tmpl *t);
/* Octets of extra room for a template of nfields fields (its plan has at
 * most that many steps). */
typedef size_t (*ns_tmpl_extra_fn)(uint16_t nfields);

struct ns_tmpl_store;

int ns_tmpl_store_new(struct ns_tmpl_store **s, size_t max_templates, ns_tmpl_resolve_fn resolve,
                      void *ctx, struct ns_error *err);
void ns_tmpl_store_free(struct ns_tmpl_store *s);

/* Add or replace (§8.1) a template.  Rejects (NS_EFORMAT) a template whose
 * records would be empty (every field fixed with length 0), NS_EFULL past
 * the bounds.  *out (may be NULL) receives the compiled template. */
int ns_tmpl_store_add(struct ns_tmpl_store *s, const struct ns_tmpl_scope *sc, uint16_t tid,
                      uint16_t scope_count, const struct ns_field_spec *f, uint16_t n,
                      const struct ns_tmpl **out, struct ns_error *err);
/* Withdraw one template, or when tid is 2 (3) all templates (options
 * templates) of the scope (§8.1).  Returns how many were removed. */
int ns_tmpl_store_withdraw(struct ns_tmpl_store *s, const struct ns_tmpl_scope *sc, uint16_t tid);
const struct ns_tmpl *ns_tmpl_store_get(const struct ns_tmpl_store *s,
                                        const struct ns_tmpl_scope *sc, uint16_t tid);
size_t ns_tmpl_store_count(const struct ns_tmpl_store *s);
/* Clock stamped on templates as they are added (a collector's template
 * lifetime, RFC 7011 §8.4); 0 unless set. */
void ns_tmpl_store_set_now(struct ns_tmpl_store *s, uint64_t now);
/* Give every template added from now on extra_size(nfields) octets at
 * t->extra and call prepare(ctx, t) on it (ctx: the resolver's). */
void ns_tmpl_store_set_prepare(struct ns_tmpl_store *s, ns_tmpl_extra_fn extra_size,
                               ns_tmpl_prepare_fn prepare);
/* Lower the bound on fields over all templates (per-exporter memory
 * budget of a collector); 0 keeps NS_TMPL_MAX_TOTAL_FIELDS. */
void ns_tmpl_store_set_max_fields(struct ns_tmpl_store *s, size_t max_fields);

#endif

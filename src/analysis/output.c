#include "analysis/output.h"

#include <errno.h>
#include <string.h>

const char ns_default_fields[] =
    "stime,dur,proto,saddr,sport,dir,daddr,dport,spkts,dpkts,sbytes,dbytes,loss,state";

int ns_format_parse(const char *s, enum ns_format *fmt, struct ns_error *err)
{
    if (!strcmp(s, "table"))
        *fmt = NS_FMT_TABLE;
    else if (!strcmp(s, "csv"))
        *fmt = NS_FMT_CSV;
    else if (!strcmp(s, "json"))
        *fmt = NS_FMT_JSON;
    else
        return ns_error_set(err, NS_EINVAL, "unknown format '%s' (table, csv, json)", s);
    return NS_OK;
}

int ns_printer_init(struct ns_printer *p, FILE *out, enum ns_format fmt, const char *list,
                    struct ns_error *err)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->fmt = fmt;
    const char *s = list;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char name[64];
        if (n == 0 || n >= sizeof name)
            return ns_error_set(err, NS_EINVAL, "bad field list '%s'", list);
        memcpy(name, s, n);
        name[n] = 0;
        const struct ns_field *f = ns_field_find(name);
        if (!f)
            return ns_error_set(err, NS_EINVAL,
                                "unknown field '%s' (netsift read --help lists them)", name);
        if (p->nfields == NS_PRINTER_MAX_FIELDS)
            return ns_error_set(err, NS_EINVAL, "more than %d fields", NS_PRINTER_MAX_FIELDS);
        p->fields[p->nfields++] = f;
        s += n;
        if (*s == ',')
            s++;
    }
    if (!p->nfields)
        return ns_error_set(err, NS_EINVAL, "empty field list");
    return NS_OK;
}

static void header(struct ns_printer *p)
{
    for (size_t i = 0; i < p->nfields; i++) {
        const char *n = p->fields[i]->name;
        if (p->fmt == NS_FMT_CSV || i + 1 == p->nfields)
            fprintf(p->out, "%s%s", i ? (p->fmt == NS_FMT_CSV ? "," : " ") : "", n);
        else
            fprintf(p->out, "%s%*s", i ? " " : "", -p->fields[i]->width, n);
    }
    fputc('\n', p->out);
}

/* JSON string escaping for the few characters our values could contain. */
static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

int ns_printer_record(struct ns_printer *p, const struct ns_record *r)
{
    if (!p->header_done && p->fmt != NS_FMT_JSON) {
        header(p);
        p->header_done = 1;
    }
    char buf[128];
    int first = 1;
    if (p->fmt == NS_FMT_JSON)
        fputc('{', p->out);
    for (size_t i = 0; i < p->nfields; i++) {
        const struct ns_field *f = p->fields[i];
        struct ns_value v;
        int present = ns_field_get(f, r, &v);
        if (present)
            ns_value_format(&v, p->epoch_times || p->fmt != NS_FMT_TABLE, buf, sizeof buf);
        else
            buf[0] = 0;
        switch (p->fmt) {
        case NS_FMT_TABLE:
            /* the last column is not padded, so lines carry no trailing blanks */
            if (i + 1 == p->nfields)
                fprintf(p->out, "%s%s", i ? " " : "", buf);
            else
                fprintf(p->out, "%s%*s", i ? " " : "", -f->width, buf);
            break;
        case NS_FMT_CSV:
            fprintf(p->out, "%s%s", i ? "," : "", buf);
            break;
        case NS_FMT_JSON:
            if (!present)
                break;
            fprintf(p->out, "%s\"%s\":", first ? "" : ",", f->name);
            first = 0;
            if (v.kind == NS_V_U64 || v.kind == NS_V_I64 || v.kind == NS_V_F64)
                fputs(buf, p->out);
            else
                json_str(p->out, buf);
            break;
        }
    }
    fputs(p->fmt == NS_FMT_JSON ? "}\n" : "\n", p->out);
    return NS_OK;
}

int ns_printer_finish(struct ns_printer *p, struct ns_error *err)
{
    if (fflush(p->out) != 0 || ferror(p->out))
        return ns_error_set(err, NS_EIO, "writing output: %s", strerror(errno));
    return NS_OK;
}

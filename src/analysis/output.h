/*
 * output.h — printing records as a table, CSV or JSON lines.
 *
 * A printer is set up once with a list of fields (by Argus short name or
 * IPFIX IE name) and then fed records.  Table output pads columns to the
 * fields' widths and prints a header once; CSV prints a header row of the
 * field names and quotes nothing (no field value contains a comma); JSON
 * prints one object per line, numbers as numbers, times and addresses as
 * strings, and leaves absent fields out.  An absent field is blank in a
 * table and empty in CSV.
 *
 * Ownership: the printer writes to the FILE it was given and never closes
 * it.  Write errors (EPIPE, full disk) are reported by ns_printer_finish().
 */
#ifndef NS_ANALYSIS_OUTPUT_H
#define NS_ANALYSIS_OUTPUT_H

#include <stdio.h>

#include "record/fields.h"
#include "util/err.h"

enum ns_format { NS_FMT_TABLE, NS_FMT_CSV, NS_FMT_JSON };

#define NS_PRINTER_MAX_FIELDS 64

struct ns_printer {
    FILE *out;
    enum ns_format fmt;
    int epoch_times; /* times as seconds.nanoseconds instead of UTC dates */
    size_t nfields;
    const struct ns_field *fields[NS_PRINTER_MAX_FIELDS];
    int header_done;
};

/* The default field list, Argus `ra`-like. */
extern const char ns_default_fields[];

int ns_format_parse(const char *s, enum ns_format *fmt, struct ns_error *err);

/* `list` is comma-separated field names. */
int ns_printer_init(struct ns_printer *p, FILE *out, enum ns_format fmt, const char *list,
                    struct ns_error *err);
int ns_printer_record(struct ns_printer *p, const struct ns_record *r);
int ns_printer_finish(struct ns_printer *p, struct ns_error *err);

#endif

/* TEMPORARY until the SVG plot lands (wip-plot). */
#include <stdio.h>

#include "analysis/bins.h"
#include "cmd/sink.h"

int cmd_bins_plot(const char *path, const char *field, const struct ns_bins_opts *bo,
                  const struct ns_record *const *res, const uint64_t *starts, size_t n)
{
    fprintf(stderr, "netsift bins: --plot is not available yet\n");
    return 1;
}

/* read_reports.h — `netsift read --reports` and `--selection-summary`. */
#ifndef NS_CMD_READ_REPORTS_H
#define NS_CMD_READ_REPORTS_H

#include <stddef.h>

/* Print the PSAMP items of the files (print) and/or the estimate per
 * selection sequence (summary).  Returns the exit status. */
int cmd_read_reports(const char *cmd, const char *const *paths, size_t n, int print, int summary);

#endif

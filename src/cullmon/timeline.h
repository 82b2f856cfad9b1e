/*
 * timeline.h — the culling timeline as one self-contained SVG file.
 *
 * What an operator wants to see after (or during) a maintenance: each
 * member's forwarding-plane traffic over time (transit bits/s as a solid
 * step line, LAN-local as a dashed one in the same colour) with the culling
 * events marked as vertical lines — filter applied, each session down or up
 * again (thin), leak alarms, completion, BGP resumed, sessions restored.
 * Culled members come first; at most NS_PLOT_MAX_SERIES - 1 members are
 * drawn (the rest by transit volume are left out and the legend says so).
 * The monitor's time bins are summed to at most ~600 points, never finer
 * than one second, so a ping a second does not draw as a comb.
 *
 * Built on the plot helpers of analysis/plot.h (palette, nice ticks, SI
 * labels, UTC time labels, XML escaping), so names from the capture are
 * always written as well-formed XML.  Writes only to `out`; NS_EIO when a
 * write failed, NS_ENOMEM.  Nothing is kept.
 */
#ifndef NS_CULLMON_TIMELINE_H
#define NS_CULLMON_TIMELINE_H

#include <stddef.h>
#include <stdio.h>

#include "cullmon/cullmon.h"
#include "util/err.h"

int ns_cm_timeline_svg(FILE *out, const struct ns_cm *m, const struct ns_cm_event *ev, size_t n_ev,
                       struct ns_error *err);

#endif

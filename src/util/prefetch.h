/*
 * prefetch.h — a cache hint the compiler cannot drop.
 *
 * GCC 12 at -O2 deleted every __builtin_prefetch of the meter's batch loop
 * once the hint functions were inlined into it (its control-dependent dead
 * code elimination counts a prefetch as a statement without effect): the
 * flow cache's hints existed in the source and in the worker loop, but not
 * in the loop that runs on every packet of a file.  An asm statement with
 * a memory operand stays where it is written; elsewhere the builtin is
 * used.  A prefetch never faults, so any address may be hinted.
 */
#ifndef NS_UTIL_PREFETCH_H
#define NS_UTIL_PREFETCH_H

static inline void ns_prefetch(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
#else
    __builtin_prefetch(p);
#endif
}

#endif

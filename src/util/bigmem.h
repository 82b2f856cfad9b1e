/*
 * bigmem.h — large zeroed tables for random access on the packet path.
 *
 * The flow cache's tables (flow entries, buckets, TCP state) are tens of
 * MiB read at random, one packet at a time.  With 4 KiB pages nearly every
 * lookup also misses the TLB, and a software prefetch that misses the TLB
 * arrives late or not at all: profiles showed most of the lookup's time in
 * the first load of the bucket and of the flow entry.  Tables of 2 MiB and
 * more are therefore anonymous mappings aligned to 2 MiB with
 * MADV_HUGEPAGE, so that with transparent huge pages ("madvise" or
 * "always") each TLB entry covers 2 MiB.  Where the kernel gives no huge
 * pages the tables still work, as plain pages; smaller tables come from
 * calloc.  Pages are faulted in on first touch either way, so a table
 * sized for a large budget costs memory only where it is used (2 MiB at a
 * time with huge pages).
 *
 * Ownership: the caller frees with ns_bigmem_free() and the same size.
 * Errors: NULL when the memory is not there (errno as mmap/calloc set it).
 */
#ifndef NS_UTIL_BIGMEM_H
#define NS_UTIL_BIGMEM_H

#include <stddef.h>

/* n * size zeroed bytes; NULL on overflow or when out of memory. */
void *ns_bigmem_calloc(size_t n, size_t size);

/*
 * Map bytes [from, to) of the table ns_bigmem_calloc(n, size) returned
 * now, as a first write would (the kernel zeroes each new page): a thread
 * with time to spare can take that work off the thread that will use the
 * memory.  Safe while another thread uses the table (pages already there
 * stay as they are).  A hint: nothing happens for tables from calloc or on
 * kernels without MADV_POPULATE_WRITE (before Linux 5.14).
 */
void ns_bigmem_populate(void *p, size_t n, size_t size, size_t from, size_t to);

/* Free what ns_bigmem_calloc(n, size) returned (NULL is fine). */
void ns_bigmem_free(void *p, size_t n, size_t size);

#endif

#include "util/bigmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_SZ ((size_t)2 << 20)

/* AddressSanitizer guards calloc'd blocks with red zones, not mappings:
 * its builds keep the tables on the heap so overruns are still caught. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static size_t mapped_size(size_t bytes)
{
    return (bytes + HUGE_SZ - 1) & ~(HUGE_SZ - 1);
}

void *ns_bigmem_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = n * size;
    if (bytes < HUGE_SZ || SANITIZED)
        return calloc(n ? n : 1, size ? size : 1);
    size_t len = mapped_size(bytes);
    /* over-map by one huge page so that the start can be aligned to one
     * (a huge page needs an aligned virtual range), then trim */
    uint8_t *raw =
        mmap(NULL, len + HUGE_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    uint8_t *p = raw + ((HUGE_SZ - ((uintptr_t)raw & (HUGE_SZ - 1))) & (HUGE_SZ - 1));
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    size_t tail = (size_t)(raw + len + HUGE_SZ - (p + len));
    if (tail)
        munmap(p + len, tail);
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE); /* advice: without THP it fails, harmlessly */
#endif
    return p;
}

void ns_bigmem_populate(void *p, size_t n, size_t size, size_t from, size_t to)
{
    size_t bytes = n * size;
    if (!p || bytes < HUGE_SZ || SANITIZED)
        return;
    if (to > bytes)
        to = bytes;
    size_t pg = 4096;
    from &= ~(pg - 1);
    to = (to + pg - 1) & ~(pg - 1);
    if (from >= to)
        return;
#ifdef MADV_POPULATE_WRITE
    madvise((uint8_t *)p + from, to - from, MADV_POPULATE_WRITE);
#endif
}

void ns_bigmem_free(void *p, size_t n, size_t size)
{
    if (!p)
        return;
    size_t bytes = n * size;
    if (bytes < HUGE_SZ || SANITIZED)
        free(p);
    else
        munmap(p, mapped_size(bytes));
}

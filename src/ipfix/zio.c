#include "ipfix/zio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define PATH_MAX_SHOWN 200
/* Large enough that a plain file is read in few system calls and that
 * most messages (≤ 64 KiB) lie whole in the buffer (ns_zin_peek). */
#define INBUF (1u << 20)

struct ns_zout {
    int fd, own_fd;
    ZSTD_CCtx *cctx;
    uint8_t *zbuf;
    size_t zcap;
    uint8_t *wbuf; /* ns_zout_buffer: whole messages not yet written */
    size_t wlen, wcap;
    char path[PATH_MAX_SHOWN];
};

struct ns_zin {
    int fd, own_fd;
    int zstd, eof, frame_open;
    ZSTD_DCtx *dctx;
    ZSTD_inBuffer zin;
    uint8_t buf[INBUF];
    const uint8_t *raw;      /* plain mode: buf, or the whole mapped file */
    size_t raw_pos, raw_len; /* plain mode: bytes at raw */
    void *map;               /* a mapped plain file (MAP_FAILED-free: NULL when not) */
    size_t map_len;
    size_t map_done; /* pages before this offset were given back */
    char path[PATH_MAX_SHOWN];
};

static void set_path(char *dst, const char *path)
{
    snprintf(dst, PATH_MAX_SHOWN, "%s", strcmp(path, "-") ? path : "(stdio)");
}

static int write_all(struct ns_zout *o, const uint8_t *p, size_t n, struct ns_error *err)
{
    while (n) {
        ssize_t w = write(o->fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return ns_error_set(err, NS_EIO, "writing %s: %s", o->path, strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
    return NS_OK;
}

int ns_zout_open(struct ns_zout **out, const char *path, int zstd, int zstd_level,
                 struct ns_error *err)
{
    *out = NULL;
    struct ns_zout *o = calloc(1, sizeof *o);
    if (!o)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    set_path(o->path, path);
    if (strcmp(path, "-") == 0) {
        o->fd = STDOUT_FILENO;
    } else {
        o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (o->fd < 0) {
            int e = errno;
            free(o);
            return ns_error_set(err, NS_EIO, "opening %s for writing: %s", path, strerror(e));
        }
        o->own_fd = 1;
    }
    if (zstd) {
        o->cctx = ZSTD_createCCtx();
        o->zcap = ZSTD_CStreamOutSize();
        o->zbuf = malloc(o->zcap);
        if (!o->cctx || !o->zbuf ||
            ZSTD_isError(ZSTD_CCtx_setParameter(o->cctx, ZSTD_c_compressionLevel, zstd_level)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(o->cctx, ZSTD_c_checksumFlag, 1))) {
            ns_zout_close(o, NULL);
            return ns_error_set(err, NS_EINVAL, "%s: cannot set up zstd level %d", path,
                                zstd_level);
        }
    }
    *out = o;
    return NS_OK;
}

static int zstd_step(struct ns_zout *o, const void *buf, size_t n, ZSTD_EndDirective mode,
                     struct ns_error *err)
{
    ZSTD_inBuffer in = {buf, n, 0};
    for (;;) {
        ZSTD_outBuffer ob = {o->zbuf, o->zcap, 0};
        size_t left = ZSTD_compressStream2(o->cctx, &ob, &in, mode);
        if (ZSTD_isError(left))
            return ns_error_set(err, NS_EIO, "compressing %s: %s", o->path,
                                ZSTD_getErrorName(left));
        int rc = write_all(o, o->zbuf, ob.pos, err);
        if (rc < 0)
            return rc;
        if (left == 0 && in.pos == in.size)
            return NS_OK;
    }
}

int ns_zout_buffer(struct ns_zout *o, size_t cap, struct ns_error *err)
{
    if (o->cctx || o->wbuf || !cap)
        return NS_OK;
    if (!(o->wbuf = malloc(cap)))
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    o->wcap = cap;
    return NS_OK;
}

int ns_zout_flush(struct ns_zout *o, struct ns_error *err)
{
    if (!o || !o->wlen)
        return NS_OK;
    size_t n = o->wlen;
    o->wlen = 0;
    return write_all(o, o->wbuf, n, err);
}

int ns_zout_write(struct ns_zout *o, const void *buf, size_t n, struct ns_error *err)
{
    if (o->cctx)
        return zstd_step(o, buf, n, ZSTD_e_flush, err);
    if (o->wbuf) {
        if (o->wlen + n > o->wcap) {
            int rc = ns_zout_flush(o, err);
            if (rc < 0)
                return rc;
        }
        if (n <= o->wcap) {
            memcpy(o->wbuf + o->wlen, buf, n);
            o->wlen += n;
            return NS_OK;
        }
    }
    return write_all(o, buf, n, err);
}

int ns_zout_close(struct ns_zout *o, struct ns_error *err)
{
    if (!o)
        return NS_OK;
    int rc = NS_OK;
    if (o->cctx && o->zbuf && o->fd >= 0)
        rc = zstd_step(o, NULL, 0, ZSTD_e_end, err);
    if (o->wlen && o->fd >= 0)
        rc = ns_zout_flush(o, err);
    if (o->own_fd && close(o->fd) < 0 && rc == NS_OK)
        rc = ns_error_set(err, NS_EIO, "closing %s: %s", o->path, strerror(errno));
    ZSTD_freeCCtx(o->cctx);
    free(o->zbuf);
    free(o->wbuf);
    free(o);
    return rc;
}

/* ---- input ---- */

static int fill(struct ns_zin *in, size_t keep, struct ns_error *err)
{
    /* Read more raw bytes after the first `keep` buffered ones. */
    for (;;) {
        ssize_t r = read(in->fd, in->buf + keep, INBUF - keep);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return ns_error_set(err, NS_EIO, "reading %s: %s", in->path, strerror(errno));
        }
        if (r == 0)
            in->eof = 1;
        return (int)r;
    }
}

/* A large plain regular file is mapped whole and decoded where it lies:
 * the read(2) copies were most of the reading thread's system time
 * (`aggregate -m proto` over 200 MB: 0.03-0.08 s of read against ~0.04 s
 * of page faults).  As with the probe's mapped captures (capture/pcapmap),
 * a file truncated by someone else while it is read would raise SIGBUS;
 * files that grow are read up to the size they had at open.  Anything
 * else (pipes, stdin, small files, a failed mmap) keeps the buffer. */
static void map_plain(struct ns_zin *in)
{
    struct stat st;
    if (!in->own_fd || fstat(in->fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size <= INBUF || (uint64_t)st.st_size > SIZE_MAX)
        return;
    size_t len = (size_t)st.st_size;
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, in->fd, 0);
    if (m == MAP_FAILED)
        return;
    (void)madvise(m, len, MADV_SEQUENTIAL);
    in->map = m;
    in->map_len = len;
    in->raw = m;
    in->raw_pos = 0;
    in->raw_len = len;
    in->eof = 1;
}

int ns_zin_open(struct ns_zin **out, const char *path, struct ns_error *err)
{
    *out = NULL;
    struct ns_zin *in = calloc(1, sizeof *in);
    if (!in)
        return ns_error_set(err, NS_ENOMEM, "out of memory");
    set_path(in->path, path);
    if (strcmp(path, "-") == 0) {
        in->fd = STDIN_FILENO;
    } else {
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            int e = errno;
            free(in);
            return ns_error_set(err, NS_EIO, "opening %s: %s", path, strerror(e));
        }
        in->own_fd = 1;
    }
    /* Gather at least 4 octets (or EOF) to look for the zstd magic. */
    size_t have = 0;
    while (have < 4 && !in->eof) {
        int r = fill(in, have, err);
        if (r < 0) {
            ns_zin_close(in);
            return r;
        }
        have += (size_t)r;
    }
    static const uint8_t magic[4] = {0x28, 0xB5, 0x2F, 0xFD};
    if (have >= 4 && memcmp(in->buf, magic, 4) == 0) {
        in->zstd = 1;
        in->dctx = ZSTD_createDCtx();
        if (!in->dctx) {
            ns_zin_close(in);
            return ns_error_set(err, NS_ENOMEM, "out of memory");
        }
        in->zin = (ZSTD_inBuffer){in->buf, have, 0};
    } else {
        in->raw = in->buf;
        in->raw_pos = 0;
        in->raw_len = have;
        map_plain(in);
    }
    *out = in;
    return NS_OK;
}

static void map_release(struct ns_zin *in);

static int read_plain(struct ns_zin *in, uint8_t *dst, size_t n, size_t *got, struct ns_error *err)
{
    *got = 0;
    while (*got < n) {
        if (in->raw_pos == in->raw_len) {
            if (in->eof)
                break;
            int r = fill(in, 0, err);
            if (r < 0)
                return r;
            in->raw_pos = 0;
            in->raw_len = (size_t)r;
            continue;
        }
        size_t k = in->raw_len - in->raw_pos;
        if (k > n - *got)
            k = n - *got;
        memcpy(dst + *got, in->raw + in->raw_pos, k);
        in->raw_pos += k;
        *got += k;
    }
    map_release(in);
    return NS_OK;
}

static int read_zstd(struct ns_zin *in, uint8_t *dst, size_t n, size_t *got, struct ns_error *err)
{
    ZSTD_outBuffer ob = {dst, n, 0};
    while (ob.pos < n) {
        if (in->zin.pos == in->zin.size && !in->eof) {
            int r = fill(in, 0, err);
            if (r < 0)
                return r;
            in->zin = (ZSTD_inBuffer){in->buf, (size_t)r, 0};
        }
        size_t out0 = ob.pos, in0 = in->zin.pos;
        size_t ret = ZSTD_decompressStream(in->dctx, &ob, &in->zin);
        if (ZSTD_isError(ret))
            return ns_error_set(err, NS_EFORMAT, "decompressing %s: %s", in->path,
                                ZSTD_getErrorName(ret));
        if (ob.pos == out0 && in->zin.pos == in0 && in->eof)
            break; /* nothing more will come */
        /* 0 = a frame was completed and flushed; only meaningful when the
         * call did something (an idle call returns the next header hint). */
        in->frame_open = ret != 0;
    }
    *got = ob.pos;
    return NS_OK;
}

int ns_zin_peek(struct ns_zin *in, size_t n, const uint8_t **p, size_t *got, struct ns_error *err)
{
    *p = NULL;
    *got = 0;
    if (in->zstd || n > INBUF)
        return ns_error_set(err, NS_EINVAL, "%s: cannot peek %zu octets", in->path, n);
    if (in->raw_len - in->raw_pos < n && !in->eof) {
        /* Move the rest to the front and read after it until n are there. */
        size_t have = in->raw_len - in->raw_pos;
        memmove(in->buf, in->buf + in->raw_pos, have);
        in->raw_pos = 0;
        in->raw_len = have;
        while (in->raw_len < n && !in->eof) {
            int r = fill(in, in->raw_len, err);
            if (r < 0)
                return r;
            in->raw_len += (size_t)r;
        }
    }
    size_t k = in->raw_len - in->raw_pos;
    *p = in->raw + in->raw_pos;
    *got = k < n ? k : n;
    return NS_OK;
}

/* Mapped pages already read go back every 8 MiB, so the resident set
 * stays a window, not the file (they are the page cache's: a later touch
 * would read them again from the file, never zeros). */
static void map_release(struct ns_zin *in)
{
    enum { WINDOW = 8u << 20 };
    if (in->map && in->raw_pos - in->map_done >= 2 * (size_t)WINDOW) {
        size_t upto = (in->raw_pos - WINDOW) & ~(size_t)(WINDOW - 1);
        if (upto > in->map_done) {
            (void)madvise((uint8_t *)in->map + in->map_done, upto - in->map_done, MADV_DONTNEED);
            in->map_done = upto;
        }
    }
}

void ns_zin_consume(struct ns_zin *in, size_t n)
{
    size_t k = in->raw_len - in->raw_pos;
    in->raw_pos += n < k ? n : k;
    map_release(in);
}

int ns_zin_read(struct ns_zin *in, void *dst, size_t n, size_t *got, struct ns_error *err)
{
    return in->zstd ? read_zstd(in, dst, n, got, err) : read_plain(in, dst, n, got, err);
}

int ns_zin_truncated(const struct ns_zin *in)
{
    return in->zstd && in->frame_open;
}

int ns_zin_is_zstd(const struct ns_zin *in)
{
    return in->zstd;
}

void ns_zin_close(struct ns_zin *in)
{
    if (!in)
        return;
    if (in->map)
        munmap(in->map, in->map_len);
    if (in->own_fd)
        close(in->fd);
    ZSTD_freeDCtx(in->dctx);
    free(in);
}

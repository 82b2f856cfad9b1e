/*
 * ipfix_blast — a local IPFIX-over-UDP sender for the collector benchmark
 * (bench/collect.sh).
 *
 *   ipfix_blast record PORT OUT [IDLE_MS]
 *       receive datagrams on 127.0.0.1:PORT (an exporter such as `netsift
 *       probe --export udp://127.0.0.1:PORT` sends them) and write each to
 *       OUT as a 2-octet big-endian length and the datagram, until IDLE_MS
 *       (default 1000) pass without one.
 *   ipfix_blast send STREAM HOST PORT LOOPS [RATE]
 *       send the recorded stream LOOPS times to HOST:PORT over UDP with
 *       sendmmsg() batches, at most RATE data records/s (0 or absent: as
 *       fast as the socket takes them).  The stream's last message is left
 *       out and every message's sequence number is moved on by one stream
 *       period per loop, so the collector sees one exporter whose sequence
 *       numbers never jump (RFC 7011 §3.1).  Prints "messages records
 *       seconds" on stdout.
 *
 * Records per message come from the recorded sequence numbers (the next
 * message's minus this one's), so nothing here parses templates.  Only
 * loopback targets make sense: nothing limits what this sends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

struct msg {
    uint8_t *p;
    uint16_t len;
    uint32_t seq, nrec;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int record(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    int idle = argc > 4 ? atoi(argv[4]) : 1000;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int sz = 64 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("ipfix_blast record: bind");
        return 1;
    }
    FILE *out = fopen(argv[3], "wb");
    if (!out) {
        perror(argv[3]);
        return 1;
    }
    fprintf(stderr, "ipfix_blast: recording\n");
    static uint8_t buf[65536];
    unsigned long n = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, n ? idle : 60000) <= 0)
            break;
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0)
            continue;
        uint8_t h[2] = {(uint8_t)(r >> 8), (uint8_t)r};
        fwrite(h, 1, 2, out);
        fwrite(buf, 1, (size_t)r, out);
        n++;
    }
    fclose(out);
    fprintf(stderr, "ipfix_blast: %lu datagrams\n", n);
    return n ? 0 : 1;
}

static struct msg *load(const char *path, size_t *nm)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1024, n = 0;
    struct msg *m = malloc(cap * sizeof *m);
    if (!m) {
        fclose(f);
        return NULL;
    }
    uint8_t h[2];
    while (fread(h, 1, 2, f) == 2) {
        uint16_t len = (uint16_t)(h[0] << 8 | h[1]);
        if (n == cap) {
            cap *= 2;
            struct msg *mm = realloc(m, cap * sizeof *m);
            if (!mm)
                break;
            m = mm;
        }
        m[n].p = malloc(len);
        m[n].len = len;
        if (!m[n].p || len < 16 || fread(m[n].p, 1, len, f) != len)
            break;
        m[n].seq = be32(m[n].p + 8);
        n++;
    }
    fclose(f);
    for (size_t i = 0; i + 1 < n; i++)
        m[i].nrec = m[i + 1].seq - m[i].seq;
    *nm = n;
    return m;
}

static int send_stream(int argc, char **argv)
{
    if (argc < 6)
        return 2;
    size_t n;
    struct msg *m = load(argv[2], &n);
    if (!m || n < 2) {
        fprintf(stderr, "ipfix_blast: %s: no stream\n", argv[2]);
        return 1;
    }
    long loops = atol(argv[5]);
    double rate = argc > 6 ? atof(argv[6]) : 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *res;
    if (getaddrinfo(argv[3], argv[4], &hints, &res) != 0) {
        fprintf(stderr, "ipfix_blast: cannot resolve %s\n", argv[3]);
        return 1;
    }
    int fd = socket(res->ai_family, SOCK_DGRAM, 0);
    int sz = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz);
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        perror("ipfix_blast: connect");
        return 1;
    }
    freeaddrinfo(res);
    size_t per = n - 1; /* the last message has no record count: left out */
    uint32_t period = m[per].seq - m[0].seq;
    struct mmsghdr mh[BATCH];
    struct iovec iov[BATCH];
    memset(mh, 0, sizeof mh);
    unsigned long long msgs = 0, recs = 0;
    double t0 = now_s();
    for (long loop = 0; loop < loops; loop++) {
        for (size_t i = 0; i < per;) {
            size_t k = 0;
            uint32_t brec = 0;
            for (; k < BATCH && i + k < per; k++) {
                struct msg *x = &m[i + k];
                uint32_t s = x->seq + (uint32_t)loop * period;
                x->p[8] = (uint8_t)(s >> 24);
                x->p[9] = (uint8_t)(s >> 16);
                x->p[10] = (uint8_t)(s >> 8);
                x->p[11] = (uint8_t)s;
                iov[k] = (struct iovec){x->p, x->len};
                mh[k].msg_hdr.msg_iov = &iov[k];
                mh[k].msg_hdr.msg_iovlen = 1;
                brec += x->nrec;
            }
            size_t done = 0;
            while (done < k) {
                int r = sendmmsg(fd, mh + done, (unsigned)(k - done), 0);
                if (r < 0) {
                    if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN)
                        continue;
                    if (errno == ECONNREFUSED) /* nobody there for a moment */
                        continue;
                    perror("ipfix_blast: sendmmsg");
                    return 1;
                }
                done += (size_t)r;
            }
            msgs += k;
            recs += brec;
            i += k;
            if (rate > 0) { /* pace: never ahead of RATE records/s */
                double ahead = (double)recs / rate - (now_s() - t0);
                if (ahead > 0) {
                    struct timespec ts = {(time_t)ahead,
                                          (long)((ahead - (double)(time_t)ahead) * 1e9)};
                    nanosleep(&ts, NULL);
                }
            }
        }
    }
    printf("%llu %llu %.3f\n", msgs, recs, now_s() - t0);
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 2;
    if (argc > 1 && !strcmp(argv[1], "record"))
        rc = record(argc, argv);
    else if (argc > 1 && !strcmp(argv[1], "send"))
        rc = send_stream(argc, argv);
    if (rc == 2)
        fprintf(stderr, "usage: ipfix_blast record PORT OUT [IDLE_MS]\n"
                        "       ipfix_blast send STREAM HOST PORT LOOPS [RECORDS_PER_S]\n");
    return rc;
}

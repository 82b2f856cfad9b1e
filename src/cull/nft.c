/* nft.c — run nft(8) with a script on stdin and capture what it says. */
#include "cull/nft.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The program to exec: as given when it has a '/', else the first of
 * PATH, /usr/sbin, /sbin that holds it (non-root PATHs often lack sbin). */
static const char *resolve(const char *prog, char *buf, size_t cap)
{
    if (strchr(prog, '/'))
        return prog;
    static const char *const extra[] = {"/usr/sbin", "/sbin"};
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s", path ? path : "");
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(buf, cap, "%s/%s", *d ? d : ".", prog);
        if (access(buf, X_OK) == 0)
            return buf;
    }
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        snprintf(buf, cap, "%s/%s", extra[i], prog);
        if (access(buf, X_OK) == 0)
            return buf;
    }
    return NULL;
}

int ns_cull_nft_run(const char *const *argv, const char *input, char *out, size_t outcap,
                    struct ns_error *e)
{
    char pbuf[4200];
    const char *prog = resolve(argv[0], pbuf, sizeof pbuf);
    if (outcap)
        out[0] = 0;
    if (!prog)
        return ns_error_set(e, NS_ENOTFOUND,
                            "'%s' not found (install nftables, or give --nft PATH)", argv[0]);
    int in[2], res[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return ns_error_set(e, NS_EIO, "pipe: %s", strerror(errno));
    if (pipe2(res, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        return ns_error_set(e, NS_EIO, "pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(in[0]);
        close(in[1]);
        close(res[0]);
        close(res[1]);
        return ns_error_set(e, NS_EIO, "fork: %s", strerror(err));
    }
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(res[1], 1);
        dup2(res[1], 2);
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(res[1]);
    /* A dead nft must not kill us with SIGPIPE while we write. */
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    size_t len = input ? strlen(input) : 0, off = 0;
    while (off < len) {
        ssize_t w = write(in[1], input + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* nft quit early: its output says why */
        off += (size_t)w;
    }
    close(in[1]);
    signal(SIGPIPE, old);
    size_t got = 0;
    for (;;) {
        char tmp[1024];
        ssize_t r = read(res[0], tmp, sizeof tmp);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t room = outcap > got + 1 ? outcap - got - 1 : 0;
        size_t take = (size_t)r < room ? (size_t)r : room;
        memcpy(out + got, tmp, take);
        got += take;
    }
    if (outcap)
        out[got] = 0;
    close(res[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return ns_error_set(e, NS_EIO, "waiting for %s: %s", prog, strerror(errno));
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        return ns_error_set(e, NS_EIO, "could not run %s", prog);
    if (!WIFEXITED(st))
        return ns_error_set(e, NS_EIO, "%s died (signal %d)", prog, WTERMSIG(st));
    return WEXITSTATUS(st);
}

int ns_cull_nft_table_exists(const char *nft, const char *table, struct ns_error *e)
{
    const char *argv[] = {nft, "list", "table", "bridge", table, NULL};
    char out[4096];
    int rc = ns_cull_nft_run(argv, NULL, out, sizeof out, e);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return 1;
    /* Absent is ENOENT; anything else (no permission, no nf_tables in the
     * kernel) must not pass for "absent". */
    if (strstr(out, "No such file or directory"))
        return 0;
    out[strcspn(out, "\n")] = 0;
    return ns_error_set(e, NS_EIO, "nft list table bridge %s: %s", table, out);
}

enum ns_cull_port_state ns_cull_port_state(const char *ifname)
{
    char p[300];
    struct stat st;
    if (!*ifname || strchr(ifname, '/'))
        return NS_CULL_PORT_MISSING;
    snprintf(p, sizeof p, "/sys/class/net/%s", ifname);
    if (stat(p, &st) < 0)
        return NS_CULL_PORT_MISSING;
    snprintf(p, sizeof p, "/sys/class/net/%s/brport", ifname);
    return stat(p, &st) == 0 ? NS_CULL_PORT_BRIDGED : NS_CULL_PORT_NOT_BRIDGED;
}

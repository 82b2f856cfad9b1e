#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int ns_daemon_start(struct ns_daemon *d, int *exit_status, struct ns_error *err)
{
    int pfd[2];
    d->ready_fd = -1;
    if (pipe(pfd) < 0)
        return ns_error_set(err, NS_EIO, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return ns_error_set(err, NS_EIO, "fork: %s", strerror(errno));
    }
    if (pid > 0) { /* the original process: wait for the verdict */
        close(pfd[1]);
        unsigned char st = 1;
        ssize_t r;
        do
            r = read(pfd[0], &st, 1);
        while (r < 0 && errno == EINTR);
        close(pfd[0]);
        waitpid(pid, NULL, 0); /* the intermediate child exits at once */
        *exit_status = r == 1 ? st : 1;
        return 1;
    }
    close(pfd[0]);
    if (setsid() < 0)
        _exit(1);
    pid = fork();
    if (pid < 0)
        _exit(1);
    if (pid > 0)
        _exit(0); /* the session leader goes; the daemon cannot get a terminal back */
    if (chdir("/") < 0) {
        /* "/" always exists; nothing to do if it cannot be entered */
    }
    d->ready_fd = pfd[1];
    return 0;
}

void ns_daemon_ready(struct ns_daemon *d, int status)
{
    if (d->ready_fd < 0)
        return;
    unsigned char st = (unsigned char)status;
    ssize_t w = write(d->ready_fd, &st, 1);
    (void)w;
    close(d->ready_fd);
    d->ready_fd = -1;
    int fd = open("/dev/null", O_RDWR);
    if (fd < 0)
        return;
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    if (isatty(STDERR_FILENO))
        dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO)
        close(fd);
}

static long read_pid(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) != 1)
        pid = 0;
    fclose(f);
    return pid;
}

int ns_pidfile_claim(const char *path, struct ns_error *err)
{
    long old = read_pid(path);
    if (old > 0 && old != (long)getpid() && (kill((pid_t)old, 0) == 0 || errno == EPERM))
        return ns_error_set(err, NS_EINVAL, "pid file %s: process %ld is running", path, old);
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return ns_error_set(err, NS_EINVAL, "pid file name too long");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return ns_error_set(err, NS_EIO, "pid file %s: %s", tmp, strerror(errno));
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (write(fd, buf, (size_t)n) != n || fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return ns_error_set(err, NS_EIO, "pid file %s: %s", tmp, strerror(e));
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return ns_error_set(err, NS_EIO, "pid file %s: %s", path, strerror(e));
    }
    return 0;
}

int ns_pidfile_chown(const char *path, uid_t uid, gid_t gid, struct ns_error *err)
{
    if (chown(path, uid, gid) < 0)
        return ns_error_set(err, NS_EIO, "pid file %s: chown: %s", path, strerror(errno));
    return 0;
}

void ns_pidfile_remove(const char *path)
{
    if (read_pid(path) != (long)getpid())
        return; /* not ours (any more) */
    if (unlink(path) == 0)
        return;
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd >= 0)
        close(fd);
}

static int parse_id(const char *s, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > 0x7fffffffUL)
        return -1;
    *out = v;
    return 0;
}

int ns_priv_lookup(const char *spec, uid_t *uid, gid_t *gid, struct ns_error *err)
{
    char user[256], *group = NULL;
    if (snprintf(user, sizeof user, "%s", spec) >= (int)sizeof user || !*user)
        return ns_error_set(err, NS_EINVAL, "bad user '%s'", spec);
    if ((group = strchr(user, ':')))
        *group++ = 0;
    unsigned long id;
    const struct passwd *pw = getpwnam(user);
    if (pw) {
        *uid = pw->pw_uid;
        *gid = pw->pw_gid;
    } else if (parse_id(user, &id) == 0) {
        *uid = (uid_t)id;
        pw = getpwuid(*uid);
        *gid = pw ? pw->pw_gid : (gid_t)id;
    } else {
        return ns_error_set(err, NS_EINVAL, "no user '%s'", user);
    }
    if (group) {
        const struct group *gr = getgrnam(group);
        if (gr)
            *gid = gr->gr_gid;
        else if (parse_id(group, &id) == 0)
            *gid = (gid_t)id;
        else
            return ns_error_set(err, NS_EINVAL, "no group '%s'", group);
    }
    if (*uid == 0)
        return ns_error_set(err, NS_EINVAL, "--user %s is root: nothing would be dropped", spec);
    return 0;
}

int ns_priv_caps(unsigned long long *permitted, unsigned long long *effective)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capget, &h, d) < 0)
        return -1;
    *permitted = d[0].permitted | (unsigned long long)d[1].permitted << 32;
    *effective = d[0].effective | (unsigned long long)d[1].effective << 32;
    return 0;
}

int ns_priv_drop(uid_t uid, gid_t gid, struct ns_error *err)
{
    if (geteuid() != 0)
        return ns_error_set(err, NS_EINVAL, "dropping privileges needs root (running as uid %u)",
                            (unsigned)geteuid());
    if (setgroups(1, &gid) < 0)
        return ns_error_set(err, NS_EIO, "setgroups: %s", strerror(errno));
    if (setresgid(gid, gid, gid) < 0)
        return ns_error_set(err, NS_EIO, "setgid %u: %s", (unsigned)gid, strerror(errno));
    if (setresuid(uid, uid, uid) < 0)
        return ns_error_set(err, NS_EIO, "setuid %u: %s", (unsigned)uid, strerror(errno));
    /* verify: no way back */
    uid_t r, e, s;
    gid_t rg, eg, sg;
    if (getresuid(&r, &e, &s) < 0 || r != uid || e != uid || s != uid ||
        getresgid(&rg, &eg, &sg) < 0 || rg != gid || eg != gid || sg != gid)
        return ns_error_set(err, NS_EIO, "privileges not dropped: ids did not change");
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        return ns_error_set(err, NS_EIO, "privileges not dropped: setuid(0) succeeded");
    if (gid != 0 && (setgid(0) == 0 || setegid(0) == 0))
        return ns_error_set(err, NS_EIO, "privileges not dropped: setgid(0) succeeded");
    unsigned long long p = 0, ef = 0;
    if (ns_priv_caps(&p, &ef) < 0 || p || ef)
        return ns_error_set(err, NS_EIO,
                            "privileges not dropped: capabilities left (permitted %llx, "
                            "effective %llx)",
                            p, ef);
    return 0;
}

/*
 * daemon.h — running as a service: detaching from the terminal, the pid
 * file, and giving up root once the privileged work is done.
 *
 * Foreground is the default and what systemd wants (Type=simple: the
 * process it starts is the service; stderr goes to the journal).  For
 * init systems without that, ns_daemon_start() detaches the classic way
 * (fork, setsid, fork again so the daemon is no session leader and can
 * never reacquire a controlling terminal; chdir "/"), but the original
 * process waits until the daemon says it is running (ns_daemon_ready(),
 * after the capture is open and privileges are dropped) and exits with
 * its verdict, so a failure to start still reaches the operator's
 * terminal and exit status.
 *
 * Pid file: refused when it names a live process other than us (kill(pid,
 * 0) succeeds or fails with EPERM); written to PATH.tmp.PID and renamed
 * over PATH, so a reader never sees a partial pid.  Before privileges are
 * dropped it is handed to the new user (fchown) so that, at exit, the
 * unprivileged process can at least empty it when the directory does not
 * let it unlink (an empty pid file names no process).
 *
 * Privileges (ns_priv_drop): supplementary groups set to the one group,
 * then setgid, then setuid — in that order, since after setuid the others
 * are no longer permitted.  The kernel clears every capability of a
 * process whose uids all leave 0 (capabilities(7), "Effect of user ID
 * changes on capabilities"), CAP_NET_RAW included: the capture socket
 * stays open and usable, no new one can be made.  Then the drop is
 * verified: real/effective/saved ids are the new ones, setuid(0) and
 * setgid(0) fail, and the permitted and effective capability sets are
 * empty; else NS_EIO.  glibc applies set*id() to every thread.
 *
 * Errors: negative NS_E* with a message; nothing printed.  The library
 * keeps no state: the caller holds struct ns_daemon.
 */
#ifndef NS_DAEMON_DAEMON_H
#define NS_DAEMON_DAEMON_H

#include <sys/types.h>

#include "util/err.h"

struct ns_daemon {
    int ready_fd; /* the daemon's end of the pipe to the waiting parent; -1 */
};

/* Returns 1 in the original process with *exit_status = what the daemon
 * reported (or 1 if it died before); 0 in the daemon; negative on error. */
int ns_daemon_start(struct ns_daemon *d, int *exit_status, struct ns_error *err);
/* Daemon: report `status` (0 = running) to the waiting parent and put
 * stdin and stdout on /dev/null (stderr too when it is a terminal). */
void ns_daemon_ready(struct ns_daemon *d, int status);

int ns_pidfile_claim(const char *path, struct ns_error *err);
/* Hand the pid file to uid:gid (before dropping privileges). */
int ns_pidfile_chown(const char *path, uid_t uid, gid_t gid, struct ns_error *err);
/* Remove it if it still holds our pid (or empty it when unlink is denied). */
void ns_pidfile_remove(const char *path);

/* "NAME[:GROUP]" (names or numbers) → uid, gid (the user's group unless
 * GROUP is given). */
int ns_priv_lookup(const char *spec, uid_t *uid, gid_t *gid, struct ns_error *err);
int ns_priv_drop(uid_t uid, gid_t gid, struct ns_error *err);
/* Capability sets of the calling thread (permitted, effective); 0 ok. */
int ns_priv_caps(unsigned long long *permitted, unsigned long long *effective);

#endif

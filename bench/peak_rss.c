/*
 * peak_rss — run a command and print its wall time, peak RSS and exit status:
 *
 *   peak_rss CMD [ARG...]   →   "WALL_S MAXRSS_KIB STATUS CPU_S" on stdout
 *
 * CPU_S is user + system time of the command (all its threads).
 *
 * The command's stdin, stdout and stderr are /dev/null.  Why not os.wait4()
 * in the Python harness: Linux keeps a process's peak RSS across fork and
 * execve (it is kept per process, not per address space), so a child forked
 * from a Python interpreter holding 200 MiB reports at least 200 MiB.  This
 * launcher is a small C program, so the floor it adds is about 1 MiB.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: peak_rss CMD [ARG...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("peak_rss: fork");
        return 2;
    }
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("peak_rss: wait4");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    printf("%.4f %ld %d %.4f\n", wall, ru.ru_maxrss, rc, cpu);
    return 0;
}

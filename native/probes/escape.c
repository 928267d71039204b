/*
 * escape: one escape attempt from inside the sandbox's isolation, named by the first argument; reports the effect.
 *   write PATH         open PATH for appending and write a byte      "write ok" | "write EROFS" ...
 *   read PATH          open PATH for reading                          "read ok" | "read EACCES" ...
 *   kill PID           kill(PID, 0), and whether /proc/PID exists     "kill ESRCH", "proc ENOENT"
 *   connect PORT       TCP connect to 127.0.0.1:PORT                  "socket EAFNOSUPPORT" | "connect ..."
 *   mount              mount a tmpfs on /tmp, unshare a user and a mount namespace
 *   alloc MB           allocate and touch MB megabytes, one at a time "alloc ok" (else it is killed)
 *   fork N             fork N children that wait                      "fork ok" | "fork EAGAIN after K"
 *   status             uid, gid, groups and the /proc/self/status lines a jail sets
 *   nested PATH [DIR]  in a new user and mount namespace of its own (full capabilities there): remount / read-write,
 *                      unmount DIR (default /tmp; uncovering what is beneath), then write PATH
 *   join FILE          write our pid to FILE (a cgroup.procs outside our cgroup), then print our cgroups
 *   tiocsti            on a new pseudo-terminal made our controlling terminal, push a byte into its input queue
 *                      (what a program does to type commands into the shell it was started from)
 */
#include "probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int do_write(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    if (fd < 0) {
        report("write", errno);
        return 0;
    }
    report("write", write(fd, "x", 1) == 1 ? 0 : errno);
    close(fd);
    return 0;
}

static int do_read(const char *path)
{
    int fd = open(path, O_RDONLY);
    report("read", fd < 0 ? errno : 0);
    if (fd >= 0)
        close(fd);
    return 0;
}

static int do_kill(const char *pid)
{
    report("kill", kill(atoi(pid), 0) == 0 ? 0 : errno);
    char path[64];
    snprintf(path, sizeof path, "/proc/%s", pid);
    struct stat st;
    report("proc", stat(path, &st) == 0 ? 0 : errno);
    return 0;
}

static int do_connect(const char *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) {
        report("socket", errno);
        return 0;
    }
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    report("connect", connect(s, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : errno);
    close(s);
    return 0;
}

static int do_mount(void)
{
    report("mount", mount("tmpfs", "/tmp", "tmpfs", 0, NULL) == 0 ? 0 : errno);
    report("unshare-mount", unshare(CLONE_NEWNS) == 0 ? 0 : errno);
    /* Last: a nested user namespace, if the kernel allows one, gives back capabilities inside it. */
    report("unshare-user", unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
    return 0;
}

static int do_alloc(const char *mb)
{
    long n = atol(mb);
    for (long i = 0; i < n; i++) {
        char *p = malloc(1 << 20);
        if (p == NULL) {
            report("alloc", ENOMEM);
            return 0;
        }
        memset(p, 1, 1 << 20);
    }
    report("alloc", 0);
    return 0;
}

static int do_fork(const char *count)
{
    int n = atoi(count), made = 0, err = 0;
    int gate[2];
    if (pipe(gate) != 0)
        return PROBE_HARNESS;
    for (; made < n; made++) {
        pid_t p = fork();
        if (p < 0) {
            err = errno;
            break;
        }
        if (p == 0) {
            char c;
            close(gate[1]);
            ssize_t r = read(gate[0], &c, 1); /* until the parent closes the gate */
            _exit(r < 0);
        }
    }
    close(gate[1]);
    while (wait(NULL) > 0)
        ;
    if (err)
        printf("fork %s after %d\n", errname(err), made);
    else
        printf("fork ok\n");
    return 0;
}

static int do_status(void)
{
    gid_t groups[64];
    int n = getgroups(64, groups);
    printf("uid %u gid %u groups %d\n", (unsigned)getuid(), (unsigned)getgid(), n);
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return PROBE_HARNESS;
    char line[256];
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "Cap", 3) == 0 || strncmp(line, "Seccomp:", 8) == 0
            || strncmp(line, "NoNewPrivs:", 11) == 0)
            fputs(line, stdout);
    fclose(f);
    return 0;
}

static int do_nested(const char *path, const char *covered)
{
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
        report("nested", errno);
        return 0;
    }
    report("remount", mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL) == 0 ? 0 : errno);
    report("umount", umount2(covered, MNT_DETACH) == 0 ? 0 : errno);
    return do_write(path);
}

static int do_join(const char *file)
{
    FILE *f = fopen(file, "w");
    int err = f == NULL ? errno : 0;
    if (f != NULL) {
        fprintf(f, "%d\n", (int)getpid());
        if (fclose(f) != 0)
            err = errno;
    }
    report("join", err);
    char line[512];
    FILE *cg = fopen("/proc/self/cgroup", "r");
    while (cg != NULL && fgets(line, sizeof line, cg) != NULL)
        printf("cgroup %s", line);
    if (cg != NULL)
        fclose(cg);
    return 0;
}

static int do_tiocsti(void)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
        return PROBE_HARNESS;
    pid_t child = fork();
    if (child < 0)
        return PROBE_HARNESS;
    if (child == 0) {
        /* A session of our own, the pty its controlling terminal: TIOCSTI's own condition is then met. */
        if (setsid() < 0)
            _exit(PROBE_HARNESS);
        int slave = open(ptsname(master), O_RDWR);
        if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) != 0)
            _exit(PROBE_HARNESS);
        char c = 'x';
        report("tiocsti", ioctl(slave, TIOCSTI, &c) == 0 ? 0 : errno);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : PROBE_HARNESS;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "tiocsti") == 0)
        return do_tiocsti();
    if (argc == 2 && strcmp(argv[1], "mount") == 0)
        return do_mount();
    if (argc == 2 && strcmp(argv[1], "status") == 0)
        return do_status();
    if (argc == 4 && strcmp(argv[1], "nested") == 0)
        return do_nested(argv[2], argv[3]);
    if (argc != 3)
        usage("escape write|read|nested PATH [DIR] | kill PID | connect PORT | mount | alloc MB | fork N | join FILE "
              "| status | tiocsti");
    if (strcmp(argv[1], "write") == 0)
        return do_write(argv[2]);
    if (strcmp(argv[1], "read") == 0)
        return do_read(argv[2]);
    if (strcmp(argv[1], "kill") == 0)
        return do_kill(argv[2]);
    if (strcmp(argv[1], "connect") == 0)
        return do_connect(argv[2]);
    if (strcmp(argv[1], "alloc") == 0)
        return do_alloc(argv[2]);
    if (strcmp(argv[1], "fork") == 0)
        return do_fork(argv[2]);
    if (strcmp(argv[1], "nested") == 0)
        return do_nested(argv[2], "/tmp");
    if (strcmp(argv[1], "join") == 0)
        return do_join(argv[2]);
    usage("escape write|read|nested PATH [DIR] | kill PID | connect PORT | mount | alloc MB | fork N | join FILE "
              "| status | tiocsti");
    return PROBE_HARNESS;
}

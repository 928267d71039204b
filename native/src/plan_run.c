/*
 * The plan executor (plan.h): performs each step with raw syscalls and execs the target last. It knows nothing about
 * policies: the seccomp filter arrives already compiled, and only its shape is checked. One loop, one switch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plan.h"
#include "plan_run.h"

extern char **environ;

void plan_fail(uint32_t step, uint32_t index, int err)
{
    struct error_record rec = { step, index, err };
    /* Nothing useful can be done if the parent stopped listening; the exit status still says we failed. */
    ssize_t n = write(ERROR_FD, &rec, sizeof rec);
    (void)n;
    _exit(LAUNCHER_FAILED);
}

static uint32_t u32_at(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void close_from(unsigned int lowfd)
{
    /* close_range keeps the error pipe open only if it lies below lowfd; ERROR_FD is 4, so close around it. */
    if (lowfd <= ERROR_FD) {
        for (unsigned int fd = lowfd; fd < ERROR_FD; fd++)
            close((int)fd);
        lowfd = ERROR_FD + 1;
    }
    if (syscall(SYS_close_range, lowfd, ~0U, 0) == 0)
        return;
    /* Kernels before 5.9: walk the descriptor table limit. */
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = lowfd; fd < max; fd++)
        close((int)fd);
}

/* Splits "path\0arg0\0arg1\0..." in place into path and a NULL-terminated argv. */
static char **exec_args(unsigned char *payload, uint32_t len, char **path)
{
    if (len == 0 || payload[len - 1] != '\0')
        return NULL;
    size_t strings = 0;
    for (uint32_t i = 0; i < len; i++)
        strings += payload[i] == '\0';
    if (strings < 2)
        return NULL;
    char **argv = calloc(strings, sizeof *argv); /* strings-1 arguments + NULL */
    if (argv == NULL)
        return NULL;
    char *s = (char *)payload;
    *path = s;
    s += strlen(s) + 1;
    for (size_t i = 0; i + 1 < strings; i++) {
        argv[i] = s;
        s += strlen(s) + 1;
    }
    return argv;
}

/*
 * STEP_SECCOMP_NOTIFY: the filter returns SECCOMP_RET_USER_NOTIF where a policy says "kill", so that a supervisor
 * learns which process made which call, also for grandchildren and without the kernel log, and then kills it.
 *
 * Handing the listener over is the hard part: once seccomp() returns it, this thread is filtered, and a syscall the
 * policy refuses would wait for an answer nobody can give yet. So a helper thread, started before the filter and
 * never filtered itself (a filter binds only the thread that installs it), forks the supervisor with CLONE_PARENT
 * (a child of the sandbox, never of the program) once the listener exists, while this thread waits without a
 * single syscall; then it may exec. The listener is close-on-exec: the program never holds it.
 */
static int listener;      /* 0 while seccomp() runs; then the fd, or -errno */
static int handed;        /* 0 until the helper is done; then 1, or -errno */
static int report_fd;

static uint64_t status_mask(const char *status, const char *key)
{
    const char *p = strstr(status, key);
    return p == NULL ? 0 : strtoull(p + strlen(key), NULL, 16);
}

/*
 * The supervisor: one process per sandboxed tree, alive while any task of the tree holds the filter. The kill
 * must look like SECCOMP_RET_KILL_PROCESS: a SIGSYS the process cannot catch. A SIGSYS sent from here is that
 * only when the process neither catches nor ignores it and the thread does not block it; otherwise SIGKILL.
 */
static void supervise(int fd)
{
    static union {
        struct seccomp_notif n;
        char room[4096]; /* the kernel's struct may be larger than our header says: SECCOMP_GET_NOTIF_SIZES */
    } req;
    struct seccomp_notif_sizes sizes;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0 || sizes.seccomp_notif > sizeof req)
        _exit(LAUNCHER_FAILED);
    struct notify_record hello = { .kind = NOTIFY_HELLO, .pid = getpid() };
    ssize_t w = write(report_fd, &hello, sizeof hello);
    (void)w;
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p.revents & (POLLHUP | POLLERR))
            break; /* no task holds the filter any more */
        memset(&req, 0, sizes.seccomp_notif);
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req.n) != 0) {
            if (errno == EINTR || errno == ENOENT) /* ENOENT: the caller died before we read it */
                continue;
            break;
        }
        char path[64], status[4096], exe[4096];
        int tid = (int)req.n.pid, tgid = tid, sig = SIGSYS;
        snprintf(path, sizeof path, "/proc/%d/exe", tid);
        ssize_t exe_len = readlink(path, exe, sizeof exe);
        if (exe_len < 0)
            exe_len = 0;
        snprintf(path, sizeof path, "/proc/%d/status", tid);
        int sfd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = sfd < 0 ? -1 : read(sfd, status, sizeof status - 1);
        if (sfd >= 0)
            close(sfd);
        if (n > 0) {
            status[n] = '\0';
            const char *t = strstr(status, "\nTgid:");
            if (t != NULL)
                tgid = atoi(t + 6);
            uint64_t bit = 1ULL << (SIGSYS - 1);
            if ((status_mask(status, "\nSigBlk:") | status_mask(status, "\nSigIgn:")
                 | status_mask(status, "\nSigCgt:")) & bit)
                sig = SIGKILL;
        }
        /* The pid is the caller's only while its notification is pending: check before signalling. */
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.n.id) != 0)
            sig = 0;
        struct {
            struct notify_record r;
            char exe[4096];
        } rec = { .r = { NOTIFY_VIOLATION, tid, tgid, req.n.data.nr, req.n.data.arch, sig, (uint32_t)exe_len } };
        memcpy(rec.exe, exe, (size_t)exe_len);
        /* Report first: when the sandbox sees its program end, every record that led to it is in the pipe. */
        w = write(report_fd, &rec, sizeof rec.r + (size_t)exe_len);
        (void)w;
        int killed = sig == SIGSYS ? (int)syscall(SYS_tgkill, tgid, tid, SIGSYS)
                   : sig == SIGKILL ? kill(tgid, SIGKILL) : 0;
        if (killed != 0) {
            /* It cannot be killed from here: refuse the call rather than leave it waiting. */
            struct seccomp_notif_resp resp = { .id = req.n.id, .error = -EPERM };
            ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
        }
    }
    _exit(0);
}

/* Closes every fd but a and b: close_range (Linux 5.9) in three ranges, one syscall each, for the supervisor's start is
 * on the path of every supervised run; a loop where it is missing. */
static void close_all_but(int a, int b)
{
    unsigned int lo = (unsigned int)(a < b ? a : b), hi = (unsigned int)(a < b ? b : a);
    long r = 0;
    if (lo > 0)
        r |= syscall(SYS_close_range, 0U, lo - 1, 0U);
    if (hi > lo + 1)
        r |= syscall(SYS_close_range, lo + 1, hi - 1, 0U);
    r |= syscall(SYS_close_range, hi + 1, ~0U, 0U);
    if (r != 0)
        for (int i = 0; i < 1024; i++)
            if (i != a && i != b)
                close(i);
}

static void *hand_over(void *unused)
{
    (void)unused;
    int fd;
    while ((fd = __atomic_load_n(&listener, __ATOMIC_ACQUIRE)) == 0)
        sched_yield();
    if (fd < 0)
        return NULL;
    long pid = syscall(SYS_clone, CLONE_PARENT, 0, NULL, NULL, 0);
    if (pid == 0) {
        /* The supervisor holds nothing of the program's: not its stdout (a reader would wait for EOF), not its
         * terminal session (^C), not its directory. */
        close_all_but(fd, report_fd);
        setsid();
        if (chdir("/") != 0)
            _exit(LAUNCHER_FAILED);
        signal(SIGPIPE, SIG_IGN);
        fcntl(report_fd, F_SETFL, O_NONBLOCK); /* a sandbox that stopped reading must not stall the program */
        prctl(PR_SET_NAME, "sandbox-notify", 0, 0, 0);
        supervise(fd);
    }
    __atomic_store_n(&handed, pid > 0 ? 1 : -errno, __ATOMIC_RELEASE);
    return NULL;
}

static void seccomp_notify(uint32_t index, unsigned int flags, const unsigned char *payload, uint32_t len)
{
    if (len < 4)
        plan_fail(STEP_SECCOMP_NOTIFY, index, EINVAL);
    report_fd = (int)u32_at(payload);
    payload += 4;
    len -= 4;
    if (len == 0 || len % sizeof(struct sock_filter) != 0 || len / sizeof(struct sock_filter) > BPF_MAXINSNS)
        plan_fail(STEP_SECCOMP_NOTIFY, index, EINVAL);
    if (fcntl(report_fd, F_SETFD, FD_CLOEXEC) != 0)
        plan_fail(STEP_SECCOMP_NOTIFY, index, errno);
    struct sock_filter *insns = malloc(len);
    if (insns == NULL)
        plan_fail(STEP_SECCOMP_NOTIFY, index, ENOMEM);
    memcpy(insns, payload, len);
    struct sock_fprog prog = { .len = (unsigned short)(len / sizeof(struct sock_filter)), .filter = insns };
    pthread_t helper;
    int err = pthread_create(&helper, NULL, hand_over, NULL);
    if (err != 0)
        plan_fail(STEP_SECCOMP_NOTIFY, index, err);
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags | SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (fd < 0) {
        int e = errno;
        __atomic_store_n(&listener, -e, __ATOMIC_RELEASE);
        plan_fail(STEP_SECCOMP_NOTIFY, index, e); /* no filter yet: fail() may still write */
    }
    __atomic_store_n(&listener, (int)fd, __ATOMIC_RELEASE);
    /* Filtered from here on: wait without syscalls (any of them might be refused) until the helper is done. */
    int done;
    while ((done = __atomic_load_n(&handed, __ATOMIC_ACQUIRE)) == 0)
        __builtin_ia32_pause();
    if (done < 0)
        plan_fail(STEP_SECCOMP_NOTIFY, index, -done); /* may itself be refused: then the kill says enough */
}

void plan_run(unsigned char *plan, size_t len, const struct plan_runtime *rt)
{
    struct plan_header hdr;
    if (len < sizeof hdr)
        plan_fail(STEP_READ_PLAN, 0, EINVAL);
    memcpy(&hdr, plan, sizeof hdr);
    if (hdr.magic != PLAN_MAGIC || hdr.version != PLAN_VERSION)
        plan_fail(STEP_READ_PLAN, 0, EPROTO);

    size_t off = sizeof hdr;
    for (uint32_t index = 0; index < hdr.count; index++) {
        struct plan_record rec;
        if (len - off < sizeof rec)
            plan_fail(STEP_READ_PLAN, index, EINVAL);
        memcpy(&rec, plan + off, sizeof rec);
        off += sizeof rec;
        if (len - off < rec.len)
            plan_fail(STEP_READ_PLAN, index, EINVAL);
        unsigned char *payload = plan + off;
        off += rec.len;

        switch (rec.kind) {
        case STEP_NO_NEW_PRIVS:
            /* Must precede seccomp(): without CAP_SYS_ADMIN the kernel refuses a filter with EACCES otherwise. */
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
                plan_fail(rec.kind, index, errno);
            break;

        case STEP_SECCOMP_FILTER: {
            /* bubblewrap's rule: the launcher checks only the shape of the program it was given. */
            if (rec.len == 0 || rec.len % sizeof(struct sock_filter) != 0
                || rec.len / sizeof(struct sock_filter) > BPF_MAXINSNS)
                plan_fail(rec.kind, index, EINVAL);
            struct sock_filter *insns = malloc(rec.len); /* aligned copy: the payload sits at any offset */
            if (insns == NULL)
                plan_fail(rec.kind, index, ENOMEM);
            memcpy(insns, payload, rec.len);
            struct sock_fprog prog = {
                .len = (unsigned short)(rec.len / sizeof(struct sock_filter)),
                .filter = insns,
            };
            if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned int)rec.flags, &prog) != 0)
                plan_fail(rec.kind, index, errno);
            break;
        }

        case STEP_STOP:
            /* The tracer waits for this stop, seizes us, and lets us run on into execve under ptrace. */
            if (raise(SIGSTOP) != 0)
                plan_fail(rec.kind, index, errno);
            break;

        case STEP_CLOSE_FROM:
            if (rec.len != 4)
                plan_fail(rec.kind, index, EINVAL);
            close_from(u32_at(payload));
            break;

        case STEP_PARENT_DEATH: {
            if (rec.len != 8)
                plan_fail(rec.kind, index, EINVAL);
            uint32_t parent = u32_at(payload + 4);
            if (parent == PLAN_PARENT_RUNNER)
                parent = (uint32_t)rt->runner;
            if (parent == 0)
                plan_fail(rec.kind, index, EINVAL);
            if (prctl(PR_SET_PDEATHSIG, (unsigned long)u32_at(payload), 0, 0, 0) != 0)
                plan_fail(rec.kind, index, errno);
            /* The parent may have died before prctl(): then no signal will ever come, so act now. */
            if ((uint32_t)getppid() != parent)
                plan_fail(rec.kind, index, ESRCH);
            break;
        }

        case STEP_EXEC: {
            char *path = NULL;
            char **args = exec_args(payload, rec.len, &path);
            if (args == NULL)
                plan_fail(rec.kind, index, EINVAL);
            execve(path, args, environ);
            plan_fail(rec.kind, index, errno);
            break;
        }

        case STEP_CHDIR:
            if (rec.len == 0 || payload[rec.len - 1] != '\0')
                plan_fail(rec.kind, index, EINVAL);
            if (chdir((const char *)payload) != 0)
                plan_fail(rec.kind, index, errno);
            break;

        case STEP_SECCOMP_NOTIFY:
            seccomp_notify(index, rec.flags, payload, rec.len);
            break;

        case STEP_SETSID_CTTY:
            /* A new session has no controlling terminal; stdin (a pty the sandbox opened) becomes it, so the
             * program's ^C, job control and /dev/tty work as on a real terminal. */
            if (setsid() < 0)
                plan_fail(rec.kind, index, errno);
            if (ioctl(0, TIOCSCTTY, 0) != 0)
                plan_fail(rec.kind, index, errno);
            break;

        default:
            plan_fail(rec.kind, index, ENOSYS);
        }
    }
    /* A plan without an exec step is a bug on the Java side. */
    plan_fail(STEP_READ_PLAN, hdr.count, ENOEXEC);
}

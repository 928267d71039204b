/*
 * The plan executor (plan.h): performs each step with raw syscalls and execs the target last. It knows nothing about
 * policies: the seccomp filter arrives already compiled, and only its shape is checked. One loop, one switch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plan.h"
#include "plan_run.h"

extern char **environ;

/* Room for the exec step's argv, allocated before any filter: malloc may need a syscall (see seccomp_notify). */
static char **exec_argv;

static void await_supervisor(void);

void plan_fail(uint32_t step, uint32_t index, int err)
{
    await_supervisor(); /* err is safe already: nothing here runs before a supervisor can answer a refused call */
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
    char **argv = exec_argv; /* strings-1 arguments + NULL; plan_run made room for every string of the plan */
    char *s = (char *)payload;
    *path = s;
    s += strlen(s) + 1;
    for (size_t i = 0; i + 1 < strings; i++) {
        argv[i] = s;
        s += strlen(s) + 1;
    }
    return argv;
}

/* Splits "a\0b\0..." into n strings; an empty string becomes NULL when empty_is_null. Returns 0 when malformed. */
static int strings_at(unsigned char *payload, uint32_t len, const char **out, int n, int empty_is_null)
{
    if (len == 0 || payload[len - 1] != '\0')
        return 0;
    char *s = (char *)payload, *end = (char *)payload + len;
    for (int i = 0; i < n; i++) {
        if (s >= end)
            return 0;
        out[i] = (*s == '\0' && empty_is_null) ? NULL : s;
        s += strlen(s) + 1;
    }
    return s == end;
}

static uint64_t u64_at(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* STEP_PID_INIT: the signals a person or the sandbox sends to end or resize the program, passed down the chain. */
static const int relayed[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH };
static volatile pid_t relay_to;

static void relay_signal(int sig)
{
    int saved = errno;
    kill(relay_to, sig);
    errno = saved;
}

static void forward_signals(pid_t to)
{
    relay_to = to;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = relay_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof relayed / sizeof relayed[0]; i++)
        sigaction(relayed[i], &sa, NULL);
}

/* Ends this process the way `status` says the program ended, so the sandbox reads the program's own wait status. */
static void end_as(int status)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        struct rlimit none = { 0, 0 };
        setrlimit(RLIMIT_CORE, &none); /* the program dumped core already if it was going to */
        signal(sig, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(sig);
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : LAUNCHER_FAILED);
}

/*
 * After unshare(CLONE_NEWPID) our next child is pid 1 of the new namespace. Like bubblewrap we do not make the program
 * pid 1: init ignores every signal it has no handler for (Ctrl-C would do nothing) and must reap orphans. So:
 *   relay (us, outside)  forwards signals to init, waits, and ends as the program ended (the sandbox waits on it);
 *   init (pid 1)         dies with the relay (PDEATHSIG), forwards signals, reaps everything, reports the
 *                        program's wait status to the relay over a pipe (pid 1 cannot die by a signal it raises);
 *   program (pid 2)      returns from here and goes on with the plan.
 * When init exits the kernel kills whatever is left in the namespace.
 */
static void pid_init(uint32_t step, uint32_t index)
{
    int status_pipe[2];
    if (pipe2(status_pipe, O_CLOEXEC) != 0)
        plan_fail(step, index, errno);
    pid_t init = fork();
    if (init < 0)
        plan_fail(step, index, errno);
    if (init > 0) {
        close(ERROR_FD); /* EOF there must come from the program's execve */
        close(status_pipe[1]);
        forward_signals(init);
        int status = 0, inner;
        while (waitpid(init, &status, 0) < 0 && errno == EINTR)
            ;
        ssize_t n;
        while ((n = read(status_pipe[0], &inner, sizeof inner)) < 0 && errno == EINTR)
            ;
        end_as(n == (ssize_t)sizeof inner ? inner : status);
    }
    close(status_pipe[0]);
    /* The relay's death (the sandbox died) kills init, and with it the namespace. From an ancestor namespace the
     * kernel forces SIGKILL on pid 1. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        plan_fail(step, index, errno);
    pid_t program = fork();
    if (program < 0)
        plan_fail(step, index, errno);
    if (program > 0) {
        close(ERROR_FD);
        forward_signals(program);
        for (;;) {
            int status;
            pid_t done = waitpid(-1, &status, 0);
            if (done == program) {
                ssize_t w = write(status_pipe[1], &status, sizeof status);
                _exit(w == (ssize_t)sizeof status ? 0 : LAUNCHER_FAILED);
            }
            if (done < 0 && errno != EINTR)
                _exit(LAUNCHER_FAILED);
        }
    }
    close(status_pipe[1]);
}

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

/* <linux/mount.h> struct mount_attr, spelled out: that header clashes with <sys/mount.h>. */
struct sandbox_mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};

static int landlock_fd = -1;

/* STEP_CAPS: see plan.h. The loops are over masks Java chose; nothing here decides which capability stays. */
static int set_caps(uint64_t keep, uint32_t last_cap, int ambient, int bounding)
{
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &hdr, data) != 0)
        return -1;
    /* PR_CAPBSET_DROP needs CAP_SETPCAP in the effective set, which a uid change may have cleared. */
    data[0].effective = data[0].permitted;
    data[1].effective = data[1].permitted;
    if (syscall(SYS_capset, &hdr, data) != 0)
        return -1;
    for (uint32_t cap = 0; bounding && cap <= last_cap && cap < 64; cap++)
        if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
            return -1;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        uint32_t part = (uint32_t)(keep >> (32 * i));
        data[i].effective = data[i].permitted = data[i].inheritable = part;
    }
    if (syscall(SYS_capset, &hdr, data) != 0)
        return -1;
    for (uint32_t cap = 0; ambient && cap <= last_cap && cap < 64; cap++)
        if ((keep & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
            return -1;
    return 0;
}

/*
 * STEP_SECCOMP_NOTIFY: the filter returns SECCOMP_RET_USER_NOTIF where a policy says "kill", so that a supervisor
 * learns which process made which call, also for grandchildren and without the kernel log, and then kills it.
 *
 * Handing the listener over is the hard part: once seccomp() returns it, this thread is filtered, and a syscall the
 * policy refuses would wait for an answer nobody can give yet. So the supervisor exists before the filter: a process
 * of its own (CLONE_PARENT: a child of the sandbox, never of the program) that shares this address space and fd table
 * (CLONE_VM | CLONE_FILES) and so holds the listener the moment seccomp() returns it, without a syscall of ours. It
 * sleeps until this thread leaves the address space: execve (which gives the program a private fd table first, where
 * the close-on-exec listener is closed) or death. The kernel itself wakes it then, through the futex word of
 * set_tid_address (clear_child_tid, which an exec or exit clears and wakes while another task shares the mm).
 * So after the filter this thread makes no syscall but execve and never waits for another task: the supervisor's
 * start is off the program's path, and a refused call (execve itself, or any call of the program) just waits in the
 * kernel until the supervisor reads it.
 *
 * Anything else after the filter (a failed exec reporting its errno, a plan that goes on) first asks the supervisor
 * to take over now (await_supervisor): it looks every millisecond while it sleeps, since no wake-up can be sent.
 * Until it takes over it runs only raw syscalls on this thread's TLS, which glibc would write errno to.
 */
static int listener = -1;   /* the fd once seccomp() returned it */
static int main_tid;        /* our clear_child_tid: the kernel zeroes it when we exec or die */
static int take_over;       /* set when we need the supervisor before we leave */
static int handed;          /* 0 until the supervisor holds the listener alone; then 1, or -errno */
static int supervisor_wanted; /* the filter is in: see await_supervisor */
static int report_fd;
static sigset_t supervisor_mask;

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

/* futex(addr, FUTEX_WAIT, val, timeout) without errno: see the comment above listener. */
static long raw_futex_wait(int *addr, int val, const struct timespec *timeout)
{
    long ret;
    register long r10 __asm__("r10") = (long)timeout;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"((long)SYS_futex), "D"(addr), "S"((long)FUTEX_WAIT), "d"((long)val), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

static int supervisor_main(void *unused)
{
    (void)unused;
    static const struct timespec ms = { 0, 1000000 };
    int tid;
    while ((tid = __atomic_load_n(&main_tid, __ATOMIC_ACQUIRE)) != 0 && !__atomic_load_n(&take_over, __ATOMIC_ACQUIRE))
        raw_futex_wait(&main_tid, tid, &ms);
    int fd = __atomic_load_n(&listener, __ATOMIC_ACQUIRE);
    if (fd < 0)
        _exit(0); /* no filter: the launcher reported why and is gone */
    /* The launcher may still be here (take_over): our own fd table, then close what is not ours. The supervisor
     * holds nothing of the program's: not its stdout (a reader would wait for EOF), not the error pipe (the sandbox
     * waits for its EOF), not its terminal session (^C), not its directory. */
    if (unshare(CLONE_FILES) != 0) {
        __atomic_store_n(&handed, -errno, __ATOMIC_RELEASE);
        if (tid != 0)
            kill(tid, SIGKILL); /* fail closed: nobody could answer a refused call */
        _exit(LAUNCHER_FAILED);
    }
    close_all_but(fd, report_fd);
    __atomic_store_n(&handed, 1, __ATOMIC_RELEASE);
    setsid();
    sigprocmask(SIG_SETMASK, &supervisor_mask, NULL);
    if (chdir("/") != 0)
        _exit(LAUNCHER_FAILED);
    signal(SIGPIPE, SIG_IGN);
    fcntl(report_fd, F_SETFL, O_NONBLOCK); /* a sandbox that stopped reading must not stall the program */
    prctl(PR_SET_NAME, "sandbox-notify", 0, 0, 0);
    supervise(fd);
    return 0;
}

/* Before any syscall after the filter but execve: the supervisor takes the listener now. No syscall here. */
static void await_supervisor(void)
{
    if (!supervisor_wanted)
        return;
    supervisor_wanted = 0;
    __atomic_store_n(&take_over, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&handed, __ATOMIC_ACQUIRE) == 0)
        __builtin_ia32_pause();
}

#define SUPERVISOR_STACK (1u << 20)

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

    /* The supervisor's stack, with a guard page below it. */
    char *stack = mmap(NULL, SUPERVISOR_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        plan_fail(STEP_SECCOMP_NOTIFY, index, errno);
    if (mprotect(stack, 4096, PROT_NONE) != 0)
        plan_fail(STEP_SECCOMP_NOTIFY, index, errno);
    main_tid = (int)syscall(SYS_gettid);
    syscall(SYS_set_tid_address, &main_tid);
    /* Signals stay blocked in the supervisor until it has left our session. */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &supervisor_mask);
    int pid = clone(supervisor_main, stack + SUPERVISOR_STACK, CLONE_VM | CLONE_FILES | CLONE_PARENT, NULL);
    int e = errno;
    sigprocmask(SIG_SETMASK, &supervisor_mask, NULL);
    if (pid < 0)
        plan_fail(STEP_SECCOMP_NOTIFY, index, e);

    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags | SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (fd < 0)
        plan_fail(STEP_SECCOMP_NOTIFY, index, errno); /* no filter: the supervisor leaves when we do */
    __atomic_store_n(&listener, (int)fd, __ATOMIC_RELEASE);
    supervisor_wanted = 1;
}

void plan_run(unsigned char *plan, size_t len, const struct plan_runtime *rt)
{
    struct plan_header hdr;
    if (len < sizeof hdr)
        plan_fail(STEP_READ_PLAN, 0, EINVAL);
    memcpy(&hdr, plan, sizeof hdr);
    if (hdr.magic != PLAN_MAGIC || hdr.version != PLAN_VERSION)
        plan_fail(STEP_READ_PLAN, 0, EPROTO);

    /* The exec step's argv has at most one entry per NUL of the plan. */
    size_t nuls = 0;
    for (size_t i = 0; i < len; i++)
        nuls += plan[i] == '\0';
    exec_argv = calloc(nuls + 1, sizeof *exec_argv);
    if (exec_argv == NULL)
        plan_fail(STEP_READ_PLAN, 0, ENOMEM);

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
        if (rec.kind != STEP_EXEC)
            await_supervisor();

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

        case STEP_UNSHARE:
            if (rec.len != 4)
                plan_fail(rec.kind, index, EINVAL);
            if (unshare((int)u32_at(payload)) != 0)
                plan_fail(rec.kind, index, errno);
            break;

        case STEP_SYNC: {
            /* The parent writes what only it may write (uid_map, gid_map, cgroup.procs) while we wait here. */
            if (rec.len != 4)
                plan_fail(rec.kind, index, EINVAL);
            int sync_fd = (int)u32_at(payload);
            char byte = 0;
            ssize_t n;
            while ((n = write(sync_fd, &byte, 1)) < 0 && errno == EINTR)
                ;
            if (n != 1)
                plan_fail(rec.kind, index, n < 0 ? errno : EIO);
            while ((n = read(sync_fd, &byte, 1)) < 0 && errno == EINTR)
                ;
            if (n != 1)
                plan_fail(rec.kind, index, n < 0 ? errno : ECANCELED);
            close(sync_fd);
            break;
        }

        case STEP_PID_INIT:
            pid_init(rec.kind, index);
            break;

        case STEP_MOUNT: {
            const char *s[4];
            if (rec.len < 8 || !strings_at(payload + 8, rec.len - 8, s, 4, 1))
                plan_fail(rec.kind, index, EINVAL);
            if (mount(s[0], s[1], s[2], (unsigned long)u64_at(payload), s[3]) != 0)
                plan_fail(rec.kind, index, errno);
            break;
        }

        case STEP_MOUNT_SETATTR: {
            const char *path;
            if (rec.len < 20 || !strings_at(payload + 20, rec.len - 20, &path, 1, 0))
                plan_fail(rec.kind, index, EINVAL);
            struct sandbox_mount_attr attr = { u64_at(payload), u64_at(payload + 8), 0, 0 };
            if (syscall(SYS_mount_setattr, AT_FDCWD, path, u32_at(payload + 16), &attr, sizeof attr) != 0)
                plan_fail(rec.kind, index, errno);
            break;
        }

        case STEP_MKDIR: {
            const char *path;
            if (!strings_at(payload, rec.len, &path, 1, 0))
                plan_fail(rec.kind, index, EINVAL);
            if (mkdir(path, 0755) != 0 && errno != EEXIST)
                plan_fail(rec.kind, index, errno);
            break;
        }

        case STEP_MKFILE: {
            const char *path;
            if (!strings_at(payload, rec.len, &path, 1, 0))
                plan_fail(rec.kind, index, EINVAL);
            int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (fd < 0 && errno != EEXIST)
                plan_fail(rec.kind, index, errno);
            if (fd >= 0)
                close(fd);
            break;
        }

        case STEP_SYMLINK: {
            const char *s[2];
            if (!strings_at(payload, rec.len, s, 2, 0))
                plan_fail(rec.kind, index, EINVAL);
            if (symlink(s[0], s[1]) != 0)
                plan_fail(rec.kind, index, errno);
            break;
        }

        case STEP_PIVOT_ROOT: {
            const char *s[2];
            if (!strings_at(payload, rec.len, s, 2, 0))
                plan_fail(rec.kind, index, EINVAL);
            if (syscall(SYS_pivot_root, s[0], s[1]) != 0)
                plan_fail(rec.kind, index, errno);
            break;
        }

        case STEP_UMOUNT: {
            const char *path;
            if (!strings_at(payload, rec.len, &path, 1, 0))
                plan_fail(rec.kind, index, EINVAL);
            if (umount2(path, MNT_DETACH) != 0)
                plan_fail(rec.kind, index, errno);
            break;
        }

        case STEP_LOOPBACK_UP: {
            int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (sock < 0)
                plan_fail(rec.kind, index, errno);
            struct ifreq ifr;
            memset(&ifr, 0, sizeof ifr);
            strcpy(ifr.ifr_name, "lo");
            if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0)
                plan_fail(rec.kind, index, errno);
            ifr.ifr_flags |= IFF_UP;
            if (ioctl(sock, SIOCSIFFLAGS, &ifr) != 0)
                plan_fail(rec.kind, index, errno);
            close(sock);
            break;
        }

        case STEP_SETHOSTNAME:
            if (sethostname((const char *)payload, rec.len) != 0)
                plan_fail(rec.kind, index, errno);
            break;

        case STEP_RLIMIT: {
            if (rec.len != 20)
                plan_fail(rec.kind, index, EINVAL);
            struct rlimit64 lim = { u64_at(payload + 4), u64_at(payload + 12) };
            if (prlimit64(0, (int)u32_at(payload), &lim, NULL) != 0)
                plan_fail(rec.kind, index, errno);
            break;
        }

        case STEP_IDENTITY:
            if (rec.len != 8)
                plan_fail(rec.kind, index, EINVAL);
            /* Keep the permitted capabilities across the uid change: STEP_CAPS decides what stays. */
            if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
                plan_fail(rec.kind, index, errno);
            if ((rec.flags & 1) && setgroups(0, NULL) != 0)
                plan_fail(rec.kind, index, errno);
            if (setresgid(u32_at(payload), u32_at(payload), u32_at(payload)) != 0)
                plan_fail(rec.kind, index, errno);
            if (setresuid(u32_at(payload + 4), u32_at(payload + 4), u32_at(payload + 4)) != 0)
                plan_fail(rec.kind, index, errno);
            break;

        case STEP_CAPS:
            if (rec.len != 12)
                plan_fail(rec.kind, index, EINVAL);
            if (set_caps(u64_at(payload), u32_at(payload + 8), rec.flags & 1, !(rec.flags & 2)) != 0)
                plan_fail(rec.kind, index, errno);
            break;

        case STEP_LANDLOCK_RULESET:
            landlock_fd = (int)syscall(SYS_landlock_create_ruleset, payload, (size_t)rec.len, 0U);
            if (landlock_fd < 0)
                plan_fail(rec.kind, index, errno);
            break;

        case STEP_LANDLOCK_RULE: {
            const char *path;
            if (rec.len < 8 || !strings_at(payload + 8, rec.len - 8, &path, 1, 0))
                plan_fail(rec.kind, index, EINVAL);
            struct landlock_path_beneath_attr rule = { .allowed_access = u64_at(payload) };
            rule.parent_fd = open(path, O_PATH | O_CLOEXEC);
            if (rule.parent_fd < 0)
                plan_fail(rec.kind, index, errno);
            if (syscall(SYS_landlock_add_rule, landlock_fd, LANDLOCK_RULE_PATH_BENEATH, &rule, 0U) != 0)
                plan_fail(rec.kind, index, errno);
            close(rule.parent_fd);
            break;
        }

        case STEP_LANDLOCK_RESTRICT:
            /* Needs NO_NEW_PRIVS first (or CAP_SYS_ADMIN), like seccomp. */
            if (syscall(SYS_landlock_restrict_self, landlock_fd, 0U) != 0)
                plan_fail(rec.kind, index, errno);
            close(landlock_fd);
            landlock_fd = -1;
            break;

        case STEP_EXIT:
            _exit(0);

        case STEP_CLOSE:
            if (rec.len != 4)
                plan_fail(rec.kind, index, EINVAL);
            close((int)u32_at(payload)); /* EBADF is what it is meant to leave */
            break;

        default:
            plan_fail(rec.kind, index, ENOSYS);
        }
    }
    /* A plan without an exec step is a bug on the Java side. */
    plan_fail(STEP_READ_PLAN, hdr.count, ENOEXEC);
}

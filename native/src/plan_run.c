/*
 * The plan executor (plan.h): performs each step with raw syscalls and execs the target last. It knows nothing about
 * policies: the seccomp filter arrives already compiled, and only its shape is checked. One loop, one switch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
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

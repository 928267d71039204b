/*
 * sandbox-launcher: runs between fork and execve on behalf of the Java `sandbox` command.
 *
 * Java cannot run code in a child before execve, so this program does it: it reads a plan (plan.h) that Java built
 * from PLAN_FD and hands it to the executor (plan_run.c), which performs each step and execs the target last. It
 * knows nothing about policies.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"
#include "plan_run.h"

static size_t read_all(int fd, unsigned char *buf, size_t cap)
{
    size_t got = 0;
    for (;;) {
        if (got == cap)
            plan_fail(STEP_READ_PLAN, 0, E2BIG);
        ssize_t n = read(fd, buf + got, cap - got);
        if (n == 0)
            return got;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            plan_fail(STEP_READ_PLAN, 0, errno);
        }
        got += (size_t)n;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], LAUNCHER_ARG) != 0) {
        fprintf(stderr, "sandbox-launcher: this is an internal helper of `sandbox`; run `sandbox --help` instead\n");
        return LAUNCHER_FAILED;
    }

    /* dup2() in posix_spawn cleared close-on-exec; the error pipe must close at execve for EOF to mean success. */
    if (fcntl(ERROR_FD, F_SETFD, FD_CLOEXEC) != 0) {
        fprintf(stderr, "sandbox-launcher: no error pipe on fd %d; this is an internal helper of `sandbox`\n",
                ERROR_FD);
        return LAUNCHER_FAILED;
    }

    static unsigned char plan[PLAN_MAX];
    size_t len = read_all(PLAN_FD, plan, sizeof plan);
    close(PLAN_FD);

    /* Spawned and exec'd by the JVM: no runner, the plan names the parent to die with. */
    struct plan_runtime rt = { .runner = 0 };
    plan_run(plan, len, &rt);
}

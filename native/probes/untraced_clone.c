/*
 * untraced_clone DIR: a raw clone(CLONE_UNTRACED|SIGCHLD) whose child tries mkdir(DIR/child) and reports the result
 * to the parent through a pipe; the parent prints "untraced-child mkdir <result>" and the child's pid, waits, exits.
 * With "linger" as a second argument the parent does not wait: the child sleeps a second before its mkdir, so a
 * child that escaped the tracer would still be running (and then create DIR/child) after the sandbox exits.
 */
#include "probe.h"
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif

int main(int argc, char **argv)
{
    if (argc < 2)
        usage("untraced_clone DIR [linger]");
    int linger = argc > 2 && strcmp(argv[2], "linger") == 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/child", argv[1]);
    int fds[2];
    if (pipe(fds) != 0)
        return PROBE_HARNESS;
    long pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) {
        report("clone", errno);
        return 0;
    }
    if (pid == 0) {
        if (linger)
            sleep(1);
        int err = mkdir(path, 0700) == 0 ? 0 : errno;
        ssize_t n = write(fds[1], &err, sizeof err);
        (void)n;
        _exit(0);
    }
    printf("child %ld\n", pid);
    fflush(stdout);
    if (linger)
        return 0;
    int err = -1;
    ssize_t n = read(fds[0], &err, sizeof err);
    if (n != sizeof err)
        printf("untraced-child no report\n");
    else
        report("untraced-child mkdir", err);
    waitpid((pid_t)pid, NULL, 0);
    return 0;
}

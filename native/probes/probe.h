/*
 * Shared by the test probes. A probe does one thing and reports the effect on stdout as
 *     <what> ok            or     <what> <ERRNO-NAME>
 * Exit codes: 0 the probe ran to the end, 77 skip (feature absent), 99 harness error (bad usage).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_SKIP 77
#define PROBE_HARNESS 99

static inline const char *errname(int err)
{
    switch (err) {
    case 0: return "ok";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EEXIST: return "EEXIST";
    case ENOSYS: return "ENOSYS";
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    default: return strerrorname_np(err) ? strerrorname_np(err) : "E?";
    }
}

static inline void report(const char *what, int err)
{
    printf("%s %s\n", what, errname(err));
    fflush(stdout);
}

static inline void usage(const char *text)
{
    fprintf(stderr, "usage: %s\n", text);
    exit(PROBE_HARNESS);
}

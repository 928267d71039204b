/*
 * raw_syscall NR [ARG...]: makes syscall NR with up to 3 integer arguments and reports the errno, e.g.
 * "raw_syscall 101 0" is ptrace(PTRACE_TRACEME) and "raw_syscall 451 -1" a cachestat on a bad fd.
 */
#include "probe.h"
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 5)
        usage("raw_syscall NR [ARG...]");
    long a[3] = {0, 0, 0};
    for (int i = 2; i < argc; i++)
        a[i - 2] = atol(argv[i]);
    long ret = syscall(atol(argv[1]), a[0], a[1], a[2]);
    report("syscall", ret < 0 ? errno : 0);
    return 0;
}

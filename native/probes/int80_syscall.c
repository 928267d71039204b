/*
 * int80_syscall NR [ARG...]: makes i386 syscall NR through int $0x80 with up to 3 integer arguments and reports the
 * errno as "int80 <result>" ("int80_syscall 26 0" is i386 ptrace(PTRACE_TRACEME), "425 1 0" io_uring_setup).
 */
#include "probe.h"

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 5)
        usage("int80_syscall NR [ARG...]");
    long a[3] = {0, 0, 0};
    for (int i = 2; i < argc; i++)
        a[i - 2] = atol(argv[i]);
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(atol(argv[1])), "b"(a[0]), "c"(a[1]), "d"(a[2]) : "memory");
    report("int80", ret < 0 ? (int)-ret : 0);
    return 0;
}

/*
 * int80_mkdir DIR: calls mkdir through the i386 entry (int $0x80, eax = 39). On x86_64, 39 is getpid, so a filter
 * that looks up the number without the arch would let this through. The path must sit below 4 GiB because the
 * i386 ABI passes 32-bit pointers.
 */
#include "probe.h"
#include <sys/mman.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        usage("int80_mkdir DIR");
    char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (low == MAP_FAILED)
        return PROBE_HARNESS;
    strncpy(low, argv[1], 4095);
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(39L), "b"((long)low), "c"(0700L) : "memory");
    /* A kernel without IA32 emulation answers ENOSYS; the test treats that as "nothing created" too. */
    report("int80_mkdir", ret < 0 ? (int)-ret : 0);
    return 0;
}

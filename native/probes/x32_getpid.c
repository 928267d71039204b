/* x32_getpid: getpid through the x32 ABI (nr 39 | __X32_SYSCALL_BIT). A sandbox must refuse x32 numbers. */
#include "probe.h"
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    long ret = syscall(39 | 0x40000000L);
    report("x32_getpid", ret < 0 ? errno : 0);
    return 0;
}

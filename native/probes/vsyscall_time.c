/*
 * vsyscall_time: calls time() and gettimeofday() through the legacy vsyscall page (fixed addresses), which makes
 * no ptrace syscall stop. Prints "vsyscall-time ok" and "vsyscall-gettimeofday ok", or skips (77) when the kernel
 * maps no vsyscall page (vsyscall=none).
 */
#include "probe.h"
#include <sys/time.h>
#include <time.h>

int main(void)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    int present = 0;
    while (maps != NULL && fgets(line, sizeof line, maps) != NULL)
        present |= strstr(line, "[vsyscall]") != NULL && strstr(line, "x") != NULL;
    if (maps != NULL)
        fclose(maps);
    if (!present) {
        printf("no vsyscall page\n");
        return PROBE_SKIP;
    }
    time_t (*vtime)(time_t *) = (time_t (*)(time_t *))0xffffffffff600400UL;
    int (*vgettimeofday)(struct timeval *, void *) = (int (*)(struct timeval *, void *))0xffffffffff600000UL;
    time_t t = vtime(NULL);
    report("vsyscall-time", t > 0 ? 0 : (int)-t);
    struct timeval tv;
    int r = vgettimeofday(&tv, NULL);
    report("vsyscall-gettimeofday", r == 0 ? 0 : -r);
    return 0;
}

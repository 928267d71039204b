/* status: prints the Seccomp and NoNewPrivs lines of /proc/self/status. */
#include "probe.h"

int main(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return PROBE_HARNESS;
    char line[256];
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "Seccomp:", 8) == 0 || strncmp(line, "NoNewPrivs:", 11) == 0)
            fputs(line, stdout);
    fclose(f);
    return 0;
}

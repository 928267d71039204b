/* open_legacy FILE: opens FILE with the old open(2) syscall (not openat) and reports. */
#include "probe.h"
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        usage("open_legacy FILE");
    long fd = syscall(SYS_open, argv[1], O_RDONLY);
    report("open", fd < 0 ? errno : 0);
    return 0;
}

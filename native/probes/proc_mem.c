/*
 * proc_mem: opens its parent's /proc/PID/mem read-write (under the sandbox the parent is the sandbox itself) and
 * one of its descriptors through /proc/PID/fd/0. Prints "parent-mem <result>" and "parent-fd <result>".
 */
#include "probe.h"
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)getppid());
    int fd = open(path, O_RDWR);
    report("parent-mem", fd < 0 ? errno : 0);
    snprintf(path, sizeof path, "/proc/%d/fd/0", (int)getppid());
    fd = open(path, O_RDONLY | O_NONBLOCK);
    report("parent-fd", fd < 0 ? errno : 0);
    return 0;
}

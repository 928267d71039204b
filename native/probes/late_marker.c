/*
 * late_marker SECS FILE: forks a child that sleeps SECS and then creates FILE; the parent sleeps too.
 * If the sandbox is killed, neither may survive: FILE must never appear.
 */
#include "probe.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("late_marker SECS FILE");
    unsigned secs = (unsigned)atoi(argv[1]);
    printf("started\n");
    fflush(stdout);
    if (fork() == 0) {
        sleep(secs);
        int fd = open(argv[2], O_CREAT | O_WRONLY, 0600);
        _exit(fd < 0);
    }
    sleep(secs + 1);
    return 0;
}

/*
 * sigsys_catch DIR: installs a SIGSYS handler, then mkdir(DIR). Under a policy that kills mkdir the handler must
 * never run: a seccomp kill is not catchable. Prints "handler ran" if it did, "mkdir <ERRNO>" if mkdir returned.
 */
#include "probe.h"
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

static void on_sigsys(int sig)
{
    (void)sig;
    static const char msg[] = "handler ran\n";
    ssize_t n = write(1, msg, sizeof msg - 1);
    (void)n;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        usage("sigsys_catch DIR");
    struct sigaction sa = { .sa_handler = on_sigsys };
    sigaction(SIGSYS, &sa, NULL);
    report("mkdir", mkdir(argv[1], 0700) == 0 ? 0 : errno);
    return 0;
}

/* fork_mkdir DIR: a forked child tries mkdir; the parent reports how the child ended and what it saw. */
#include "probe.h"
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        usage("fork_mkdir DIR");
    pid_t pid = fork();
    if (pid < 0)
        return PROBE_HARNESS;
    if (pid == 0) {
        report("child_mkdir", mkdir(argv[1], 0700) == 0 ? 0 : errno);
        _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0)
        return PROBE_HARNESS;
    if (WIFSIGNALED(status))
        printf("child_signal %d\n", WTERMSIG(status));
    else
        printf("child_exit %d\n", WEXITSTATUS(status));
    return 0;
}

/* vfork_exec PROG ARGS...: vfork, execv PROG in the child, report its status. */
#include "probe.h"
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        usage("vfork_exec PROG [ARGS...]");
    pid_t pid = vfork();
    if (pid < 0)
        return PROBE_HARNESS;
    if (pid == 0) {
        execv(argv[1], argv + 1);
        _exit(127);
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

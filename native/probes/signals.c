/* signals: a SIGUSR1 handler runs when the signal is raised, and SIGCHLD arrives when a child exits. */
#include "probe.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t usr1, chld;
static void on_usr1(int sig) { (void)sig; usr1 = 1; }
static void on_chld(int sig) { (void)sig; chld = 1; }

int main(void)
{
    signal(SIGUSR1, on_usr1);
    signal(SIGCHLD, on_chld);
    raise(SIGUSR1);
    report("sigusr1_handler", usr1 ? 0 : EINVAL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(3);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    report("sigchld_handler", chld ? 0 : EINVAL);
    return 0;
}

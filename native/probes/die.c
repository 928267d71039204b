/* die SIGNAL: kills itself with SIGNAL (a number), to check 128+N. Exits N when told "exit N". */
#include "probe.h"
#include <signal.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "exit") == 0)
        return atoi(argv[2]);
    if (argc != 2)
        usage("die SIGNAL | die exit N");
    int sig = atoi(argv[1]);
    signal(sig, SIG_DFL);
    kill(getpid(), sig);
    pause();
    return PROBE_HARNESS;
}

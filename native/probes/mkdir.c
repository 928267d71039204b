/* mkdir DIR...: tries mkdir on each and reports the errno; used for kill/errno/learner tests. */
#include "probe.h"
#include <sys/stat.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        usage("mkdir DIR...");
    for (int i = 1; i < argc; i++)
        report("mkdir", mkdir(argv[i], 0700) == 0 ? 0 : errno);
    return 0;
}

/* env0: writes its environment to stdout as NUL-terminated entries, byte for byte (env -0, without the locale). */
#include "probe.h"
#include <unistd.h>

extern char **environ;

int main(void)
{
    for (char **e = environ; *e; e++)
        fwrite(*e, 1, strlen(*e) + 1, stdout);
    return 0;
}

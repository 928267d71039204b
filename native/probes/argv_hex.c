/*
 * argv_hex [ARGS...]: prints each argument after argv[0] as hex bytes, one per line, then tries to open it and
 * says "open ok" or "open <ERRNO>": the bytes the program got, whatever the locale of whoever started it.
 */
#include "probe.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        for (const unsigned char *p = (const unsigned char *)argv[i]; *p; p++)
            printf("%02x", *p);
        int fd = open(argv[i], O_RDONLY);
        printf(" open %s\n", errname(fd < 0 ? errno : 0));
        if (fd >= 0)
            close(fd);
    }
    return 0;
}

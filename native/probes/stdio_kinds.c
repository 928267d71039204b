/*
 * stdio_kinds REPORT [TEXT]: writes what fds 0, 1 and 2 are to the file REPORT, one line each:
 *     <fd> <file|pipe|tty|null|socket|device|closed> <device>:<inode>
 * then writes TEXT (if given) to stdout. The report goes to a file of its own so that it does not depend on the
 * stdout being looked at.
 */
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        usage("stdio_kinds REPORT [TEXT]");
    /* Looked at before the report is opened: a closed one of them would otherwise be the report. */
    struct stat sts[3];
    int open_fd[3];
    for (int fd = 0; fd < 3; fd++)
        open_fd[fd] = fstat(fd, &sts[fd]) == 0;
    FILE *out = fopen(argv[1], "w");
    if (out == NULL)
        return PROBE_HARNESS;
    for (int fd = 0; fd < 3; fd++) {
        struct stat st = sts[fd];
        const char *kind;
        if (!open_fd[fd])
            kind = "closed";
        else if (S_ISREG(st.st_mode))
            kind = "file";
        else if (S_ISFIFO(st.st_mode))
            kind = "pipe";
        else if (S_ISSOCK(st.st_mode))
            kind = "socket";
        else if (isatty(fd))
            kind = "tty";
        else if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3)
            kind = "null";
        else
            kind = "device";
        fprintf(out, "%d %s %lu:%lu\n", fd, kind, (unsigned long)st.st_dev, (unsigned long)st.st_ino);
    }
    fclose(out);
    if (argc > 2) {
        fputs(argv[2], stdout);
        fputc('\n', stdout);
    }
    return 0;
}

/*
 * kill_race DIR WORKERS CHILDREN: WORKERS threads each fork CHILDREN children as fast as they can; every child
 * calls mkdir(DIR/w<i>-<j>) and exits. Under a learner that kills the program at the first mkdir, no directory may
 * ever appear, however many children were being created when the kill was decided.
 */
#include "probe.h"
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *dir;
static int children;

static void *worker(void *arg)
{
    long w = (long)arg;
    for (int j = 0; j < children; j++) {
        pid_t pid = fork();
        if (pid == 0) {
            char path[4096];
            snprintf(path, sizeof path, "%s/w%ld-%d", dir, w, j);
            mkdir(path, 0700);
            _exit(0);
        }
    }
    while (wait(NULL) > 0 || errno == EINTR)
        ;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        usage("kill_race DIR WORKERS CHILDREN");
    dir = argv[1];
    long workers = atol(argv[2]);
    children = atoi(argv[3]);
    pthread_t t[64];
    if (workers < 1 || workers > 64)
        usage("WORKERS: 1..64");
    for (long w = 0; w < workers; w++)
        pthread_create(&t[w], NULL, worker, (void *)w);
    for (long w = 0; w < workers; w++)
        pthread_join(t[w], NULL);
    printf("kill_race done\n");
    return 0;
}

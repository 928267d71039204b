/* threads_mkdir N DIR: N threads each try mkdir DIR.i at once; each result is reported. */
#include "probe.h"
#include <pthread.h>
#include <sys/stat.h>

static const char *base;
static pthread_barrier_t start;

static void *worker(void *arg)
{
    char path[4096];
    snprintf(path, sizeof path, "%s.%ld", base, (long)arg);
    pthread_barrier_wait(&start);
    int err = mkdir(path, 0700) == 0 ? 0 : errno;
    flockfile(stdout);
    printf("thread %ld ", (long)arg);
    report("mkdir", err);
    funlockfile(stdout);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("threads_mkdir N DIR");
    long n = atol(argv[1]);
    if (n < 1 || n > 64)
        usage("threads_mkdir N DIR (1 <= N <= 64)");
    base = argv[2];
    pthread_t t[64];
    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (long i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
            return PROBE_HARNESS;
    for (long i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    return 0;
}

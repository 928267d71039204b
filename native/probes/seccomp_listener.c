/*
 * seccomp_listener DIR: installs its own seccomp filter that sends mkdir to a user-space listener
 * (SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER), answers "continue" from a helper thread, then calls
 * mkdir(DIR/m). Prints "listener <result>" and "mkdir <result>". A listener out-ranks SECCOMP_RET_TRACE, so if it
 * were allowed under a learner the mkdir would run without the learner seeing it.
 */
#include "probe.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int listener = -1;

static void *answer(void *unused)
{
    (void)unused;
    for (;;) {
        struct seccomp_notif req;
        struct seccomp_notif_resp resp;
        memset(&req, 0, sizeof req);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
            return NULL;
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0)
            return NULL;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2)
        usage("seccomp_listener DIR");
    struct sock_filter insns[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mkdir, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof insns / sizeof insns[0], .filter = insns };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return PROBE_HARNESS;
    listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    report("listener", listener < 0 ? errno : 0);
    pthread_t t;
    if (listener >= 0 && pthread_create(&t, NULL, answer, NULL) != 0)
        return PROBE_HARNESS;
    char path[4096];
    snprintf(path, sizeof path, "%s/m", argv[1]);
    report("mkdir", syscall(SYS_mkdir, path, 0700) == 0 ? 0 : errno);
    return 0;
}

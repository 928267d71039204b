/*
 * The launch plan: what the Java side asks the launcher to do between fork and execve.
 *
 * The plan arrives on PLAN_FD as a header followed by records, all little-endian (this is a same-machine
 * protocol between two programs built together):
 *
 *     header  { u32 magic = PLAN_MAGIC; u16 version = PLAN_VERSION; u16 count; }
 *     record  { u16 kind; u16 flags; u32 len; u8 payload[len]; }    repeated count times
 *
 * Step kinds are numbered once, here. dev.sandbox.launch.StepKind mirrors them with the same names and numbers,
 * and a unit test reads this file and fails if the two disagree.
 *
 * A failing step writes one ErrorRecord to ERROR_FD (close-on-exec) and exits LAUNCHER_FAILED. EOF on that pipe
 * without a record means execve succeeded.
 *
 * Two programs execute plans with the same code (plan_run.c): sandbox-launcher, spawned by the JVM with the plan on
 * PLAN_FD, and sandbox-run, which forks and runs a plan that Java compiled earlier and cached (compiled.h), with the
 * exec step appended at run time. The only difference between the two is "the runner": the process that forked the
 * plan's executor, which sandbox-run is and the JVM (which posix_spawns an exec'd launcher) is not.
 */
#ifndef SANDBOX_PLAN_H
#define SANDBOX_PLAN_H

#include <stdint.h>

#define PLAN_MAGIC   0x50584253u /* "SBXP" */
#define PLAN_VERSION 1
#define PLAN_FD      3
#define ERROR_FD     4
#define PLAN_MAX     (1u << 20)
#define LAUNCHER_FAILED 125
#define LAUNCHER_ARG "--sandbox-plan"
#define PLAN_PARENT_RUNNER 0u

enum step_kind {
    STEP_READ_PLAN      = 0, /* not a record: the launcher failed to read or parse the plan itself */
    STEP_NO_NEW_PRIVS   = 1, /* prctl(PR_SET_NO_NEW_PRIVS, 1) */
    STEP_SECCOMP_FILTER = 2, /* seccomp(SECCOMP_SET_MODE_FILTER, flags, prog); payload: struct sock_filter[] */
    STEP_STOP           = 3, /* raise SIGSTOP so the tracer can PTRACE_SEIZE us before execve */
    STEP_CLOSE_FROM     = 4, /* close every fd >= payload u32, except ERROR_FD */
    STEP_PARENT_DEATH   = 5, /* prctl(PR_SET_PDEATHSIG, payload u32 signal); payload u32 #2: expected parent pid,
                              * or PLAN_PARENT_RUNNER: the runner's pid, known only when the plan runs */
    STEP_EXEC           = 6, /* execve(path, argv, environ); payload: path NUL argv0 NUL argv1 NUL ... */
    STEP_CHDIR          = 7, /* chdir(payload), a NUL-terminated path */
    /* 8 is retired (a step that gave the program a pty of its own): not reused, so no old plan means a new step */
    STEP_SECCOMP_NOTIFY = 9, /* like STEP_SECCOMP_FILTER, with a listener handed to a supervisor process that names
                              * and kills violators; payload: u32 report fd, then struct sock_filter[] */

    /* Isolation (numbered from 20, leaving room for other launcher steps). Java orders them as the kernel needs:
     * user namespace, sync with the parent, other namespaces, pid init, mounts, pivot_root, limits, identity,
     * capabilities, Landlock; then NO_NEW_PRIVS, seccomp and exec as above. */
    STEP_UNSHARE        = 20, /* unshare(payload u32 CLONE_NEW* flags) */
    STEP_SYNC           = 21, /* payload u32 fd (a socket): write one byte to it, wait for one back (the parent wrote
                                 uid_map, placed us in a cgroup), close it; EOF instead of the byte: ECANCELED */
    STEP_PID_INIT       = 22, /* fork twice: we stay outside as a relay, the child is pid 1 of the new pid namespace
                                 and reaps; the grandchild (pid 2) goes on with the plan */
    STEP_MOUNT          = 23, /* mount(src, dst, type, flags, data); payload u64 flags, then 4 NUL-terminated
                                 strings src dst type data, an empty one meaning NULL */
    STEP_MOUNT_SETATTR  = 24, /* mount_setattr(AT_FDCWD, path, u32 flags, {u64 set, u64 clear}); payload u64 set,
                                 u64 clear, u32 flags, path NUL */
    STEP_MKDIR          = 25, /* mkdir(payload path NUL, 0755); an existing directory is fine */
    STEP_MKFILE         = 26, /* create an empty file (a mount point for a file bind); an existing one is fine */
    STEP_SYMLINK        = 27, /* symlink(target, linkpath); payload target NUL linkpath NUL */
    STEP_PIVOT_ROOT     = 28, /* pivot_root(new_root, put_old); payload new_root NUL put_old NUL */
    STEP_UMOUNT         = 29, /* umount2(path, MNT_DETACH); payload path NUL */
    STEP_LOOPBACK_UP    = 30, /* ioctl(SIOCSIFFLAGS) IFF_UP on "lo" */
    STEP_SETHOSTNAME    = 31, /* sethostname(payload, len) */
    STEP_RLIMIT         = 32, /* prlimit(0, u32 resource, {u64 soft, u64 hard}); payload u32 resource, u64, u64 */
    STEP_IDENTITY       = 33, /* PR_SET_KEEPCAPS, then setgroups(0) when flags & 1, setresgid(gid), setresuid(uid);
                                 payload u32 gid, u32 uid */
    STEP_CAPS           = 34, /* capabilities: payload u64 keep, u32 last_cap; raise effective from permitted, drop
                                 every cap not kept from the bounding set, clear ambient, capset(keep, keep, keep),
                                 and when flags & 1 raise each kept cap into the ambient set; flags & 2: leave the
                                 bounding set (we lack CAP_SETPCAP to change it) */
    STEP_LANDLOCK_RULESET = 35, /* landlock_create_ruleset(payload, len, 0): payload is the ruleset attr for the
                                   ABI Java probed; the fd is kept for the next two steps */
    STEP_LANDLOCK_RULE  = 36, /* landlock_add_rule(PATH_BENEATH, {u64 allowed, open(path, O_PATH)}); payload u64
                                 allowed, path NUL */
    STEP_LANDLOCK_RESTRICT = 37, /* landlock_restrict_self(ruleset fd) */
    STEP_EXIT           = 38, /* _exit(0): ends a probe plan (Java tries a step before relying on it) */
    STEP_CLOSE          = 39, /* close(payload u32 fd): a standard fd that was closed when the sandbox started, which
                               * the JVM needed /dev/null on (else its own files take the slot); before the filter */
};

struct plan_header {
    uint32_t magic;
    uint16_t version;
    uint16_t count;
} __attribute__((packed));

struct plan_record {
    uint16_t kind;
    uint16_t flags;
    uint32_t len;
} __attribute__((packed));

/*
 * The supervisor of STEP_SECCOMP_NOTIFY writes these to the report fd: first one NOTIFY_HELLO (pid = its own, so
 * the sandbox can reap it), then one NOTIFY_VIOLATION per refused syscall, followed by exe_len bytes of the
 * violator's /proc/PID/exe.
 */
enum notify_kind {
    NOTIFY_HELLO     = 1,
    NOTIFY_VIOLATION = 2,
};

struct notify_record {
    uint32_t kind;
    int32_t  pid;     /* the thread that made the call */
    int32_t  tgid;    /* its process */
    int32_t  nr;      /* seccomp_data.nr */
    uint32_t arch;    /* seccomp_data.arch, AUDIT_ARCH_* */
    int32_t  signal;  /* SIGSYS; SIGKILL when the process catches, blocks or ignores SIGSYS; 0: it was gone */
    uint32_t exe_len;
} __attribute__((packed));

struct error_record {
    uint32_t step;  /* enum step_kind of the step that failed */
    uint32_t index; /* its position in the plan */
    int32_t  err;   /* errno */
} __attribute__((packed));

#endif

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
    STEP_SETSID_CTTY    = 8, /* setsid(), then make fd 0 (a terminal) the controlling terminal: TIOCSCTTY */
    STEP_SECCOMP_NOTIFY = 9, /* like STEP_SECCOMP_FILTER, with a listener handed to a supervisor process that names
                              * and kills violators; payload: u32 report fd, then struct sock_filter[] */
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

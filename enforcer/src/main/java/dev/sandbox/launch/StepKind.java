package dev.sandbox.launch;

/** Mirrors {@code enum step_kind} in native/src/plan.h, same names and numbers (PlanHeaderTest checks). */
public enum StepKind {
    STEP_READ_PLAN(0, "reading the launch plan"),
    STEP_NO_NEW_PRIVS(1, "prctl(PR_SET_NO_NEW_PRIVS)"),
    STEP_SECCOMP_FILTER(2, "seccomp(SECCOMP_SET_MODE_FILTER)"),
    STEP_STOP(3, "stopping for the tracer"),
    STEP_CLOSE_FROM(4, "closing inherited file descriptors"),
    STEP_PARENT_DEATH(5, "prctl(PR_SET_PDEATHSIG)"),
    STEP_EXEC(6, "execve"),
    STEP_CHDIR(7, "changing to the working directory"),
    STEP_SECCOMP_NOTIFY(9, "seccomp(SECCOMP_SET_MODE_FILTER) with a supervisor"),

    STEP_UNSHARE(20, "unshare (new namespaces)"),
    STEP_SYNC(21, "waiting for the sandbox to set up the namespace"),
    STEP_PID_INIT(22, "starting the pid namespace's init"),
    STEP_MOUNT(23, "mount"),
    STEP_MOUNT_SETATTR(24, "mount_setattr (read-only)"),
    STEP_MKDIR(25, "creating a mount point"),
    STEP_MKFILE(26, "creating a file mount point"),
    STEP_SYMLINK(27, "creating a symlink"),
    STEP_PIVOT_ROOT(28, "pivot_root"),
    STEP_UMOUNT(29, "unmounting the old root"),
    STEP_LOOPBACK_UP(30, "bringing up the loopback interface"),
    STEP_SETHOSTNAME(31, "sethostname"),
    STEP_RLIMIT(32, "setting a resource limit"),
    STEP_IDENTITY(33, "changing user and group"),
    STEP_CAPS(34, "dropping capabilities"),
    STEP_LANDLOCK_RULESET(35, "landlock_create_ruleset"),
    STEP_LANDLOCK_RULE(36, "adding a Landlock rule"),
    STEP_LANDLOCK_RESTRICT(37, "landlock_restrict_self"),
    STEP_EXIT(38, "exit (probe)"),
    STEP_CLOSE(39, "closing a standard fd that was closed when the sandbox started");

    private final int number;
    private final String what;

    StepKind(int number, String what) {
        this.number = number;
        this.what = what;
    }

    public int number() {
        return number;
    }

    /** What the step does, for messages. */
    public String what() {
        return what;
    }

    public static StepKind of(int number) {
        for (StepKind k : values()) {
            if (k.number == number) {
                return k;
            }
        }
        return null;
    }
}

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
    STEP_SETSID_CTTY(8, "taking the pseudo-terminal as controlling terminal"),
    STEP_SECCOMP_NOTIFY(9, "seccomp(SECCOMP_SET_MODE_FILTER) with a supervisor");

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

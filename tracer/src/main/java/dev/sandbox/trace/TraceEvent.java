package dev.sandbox.trace;

import dev.sandbox.trace.jna.Ptrace;

/**
 * What one waitpid status means for a traced task. {@link #classify} is pure (strace's next_event), so every kind of
 * stop is unit-tested with hand-built status words; the loop only dispatches.
 */
public sealed interface TraceEvent {
    /** The task exited with {@code code}. */
    record Exited(int code) implements TraceEvent {}

    /** The task was killed by {@code signal}. */
    record Killed(int signal, boolean coreDumped) implements TraceEvent {}

    /** A syscall-entry or syscall-exit stop (PTRACE_O_TRACESYSGOOD: SIGTRAP | 0x80); which one, GET_SYSCALL_INFO says. */
    record SyscallStop() implements TraceEvent {}

    /** PTRACE_EVENT_FORK, VFORK or CLONE: the new task's id is in the event message. */
    record NewTask(int event) implements TraceEvent {}

    /** PTRACE_EVENT_EXEC: the event message holds the former thread id (it changes when a non-leader execs). */
    record Exec() implements TraceEvent {}

    /** PTRACE_EVENT_EXIT. */
    record Exiting() implements TraceEvent {}

    /** PTRACE_EVENT_SECCOMP: a filter returned SECCOMP_RET_TRACE (fast mode). */
    record SeccompStop() implements TraceEvent {}

    /** A group-stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) of a seized task: keep it stopped with PTRACE_LISTEN. */
    record GroupStop(int signal) implements TraceEvent {}

    /** PTRACE_EVENT_STOP with SIGTRAP: a new child's first stop, or the answer to PTRACE_INTERRUPT. */
    record InterruptStop() implements TraceEvent {}

    /** A signal about to be delivered: it must be passed on when the task is resumed. */
    record SignalDelivery(int signal) implements TraceEvent {}

    int SIGTRAP = 5;
    int SIGSTOP = 19;
    int SIGTSTP = 20;
    int SIGTTIN = 21;
    int SIGTTOU = 22;

    static TraceEvent classify(int status) {
        int low = status & 0x7f;
        if (low == 0) {
            return new Exited((status >> 8) & 0xff);
        }
        if ((status & 0xff) != 0x7f) {
            return new Killed(low, (status & 0x80) != 0);
        }
        int sig = (status >> 8) & 0xff;
        int event = (status >>> 16) & 0xffff;
        if (sig == (SIGTRAP | 0x80)) {
            return new SyscallStop();
        }
        if (event == Ptrace.PTRACE_EVENT_STOP) {
            return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU ? new GroupStop(sig)
                    : new InterruptStop();
        }
        if (sig == SIGTRAP && event != 0) {
            return switch (event) {
                case Ptrace.PTRACE_EVENT_FORK, Ptrace.PTRACE_EVENT_VFORK, Ptrace.PTRACE_EVENT_CLONE ->
                        new NewTask(event);
                case Ptrace.PTRACE_EVENT_EXEC -> new Exec();
                case Ptrace.PTRACE_EVENT_EXIT -> new Exiting();
                case Ptrace.PTRACE_EVENT_SECCOMP -> new SeccompStop();
                default -> new SignalDelivery(sig);
            };
        }
        return new SignalDelivery(sig);
    }
}

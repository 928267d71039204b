package dev.sandbox.trace;

import dev.sandbox.policy.SyscallRef;
import dev.sandbox.syscall.Arch;

/**
 * One syscall of the program, stopped and about to be decided: who made it, what it is, its arguments, and its
 * strace-style text. Built once per stop by the loop; everything downstream (decision, record, audit, feed, screen)
 * reads this instead of decoding the stop again. {@link #text()} reads the tracee's memory the first time it is
 * called, which is only sound while the task is still stopped: the learning session calls it before it returns.
 */
public final class Syscall {
    private final Task task;
    private final SyscallInfo info;
    private final SyscallRef ref;
    private final boolean vsyscall;
    private final Decoder decoder;
    private String text;

    Syscall(Task task, SyscallInfo info, boolean vsyscall, Decoder decoder) {
        this(task, info, info.ref(), vsyscall, decoder);
    }

    private Syscall(Task task, SyscallInfo info, SyscallRef ref, boolean vsyscall, Decoder decoder) {
        this.task = task;
        this.info = info;
        this.ref = ref;
        this.vsyscall = vsyscall;
        this.decoder = decoder;
    }

    /** A record already decoded elsewhere (a replayed audit line, a test of a screen). */
    public static Syscall decoded(int tid, String executable, SyscallRef ref, int nr, String text) {
        Task t = new Task(tid, 0, executable);
        t.tgid = tid;
        Syscall s = new Syscall(t, new SyscallInfo(dev.sandbox.trace.jna.Ptrace.PTRACE_SYSCALL_INFO_ENTRY, ref.arch(),
                nr, new long[6], 0, 0), ref, false, null);
        s.text = text;
        return s;
    }

    public int tid() {
        return task.tid;
    }

    /** The thread group (process) id. */
    public int tgid() {
        return task.tgid();
    }

    public String executable() {
        return task.exe == null ? "?" : task.exe;
    }

    public SyscallRef ref() {
        return ref;
    }

    public Arch arch() {
        return info.arch();
    }

    public int nr() {
        return info.nr();
    }

    public long arg(int i) {
        return info.args()[i];
    }

    /** Made through the legacy vsyscall page (no ptrace syscall stop exists for it, only a seccomp one). */
    public boolean vsyscall() {
        return vsyscall;
    }

    /** {@code openat(AT_FDCWD, "/etc/passwd", O_RDONLY)}, with {@code [i386]} for a foreign ABI; decoded once. */
    public String text() {
        if (text == null) {
            String t = decoder.decode(task.tid, info);
            if (info.arch() != Arch.X86_64) {
                t += " [" + (info.arch() == null ? "unknown ABI" : info.arch().label()) + "]";
            }
            text = vsyscall ? t + " [vsyscall]" : t;
        }
        return text;
    }

    @Override
    public String toString() {
        return tid() + " " + ref;
    }
}

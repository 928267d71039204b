package dev.sandbox.trace.jna;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * The native memory the tracer thread reuses at every stop: the wait status, one {@code struct ptrace_syscall_info}
 * and the event message. Nothing is allocated per stop and the struct is read at named offsets, not through a
 * reflective JNA Structure. One per tracer thread; not thread-safe.
 *
 * <p>Error convention: -errno as the result, never an exception (see {@link Ptrace}).
 */
public final class StopBuffers {
    private final Memory status = new Memory(4);
    private final Memory info = new Memory(Ptrace.SIZEOF_SYSCALL_INFO);
    private final Memory eventMsg = new Memory(8);
    private final long infoAddress = Pointer.nativeValue(info);
    private final long eventMsgAddress = Pointer.nativeValue(eventMsg);

    /** waitpid(pid, &status, options): the pid whose state changed ({@link #status} holds it), or -errno. */
    public int waitpid(int pid, int options) {
        try {
            return Ptrace.C.waitpid(pid, status, options);
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    /** The status the last {@link #waitpid} stored. */
    public int status() {
        return status.getInt(0);
    }

    /**
     * PTRACE_GET_SYSCALL_INFO for a stopped task into the reused struct: 0, or -errno (ESRCH: gone; EIO/EINVAL: a
     * kernel before 5.3). The accessors below read the struct this filled.
     */
    public int getSyscallInfo(int tid) {
        try {
            Ptrace.C.ptrace(Ptrace.PTRACE_GET_SYSCALL_INFO, tid, Ptrace.SIZEOF_SYSCALL_INFO, infoAddress);
            return 0;
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    /** {@code op}: PTRACE_SYSCALL_INFO_ENTRY, _EXIT, _SECCOMP or _NONE. */
    public int op() {
        return info.getByte(Ptrace.INFO_OP) & 0xff;
    }

    /** {@code arch}: the AUDIT_ARCH_* of the call (an x86_64 task may enter through int $0x80). */
    public int arch() {
        return info.getInt(Ptrace.INFO_ARCH);
    }

    public long instructionPointer() {
        return info.getLong(Ptrace.INFO_IP);
    }

    /** {@code entry.nr} or {@code seccomp.nr} (the same offset). */
    public long nr() {
        return info.getLong(Ptrace.INFO_NR);
    }

    /** {@code entry.args[i]} or {@code seccomp.args[i]}, i in 0..5. */
    public long arg(int i) {
        return info.getLong(Ptrace.INFO_ARGS + 8L * i);
    }

    /** {@code exit.rval}. */
    public long rval() {
        return info.getLong(Ptrace.INFO_RVAL);
    }

    /**
     * PTRACE_GETEVENTMSG, or -errno. For the events the tracer asks about (fork, vfork, clone, exec) the message is a
     * task id, never negative: the new task, or the former id of a thread that exec'd.
     */
    public long eventMessage(int tid) {
        try {
            Ptrace.C.ptrace(Ptrace.PTRACE_GETEVENTMSG, tid, 0, eventMsgAddress);
            return eventMsg.getLong(0);
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }
}

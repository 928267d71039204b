package dev.sandbox.trace.jna;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import dev.sandbox.jna.Errno;
import dev.sandbox.jna.NativeCallException;

/**
 * ptrace and the calls the tracer loop makes on every stop, direct-mapped with primitive arguments: this is the hot
 * path (two or three calls per syscall stop), and direct mapping costs about 0.2 µs a call.
 *
 * <p>Error convention: the C functions all return -1 and set errno. The loop's calls ({@link #ptrace}, {@link #kill},
 * and those of {@link StopBuffers}) return {@code -errno} instead of throwing: the loop meets ESRCH as a matter of
 * course (a task killed while stopped) and must not build an exception for it. The calls made once per run
 * ({@link #seize}, {@link #setNonDumpable}) throw {@link NativeCallException}. No JNA type leaves this package.
 */
public final class Ptrace {

    // <sys/ptrace.h> requests
    public static final int PTRACE_PEEKUSER = 3;
    public static final int PTRACE_POKEUSER = 6;
    public static final int PTRACE_CONT = 7;
    public static final int PTRACE_KILL = 8;
    public static final int PTRACE_SYSCALL = 24;
    public static final int PTRACE_GETEVENTMSG = 0x4201;
    public static final int PTRACE_SEIZE = 0x4206;
    public static final int PTRACE_INTERRUPT = 0x4207;
    public static final int PTRACE_LISTEN = 0x4208;
    public static final int PTRACE_GET_SYSCALL_INFO = 0x420e;
    // <sys/ptrace.h> PTRACE_SEIZE options
    public static final int PTRACE_O_TRACESYSGOOD = 1;
    public static final int PTRACE_O_TRACEFORK = 1 << 1;
    public static final int PTRACE_O_TRACEVFORK = 1 << 2;
    public static final int PTRACE_O_TRACECLONE = 1 << 3;
    public static final int PTRACE_O_TRACEEXEC = 1 << 4;
    public static final int PTRACE_O_TRACEEXIT = 1 << 6;
    public static final int PTRACE_O_TRACESECCOMP = 1 << 7;
    public static final int PTRACE_O_EXITKILL = 1 << 20;
    // <sys/ptrace.h> events, in (status >> 16)
    public static final int PTRACE_EVENT_FORK = 1;
    public static final int PTRACE_EVENT_VFORK = 2;
    public static final int PTRACE_EVENT_CLONE = 3;
    public static final int PTRACE_EVENT_EXEC = 4;
    public static final int PTRACE_EVENT_EXIT = 6;
    public static final int PTRACE_EVENT_SECCOMP = 7;
    public static final int PTRACE_EVENT_STOP = 128;
    // <sys/user.h> struct user_regs_struct offsets, for PEEKUSER/POKEUSER
    public static final long ORIG_RAX = 8 * 15;
    public static final long RAX = 8 * 10;
    /** First syscall argument of the x86_64 ABI (clone's flags). */
    public static final long RDI = 8 * 14;
    /** First syscall argument of the i386 ABI (int $0x80: ebx, the low half of rbx). */
    public static final long RBX = 8 * 5;
    // <linux/prctl.h>
    public static final int PR_SET_DUMPABLE = 4;

    /** sizeof(struct __ptrace_syscall_info) on x86_64, and the field offsets read from it (LayoutTest checks). */
    public static final int SIZEOF_SYSCALL_INFO = 88;
    public static final int INFO_OP = 0;
    public static final int INFO_ARCH = 4;
    public static final int INFO_IP = 8;          // instruction_pointer
    public static final int INFO_NR = 24;         // entry.nr and seccomp.nr
    public static final int INFO_ARGS = 32;       // entry.args and seccomp.args, 6 x u64
    public static final int INFO_RVAL = 24;       // exit.rval
    public static final int INFO_IS_ERROR = 32;   // exit.is_error
    public static final int PTRACE_SYSCALL_INFO_NONE = 0;
    public static final int PTRACE_SYSCALL_INFO_ENTRY = 1;
    public static final int PTRACE_SYSCALL_INFO_EXIT = 2;
    public static final int PTRACE_SYSCALL_INFO_SECCOMP = 3;

    private Ptrace() {}

    /** The C functions, as glibc declares them; only the methods of this package call them. */
    static final class C {
        static {
            Native.register(C.class, NativeLibrary.getInstance("c"));
        }

        private C() {}

        /**
         * glibc's ptrace is variadic ({@code long ptrace(enum __ptrace_request, ...)}); this fixed signature passes
         * request, pid, addr and data in rdi, rsi, rdx, rcx exactly as a variadic call does on x86_64.
         */
        static native long ptrace(int request, int pid, long addr, long data) throws LastErrorException;

        /** waitpid writing the status into native memory we reuse, so no array is copied per stop. */
        static native int waitpid(int pid, Pointer status, int options) throws LastErrorException;

        static native int kill(int pid, int sig) throws LastErrorException;

        static native long process_vm_readv(int pid, Pointer localIov, long liovcnt, Pointer remoteIov,
                long riovcnt, long flags) throws LastErrorException;

        /** pid 0 = the calling thread; mask is a cpu_set_t. */
        static native int sched_setaffinity(int pid, long cpusetsize, Pointer mask) throws LastErrorException;

        static native int sched_getcpu();

        /** prctl(2), errno-style. */
        static native int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws LastErrorException;
    }

    /**
     * ptrace for a request whose result is only success or failure (not PEEK*, whose data may look like -1): 0, or
     * -errno (ESRCH: the task is gone or not stopped).
     */
    public static int ptrace(int request, int pid, long addr, long data) {
        try {
            C.ptrace(request, pid, addr, data);
            return 0;
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    /** PTRACE_SEIZE with {@code options}; fails as {@code ptrace(PTRACE_SEIZE, 4242): Operation not permitted}. */
    public static void seize(int pid, int options) {
        try {
            C.ptrace(PTRACE_SEIZE, pid, 0, options);
        } catch (LastErrorException e) {
            throw new NativeCallException("ptrace(PTRACE_SEIZE, " + pid + ")", e.getErrorCode());
        }
    }

    /** kill(2): 0, or -errno (ESRCH: already gone). */
    public static int kill(int pid, int sig) {
        try {
            C.kill(pid, sig);
            return 0;
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    /**
     * prctl(PR_SET_DUMPABLE, 0): the sandbox's /proc files then belong to root and ptrace-mode checks refuse anyone
     * without CAP_SYS_PTRACE.
     */
    public static void setNonDumpable() {
        try {
            C.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        } catch (LastErrorException e) {
            throw new NativeCallException("prctl(PR_SET_DUMPABLE, 0)", e.getErrorCode());
        }
    }

    /** The CPU the calling thread runs on (sched_getcpu), or -1. */
    public static int currentCpu() {
        return C.sched_getcpu();
    }

    /** sizeof(cpu_set_t) in glibc <sched.h>: 1024 CPUs, one bit each (LayoutTest checks). */
    public static final int SIZEOF_CPU_SET = 128;

    /**
     * Binds the calling thread to one CPU: {@code sched_setaffinity(0, sizeof(cpu_set_t), {cpu})}. 0, or -errno
     * (EINVAL: a cpuset that forbids that CPU).
     */
    public static int pinCallingThread(int cpu) {
        if (cpu < 0 || cpu >= SIZEOF_CPU_SET * 8) {
            return -Errno.EINVAL;
        }
        Memory mask = new Memory(SIZEOF_CPU_SET);
        mask.clear();
        mask.setByte(cpu / 8, (byte) (1 << (cpu % 8)));
        try {
            C.sched_setaffinity(0, SIZEOF_CPU_SET, mask);
            return 0;
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }
}

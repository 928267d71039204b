package dev.sandbox.trace.jna;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * ptrace and the calls the tracer loop makes on every stop, direct-mapped with primitive arguments: this is the hot
 * path (two or three calls per syscall stop), and direct mapping costs about 0.2 µs a call.
 *
 * Error convention: all of these return -1 and set errno, surfaced as {@link LastErrorException}.
 */
public final class Ptrace {
    static {
        Native.register(NativeLibrary.getInstance("c"));
    }

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

    /**
     * glibc's ptrace is variadic ({@code long ptrace(enum __ptrace_request, ...)}); this fixed signature passes
     * request, pid, addr and data in rdi, rsi, rdx, rcx exactly as a variadic call does on x86_64.
     */
    public static native long ptrace(int request, int pid, long addr, long data) throws LastErrorException;

    /** waitpid writing the status into native memory we reuse, so no array is copied per stop. */
    public static native int waitpid(int pid, Pointer status, int options) throws LastErrorException;

    public static native int kill(int pid, int sig) throws LastErrorException;

    public static native int tgkill(int tgid, int tid, int sig) throws LastErrorException;

    public static native long process_vm_readv(int pid, Pointer localIov, long liovcnt, Pointer remoteIov,
            long riovcnt, long flags) throws LastErrorException;

    /** pid 0 = the calling thread; mask is a cpu_set_t. */
    public static native int sched_setaffinity(int pid, long cpusetsize, Pointer mask) throws LastErrorException;

    public static native int sched_getaffinity(int pid, long cpusetsize, Pointer mask) throws LastErrorException;

    public static native int sched_getcpu();

    /** prctl(2), errno-style; the sandbox makes itself non-dumpable with it before it traces anything. */
    public static native int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws LastErrorException;
}

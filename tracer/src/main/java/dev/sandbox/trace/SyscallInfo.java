package dev.sandbox.trace;

import dev.sandbox.policy.SyscallRef;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
import dev.sandbox.trace.jna.Ptrace;
import dev.sandbox.trace.jna.StopBuffers;

/**
 * One syscall as a stop reports it (PTRACE_GET_SYSCALL_INFO): op, arch, number, arguments. Filled from the loop's
 * one reused native buffer; the arch is read at every stop because an x86_64 task may enter through int $0x80.
 */
public record SyscallInfo(int op, Arch arch, int nr, long[] args, long rval, long ip) {
    /** The x86_64 legacy vsyscall page (fixed address, <asm/vsyscall.h> VSYSCALL_ADDR). */
    static final long VSYSCALL_PAGE = 0xffffffffff600000L;

    /** Reads the struct PTRACE_GET_SYSCALL_INFO filled; {@code arch} null means an arch this tool does not know. */
    static SyscallInfo read(StopBuffers buf) {
        int op = buf.op();
        if (op == Ptrace.PTRACE_SYSCALL_INFO_EXIT) {
            return new SyscallInfo(op, null, -1, null, buf.rval(), 0);
        }
        long rawNr = buf.nr();
        Arch arch = Arch.of(buf.arch(), rawNr);
        long[] args = new long[6];
        for (int i = 0; i < 6; i++) {
            args[i] = buf.arg(i);
        }
        int nr = arch == Arch.X32 ? (int) (rawNr & ~Arch.X32_SYSCALL_BIT) : (int) rawNr;
        return new SyscallInfo(op, arch, nr, args, 0, buf.instructionPointer());
    }

    /** Entered through the vsyscall page: the kernel emulates the call and reports it to seccomp only. */
    public boolean vsyscall() {
        return (ip & ~0xfffL) == VSYSCALL_PAGE;
    }

    public String name() {
        return arch == null ? "syscall_" + nr : SyscallNames.name(arch, nr);
    }

    public SyscallRef ref() {
        return arch == null ? new SyscallRef(Arch.X86_64, name()) : SyscallRef.of(arch, nr);
    }
}

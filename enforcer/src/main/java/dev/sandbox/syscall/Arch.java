package dev.sandbox.syscall;

import dev.sandbox.jna.LibSeccomp;

/**
 * The three ways an x86_64 process can enter the kernel. The same number means different syscalls on each
 * (i386 39 is mkdir, x86_64 39 is getpid), so a number is never looked up without its arch.
 */
public enum Arch {
    X86_64("x86_64", LibSeccomp.SCMP_ARCH_X86_64),
    I386("i386", LibSeccomp.SCMP_ARCH_X86),
    X32("x32", LibSeccomp.SCMP_ARCH_X32);

    /** x32 syscall numbers carry this bit (<asm/unistd.h> __X32_SYSCALL_BIT). */
    public static final int X32_SYSCALL_BIT = 0x40000000;

    private final String label;
    private final int auditArch;

    Arch(String label, int auditArch) {
        this.label = label;
        this.auditArch = auditArch;
    }

    public String label() {
        return label;
    }

    /** AUDIT_ARCH_* value, which is also libseccomp's arch token and what PTRACE_GET_SYSCALL_INFO reports. */
    public int auditArch() {
        return auditArch;
    }

    /**
     * The arch of a stop: the kernel reports x32 calls as AUDIT_ARCH_X86_64 with the x32 bit in the number.
     * Returns null for an arch this tool does not know.
     */
    public static Arch of(int auditArch, long nr) {
        if (auditArch == LibSeccomp.SCMP_ARCH_X86) {
            return I386;
        }
        if (auditArch == LibSeccomp.SCMP_ARCH_X86_64) {
            return (nr & X32_SYSCALL_BIT) != 0 ? X32 : X86_64;
        }
        return null;
    }

    public static Arch byLabel(String label) {
        for (Arch a : values()) {
            if (a.label.equals(label)) {
                return a;
            }
        }
        return null;
    }
}

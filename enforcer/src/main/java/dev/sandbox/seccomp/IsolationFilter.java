package dev.sandbox.seccomp;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibSeccomp;
import dev.sandbox.jna.NativeCallException;
import dev.sandbox.syscall.Arch;

/**
 * {@code --net none} in the kernel's seccomp layer, so it holds even where no network namespace can be made: a small
 * filter stacked with (never merged into) the policy's, allowing everything except
 * <ul>
 *   <li>x86_64 {@code socket} with a family other than AF_UNIX: EAFNOSUPPORT, what a kernel without that family
 *       answers, so programs fall back as they would there;</li>
 *   <li>i386 {@code socket} and {@code socketcall} whatever the family (socketcall's arguments are in memory, where
 *       no filter can read them): EAFNOSUPPORT;</li>
 *   <li>{@code io_uring_setup}: EPERM, since IORING_OP_SOCKET makes sockets without socket(2) (libuv and others fall
 *       back to plain syscalls).</li>
 * </ul>
 * Only {@code socket} is looked at by argument, so every other syscall keeps the kernel's per-syscall allow cache.
 */
public final class NetFilter {
    /** <sys/socket.h> */
    public static final int AF_UNIX = 1;
    /** <asm-generic/errno.h> */
    public static final int EAFNOSUPPORT = 97;
    private static final int SCMP_CMP_NE = 1;

    private NetFilter() {}

    public static BpfProgram compile() {
        LibSeccomp.ensureAvailable();
        Pointer ctx = LibSeccomp.seccomp_init(LibSeccomp.SCMP_ACT_ALLOW);
        Pointer ctx32 = LibSeccomp.seccomp_init(LibSeccomp.SCMP_ACT_ALLOW);
        if (ctx == null || ctx32 == null) {
            throw new NativeCallException("seccomp_init", Errno.EINVAL);
        }
        try {
            int afno = LibSeccomp.SCMP_ACT_ERRNO_BASE | EAFNOSUPPORT;
            for (Pointer c : new Pointer[] {ctx, ctx32}) {
                LibSeccomp.check("seccomp_attr_set(SCMP_FLTATR_CTL_NNP)",
                        LibSeccomp.seccomp_attr_set(c, LibSeccomp.SCMP_FLTATR_CTL_NNP, 0));
                // Other arches (x32) are the policy filter's business; this one lets them through.
                LibSeccomp.check("seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH)",
                        LibSeccomp.seccomp_attr_set(c, LibSeccomp.SCMP_FLTATR_ACT_BADARCH, LibSeccomp.SCMP_ACT_ALLOW));
            }
            Memory cmp = new Memory(LibSeccomp.SIZEOF_SCMP_ARG_CMP);
            cmp.clear();
            cmp.setInt(0, 0);
            cmp.setInt(4, SCMP_CMP_NE);
            cmp.setLong(8, AF_UNIX);
            LibSeccomp.check("seccomp_rule_add(socket)", LibSeccomp.seccomp_rule_add_array(ctx, afno,
                    LibSeccomp.seccomp_syscall_resolve_name_arch(Arch.X86_64.auditArch(), "socket"), 1, cmp));
            LibSeccomp.check("seccomp_rule_add(io_uring_setup)", LibSeccomp.seccomp_rule_add_array(ctx,
                    LibSeccomp.SCMP_ACT_ERRNO_BASE | Errno.EPERM,
                    LibSeccomp.seccomp_syscall_resolve_name_arch(Arch.X86_64.auditArch(), "io_uring_setup"), 0,
                    null));

            LibSeccomp.check("seccomp_arch_add(i386)", LibSeccomp.seccomp_arch_add(ctx32, Arch.I386.auditArch()));
            LibSeccomp.check("seccomp_arch_remove(native)",
                    LibSeccomp.seccomp_arch_remove(ctx32, Arch.X86_64.auditArch()));
            for (String name : new String[] {"socket", "socketcall", "io_uring_setup"}) {
                int nr = LibSeccomp.seccomp_syscall_resolve_name(name);
                if (nr != LibSeccomp.__NR_SCMP_ERROR) {
                    LibSeccomp.check("seccomp_rule_add(i386 " + name + ")", LibSeccomp.seccomp_rule_add_array(ctx32,
                            name.startsWith("io_uring") ? LibSeccomp.SCMP_ACT_ERRNO_BASE | Errno.EPERM : afno, nr, 0,
                            null));
                }
            }
            LibSeccomp.check("seccomp_merge", LibSeccomp.seccomp_merge(ctx, ctx32));
            ctx32 = null; // merged: released with ctx
            return new BpfProgram(FilterCompiler.export(ctx, false));
        } finally {
            LibSeccomp.seccomp_release(ctx);
            if (ctx32 != null) {
                LibSeccomp.seccomp_release(ctx32);
            }
        }
    }
}

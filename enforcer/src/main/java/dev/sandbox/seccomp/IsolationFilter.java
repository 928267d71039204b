package dev.sandbox.seccomp;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibSeccomp;
import dev.sandbox.jna.NativeCallException;
import dev.sandbox.syscall.Arch;

/**
 * The isolation's own seccomp rules: a small filter stacked with (never merged into) the policy's, allowing
 * everything except
 * <ul>
 *   <li>{@code ioctl(fd, TIOCSTI)} (x86_64 and i386): EPERM, always. It pushes bytes into a terminal's input queue, so
 *       a program sharing the terminal of the shell that started it could type commands into that shell, outside
 *       every namespace (CVE-2017-5226 in bubblewrap; flatpak refuses it the same way). Kernels since 6.2 can turn it
 *       off for everyone ({@code dev.tty.legacy_tiocsti=0}), but most still allow it.</li>
 * </ul>
 * and, for {@code --net none}, so it holds even where no network namespace can be made:
 * <ul>
 *   <li>x86_64 {@code socket} with a family other than AF_UNIX: EAFNOSUPPORT, what a kernel without that family
 *       answers, so programs fall back as they would there;</li>
 *   <li>i386 {@code socket} and {@code socketcall} whatever the family (socketcall's arguments are in memory, where
 *       no filter can read them): EAFNOSUPPORT;</li>
 *   <li>{@code io_uring_setup}: EPERM, since IORING_OP_SOCKET makes sockets without socket(2) (libuv and others fall
 *       back to plain syscalls).</li>
 * </ul>
 * Only {@code socket} and {@code ioctl} are looked at by argument, so every other syscall keeps the kernel's
 * per-syscall allow cache.
 */
public final class IsolationFilter {
    /** <sys/socket.h> */
    public static final int AF_UNIX = 1;
    /** <asm-generic/errno.h> */
    public static final int EAFNOSUPPORT = 97;
    private static final int SCMP_CMP_NE = 1;

    /** <asm-generic/ioctls.h> */
    public static final int TIOCSTI = 0x5412;

    private IsolationFilter() {}

    public static BpfProgram compile(boolean netNone) {
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
            // The command is an int: compare the low 32 bits only, whatever the caller left in the upper half.
            Memory tiocsti = new Memory(LibSeccomp.SIZEOF_SCMP_ARG_CMP);
            tiocsti.clear();
            tiocsti.setInt(0, 1);
            tiocsti.setInt(4, LibSeccomp.SCMP_CMP_MASKED_EQ);
            tiocsti.setLong(8, 0xffffffffL);
            tiocsti.setLong(16, TIOCSTI);
            int eperm = LibSeccomp.SCMP_ACT_ERRNO_BASE | Errno.EPERM;
            LibSeccomp.check("seccomp_rule_add(ioctl)", LibSeccomp.seccomp_rule_add_array(ctx, eperm,
                    LibSeccomp.seccomp_syscall_resolve_name_arch(Arch.X86_64.auditArch(), "ioctl"), 1, tiocsti));
            if (netNone) {
                Memory cmp = new Memory(LibSeccomp.SIZEOF_SCMP_ARG_CMP);
                cmp.clear();
                cmp.setInt(0, 0);
                cmp.setInt(4, SCMP_CMP_NE);
                cmp.setLong(8, AF_UNIX);
                LibSeccomp.check("seccomp_rule_add(socket)", LibSeccomp.seccomp_rule_add_array(ctx, afno,
                        LibSeccomp.seccomp_syscall_resolve_name_arch(Arch.X86_64.auditArch(), "socket"), 1, cmp));
                LibSeccomp.check("seccomp_rule_add(io_uring_setup)", LibSeccomp.seccomp_rule_add_array(ctx, eperm,
                        LibSeccomp.seccomp_syscall_resolve_name_arch(Arch.X86_64.auditArch(), "io_uring_setup"), 0,
                        null));
            }

            LibSeccomp.check("seccomp_arch_add(i386)", LibSeccomp.seccomp_arch_add(ctx32, Arch.I386.auditArch()));
            LibSeccomp.check("seccomp_arch_remove(native)",
                    LibSeccomp.seccomp_arch_remove(ctx32, Arch.X86_64.auditArch()));
            int ioctl32 = LibSeccomp.seccomp_syscall_resolve_name("ioctl");
            if (ioctl32 != LibSeccomp.__NR_SCMP_ERROR) {
                LibSeccomp.check("seccomp_rule_add(i386 ioctl)", LibSeccomp.seccomp_rule_add_array(ctx32, eperm,
                        ioctl32, 1, tiocsti));
            }
            for (String name : netNone ? new String[] {"socket", "socketcall", "io_uring_setup"} : new String[0]) {
                int nr = LibSeccomp.seccomp_syscall_resolve_name(name);
                if (nr != LibSeccomp.__NR_SCMP_ERROR) {
                    LibSeccomp.check("seccomp_rule_add(i386 " + name + ")", LibSeccomp.seccomp_rule_add_array(ctx32,
                            name.startsWith("io_uring") ? eperm : afno, nr, 0, null));
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

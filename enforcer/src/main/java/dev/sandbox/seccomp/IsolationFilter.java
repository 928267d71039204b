package dev.sandbox.seccomp;

import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibSeccomp;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;

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
        int afno = LibSeccomp.SCMP_ACT_ERRNO_BASE | EAFNOSUPPORT;
        int eperm = LibSeccomp.SCMP_ACT_ERRNO_BASE | Errno.EPERM;
        // The command is an int: compare the low 32 bits only, whatever the caller left in the upper half.
        FilterRecipe.ArgCmp tiocsti = new FilterRecipe.ArgCmp(1, LibSeccomp.SCMP_CMP_MASKED_EQ, 0xffffffffL, TIOCSTI);
        FilterRecipe recipe = new FilterRecipe();
        FilterRecipe.Context ctx = context(recipe, LibSeccomp.SCMP_ARCH_X86_64);
        recipe.result(ctx);
        ctx.rule(eperm, SyscallNames.number(Arch.X86_64, "ioctl"), "ioctl", tiocsti);
        if (netNone) {
            ctx.rule(afno, SyscallNames.number(Arch.X86_64, "socket"), "socket",
                    new FilterRecipe.ArgCmp(0, SCMP_CMP_NE, AF_UNIX, 0));
            ctx.rule(eperm, SyscallNames.number(Arch.X86_64, "io_uring_setup"), "io_uring_setup");
        }
        FilterRecipe.Context ctx32 = context(recipe, LibSeccomp.SCMP_ARCH_X86);
        ctx32.ruleNamed(eperm, "ioctl", "i386 ioctl", tiocsti);
        for (String name : netNone ? new String[] {"socket", "socketcall", "io_uring_setup"} : new String[0]) {
            ctx32.ruleNamed(name.startsWith("io_uring") ? eperm : afno, name, "i386 " + name);
        }
        ctx.merge(ctx32);
        return new BpfProgram(LibSeccomp.bpf(recipe));
    }

    private static FilterRecipe.Context context(FilterRecipe recipe, int arch) {
        FilterRecipe.Context f = recipe.context(LibSeccomp.SCMP_ACT_ALLOW, arch);
        f.attr("SCMP_FLTATR_CTL_NNP", LibSeccomp.SCMP_FLTATR_CTL_NNP, 0);
        // Other arches (x32) are the policy filter's business; this one lets them through.
        f.attr("SCMP_FLTATR_ACT_BADARCH", LibSeccomp.SCMP_FLTATR_ACT_BADARCH, LibSeccomp.SCMP_ACT_ALLOW);
        return f;
    }
}

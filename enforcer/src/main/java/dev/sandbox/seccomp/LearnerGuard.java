package dev.sandbox.seccomp;

import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibSeccomp;
import dev.sandbox.seccomp.FilterRecipe.ArgCmp;
import dev.sandbox.syscall.Arch;
import java.util.Collection;

/**
 * The learner's own seccomp filter, stacked with (never merged into) the filter built from the base policy. The
 * kernel runs every filter of a task and keeps the action of highest precedence (KILL > TRAP > ERRNO > USER_NOTIF >
 * TRACE > LOG > ALLOW), so this small filter decides what no base policy, answer or tracer mistake may change:
 *
 * <ul>
 *   <li>{@code clone3} gets ENOSYS: its flags live in memory that another thread can rewrite after the tracer read
 *       it, so CLONE_UNTRACED cannot be checked there; libc then falls back to {@code clone} (as under Docker's
 *       profile, and as under an enforced allowlist that does not name clone3).</li>
 *   <li>{@code clone} with CLONE_UNTRACED stops the tracer (which clears the flag) in fast mode; in full mode the
 *       tracer has cleared it at the entry stop already, and the filter refuses it should that ever have failed.</li>
 *   <li>{@code seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER)} stops the tracer, which refuses
 *       it: a listener's SECCOMP_RET_USER_NOTIF out-ranks TRACE, so a program's own listener could otherwise answer
 *       for syscalls the learner never sees.</li>
 *   <li>the ceiling, on every arch, by name: fast mode stops the tracer on it even when the base allows it; full mode
 *       refuses it in the kernel as well (defence in depth: one missed stop is then not an escape).</li>
 *   <li>full mode only: time, gettimeofday and getcpu stop the tracer, because a call through the legacy vsyscall
 *       page makes no ptrace syscall stop at all, only a seccomp one.</li>
 * </ul>
 *
 * Only {@code clone} and {@code seccomp} rules look at an argument, so every other syscall keeps the kernel's
 * per-syscall allow cache.
 */
public final class LearnerGuard {
    /** <linux/sched.h> */
    public static final long CLONE_UNTRACED = 0x00800000L;
    /** <linux/seccomp.h> */
    public static final long SECCOMP_SET_MODE_FILTER = 1;
    public static final long SECCOMP_FILTER_FLAG_NEW_LISTENER = 1L << 3;
    /** Syscalls the x86_64 vsyscall page can emulate (arch/x86/entry/vsyscall/vsyscall_64.c). */
    public static final java.util.List<String> VSYSCALLS = java.util.List.of("gettimeofday", "time", "getcpu");

    private LearnerGuard() {}

    /**
     * @param ceiling   names never allowed while learning (any arch); may be empty
     * @param fast      seccomp-assisted learning (the tracer sees only what filters send it)
     * @param trace     the SECCOMP_RET_TRACE action to use
     */
    public static BpfProgram compile(Collection<String> ceiling, boolean fast, int trace) {
        FilterRecipe recipe = new FilterRecipe();
        FilterRecipe.Context ctx = recipe.context(LibSeccomp.SCMP_ACT_ALLOW, LibSeccomp.SCMP_ARCH_X86_64);
        recipe.result(ctx);
        int eperm = LibSeccomp.SCMP_ACT_ERRNO_BASE | Errno.EPERM;
        int enosys = LibSeccomp.SCMP_ACT_ERRNO_BASE | Errno.ENOSYS;
        ctx.addArch("i386", Arch.I386.auditArch());
        // x32 numbers: fast mode leaves them to the base filter (which sends them to the tracer, which refuses
        // them); full mode refuses them here too.
        ctx.attr("SCMP_FLTATR_ACT_BADARCH", LibSeccomp.SCMP_FLTATR_ACT_BADARCH,
                fast ? LibSeccomp.SCMP_ACT_ALLOW : eperm);
        ctx.attr("SCMP_FLTATR_CTL_NNP", LibSeccomp.SCMP_FLTATR_CTL_NNP, 0);
        int stopOrRefuse = fast ? trace : eperm;
        rule(ctx, enosys, "clone3");
        rule(ctx, stopOrRefuse, "clone",
                new ArgCmp(0, LibSeccomp.SCMP_CMP_MASKED_EQ, CLONE_UNTRACED, CLONE_UNTRACED));
        rule(ctx, stopOrRefuse, "seccomp", new ArgCmp(0, LibSeccomp.SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER, 0),
                new ArgCmp(1, LibSeccomp.SCMP_CMP_MASKED_EQ, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                        SECCOMP_FILTER_FLAG_NEW_LISTENER));
        for (String name : ceiling) {
            if (!name.equals("clone3") && !name.equals("clone") && !name.equals("seccomp")) {
                rule(ctx, stopOrRefuse, name);
            }
        }
        if (!fast) {
            for (String name : VSYSCALLS) {
                if (!ceiling.contains(name)) {
                    rule(ctx, trace, name);
                }
            }
        }
        return new BpfProgram(LibSeccomp.bpf(recipe));
    }

    /** A rule on every arch of the context that has the syscall (libseccomp translates the name per arch). */
    private static void rule(FilterRecipe.Context ctx, int action, String name, ArgCmp... cmps) {
        ctx.ruleNamed(action, name, name, cmps);
    }
}

package dev.sandbox.seccomp;

import dev.sandbox.jna.LibSeccomp;
import dev.sandbox.policy.Action;
import dev.sandbox.policy.Mode;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
import java.util.function.Function;

/**
 * Policy to seccomp BPF, through libseccomp. The compiler decides nothing: it asks {@link Policy#explain} for every
 * syscall number of every arch the filter admits and writes down the answers (a truth table in the tests runs the
 * compiled BPF against that same function).
 *
 * The filter looks only at the arch and the syscall number, never at arguments or the instruction pointer: that
 * keeps the kernel's per-syscall "always allow" cache (Linux 5.11+) working, so an allowed syscall costs no more
 * than under any other seccomp filter.
 *
 * Foreign arches are the classic bypass (i386 39 is mkdir, x86_64 39 is getpid): the filter's bad-arch action is
 * always kill, and libseccomp's x86_64 filter sends x32 numbers (bit 30 set) to that action too. i386 is admitted
 * into the filter only for an allowlist that names i386 syscalls, in a separate single-arch context merged in,
 * because libseccomp otherwise adds a rule to every arch of a context.
 */
public final class FilterCompiler {
    /** What a refusal whose policy action is kill returns: KILL_PROCESS, or USER_NOTIF for a supervised run. */
    private final int killAction;

    public FilterCompiler() {
        this(LibSeccomp.SCMP_ACT_KILL_PROCESS);
    }

    private FilterCompiler(int killAction) {
        this.killAction = killAction;
    }

    /**
     * A compiler whose filter notifies a supervisor (SECCOMP_RET_USER_NOTIF) where the policy says kill, so that
     * the supervisor can name the process and the syscall before it kills (see the launcher's STEP_SECCOMP_NOTIFY).
     * Foreign arches are still killed by the kernel itself.
     */
    public static FilterCompiler supervised() {
        return new FilterCompiler(LibSeccomp.SCMP_ACT_NOTIFY);
    }

    public BpfProgram compile(Policy policy) {
        try (LibSeccomp.Filter f = build(policy, this::action, LibSeccomp.SCMP_ACT_KILL_PROCESS)) {
            return new BpfProgram(f.bpf());
        }
    }

    /**
     * The learner's fast-mode filter: what the base allows runs untouched; everything else (refusals, unlisted
     * calls, foreign arches, so that the tracer can refuse them with EPERM) stops the tracer with
     * {@code traceAction}.
     */
    public BpfProgram compileTrap(Policy base, int traceAction) {
        Function<Action, Integer> trap = a -> a.kind() == Action.Kind.ALLOW ? LibSeccomp.SCMP_ACT_ALLOW : traceAction;
        try (LibSeccomp.Filter f = build(base, trap, traceAction)) {
            return new BpfProgram(f.bpf());
        }
    }

    /** libseccomp's pseudo-filter-code listing of the same filter, for people and tests. */
    public String pfc(Policy policy) {
        try (LibSeccomp.Filter f = build(policy, FilterCompiler::seccompAction, LibSeccomp.SCMP_ACT_KILL_PROCESS)) {
            return f.pfc();
        }
    }

    private static LibSeccomp.Filter build(Policy policy, Function<Action, Integer> render, int badArch) {
        // What every number not given a rule gets: the answer for an unlisted syscall past every special range.
        int unlisted = render.apply(policy.mode() == Mode.ALLOW ? policy.action() : Action.ALLOW);
        LibSeccomp.Filter ctx = context(unlisted, Arch.X86_64, badArch);
        try {
            int last = SyscallNames.highest(Arch.X86_64);
            if (policy.knownUpTo() != null) {
                last = Math.max(last, policy.newestEnosys());
            }
            for (SyscallRef s : policy.syscalls()) {
                last = Math.max(last, s.arch() == Arch.X86_64 ? s.number() : -1);
            }
            for (SyscallRef s : policy.ruled().keySet()) {
                last = Math.max(last, s.arch() == Arch.X86_64 ? s.number() : -1);
            }
            for (int nr = 0; nr <= last; nr++) {
                int a = render.apply(policy.actionFor(Arch.X86_64, nr));
                if (a != unlisted) {
                    ctx.rule(a, nr, SyscallRef.of(Arch.X86_64, nr).toString());
                }
            }
            if (policy.admitsI386()) {
                LibSeccomp.Filter ctx32 = context(render.apply(policy.action()), Arch.I386, badArch);
                try {
                    int i386Default = render.apply(policy.action());
                    for (int nr = 0; nr <= SyscallNames.highest(Arch.I386); nr++) {
                        int a = render.apply(policy.actionFor(Arch.I386, nr));
                        String name = SyscallNames.nameOrNull(Arch.I386, nr);
                        if (a != i386Default && name != null) {
                            // libseccomp translates a native number (or its pseudo number for an i386-only
                            // syscall) by name into the context's arch
                            ctx32.rule(a, LibSeccomp.seccomp_syscall_resolve_name(name), "i386:" + name);
                        }
                    }
                    ctx.merge(ctx32);
                } finally {
                    ctx32.close();
                }
            }
            return ctx;
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
    }

    /** A context holding only {@code arch}, with the attributes every filter shares. */
    private static LibSeccomp.Filter context(int defaultAction, Arch arch, int badArch) {
        LibSeccomp.Filter f = new LibSeccomp.Filter(defaultAction, arch.auditArch());
        try {
            f.attr("SCMP_FLTATR_ACT_BADARCH", LibSeccomp.SCMP_FLTATR_ACT_BADARCH, badArch);
            // The launcher sets NO_NEW_PRIVS as a plan step of its own; the exported filter does not carry it.
            f.attr("SCMP_FLTATR_CTL_NNP", LibSeccomp.SCMP_FLTATR_CTL_NNP, 0);
            // A binary search over syscall numbers instead of a linear chain: fewer instructions per uncached call.
            f.attr("SCMP_FLTATR_CTL_OPTIMIZE", LibSeccomp.SCMP_FLTATR_CTL_OPTIMIZE, 2);
            return f;
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    private int action(Action action) {
        int a = seccompAction(action);
        return a == LibSeccomp.SCMP_ACT_KILL_PROCESS ? killAction : a;
    }

    /** The seccomp return value for an action (SECCOMP_RET_* as libseccomp spells them). */
    public static int seccompAction(Action action) {
        return switch (action.kind()) {
            case ALLOW -> LibSeccomp.SCMP_ACT_ALLOW;
            case KILL -> LibSeccomp.SCMP_ACT_KILL_PROCESS;
            case ERRNO -> LibSeccomp.SCMP_ACT_ERRNO_BASE | (action.errno() & 0xffff);
            case TRAP -> LibSeccomp.SCMP_ACT_TRAP;
            case LOG -> LibSeccomp.SCMP_ACT_LOG;
        };
    }
}

package dev.sandbox.seccomp;

import dev.sandbox.jna.LibSeccomp;
import dev.sandbox.policy.Action;
import dev.sandbox.policy.Mode;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;

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
        return new BpfProgram(LibSeccomp.bpf(recipe(policy)));
    }

    /** The libseccomp calls of {@link #compile}, for an executor outside this JVM (sandbox-run's first run). */
    public FilterRecipe recipe(Policy policy) {
        return build(policy, killAction, 0, LibSeccomp.SCMP_ACT_KILL_PROCESS);
    }

    /**
     * The learner's fast-mode filter: what the base allows runs untouched; everything else (refusals, unlisted
     * calls, foreign arches, so that the tracer can refuse them with EPERM) stops the tracer with
     * {@code traceAction}.
     */
    public BpfProgram compileTrap(Policy base, int traceAction) {
        return new BpfProgram(LibSeccomp.bpf(build(base, LibSeccomp.SCMP_ACT_KILL_PROCESS, traceAction, traceAction)));
    }

    /** libseccomp's pseudo-filter-code listing of the same filter, for people and tests. */
    public String pfc(Policy policy) {
        return LibSeccomp.pfc(build(policy, LibSeccomp.SCMP_ACT_KILL_PROCESS, 0, LibSeccomp.SCMP_ACT_KILL_PROCESS));
    }

    /**
     * What an action becomes in the filter: its seccomp return value, with {@code kill} for a kill; or, for a trap
     * filter ({@code trap} not 0), allow for allow and {@code trap} for everything else.
     */
    private static int render(Action a, int kill, int trap) {
        if (trap != 0) {
            return a.kind() == Action.Kind.ALLOW ? LibSeccomp.SCMP_ACT_ALLOW : trap;
        }
        int r = seccompAction(a);
        return r == LibSeccomp.SCMP_ACT_KILL_PROCESS ? kill : r;
    }

    private static FilterRecipe build(Policy policy, int kill, int trap, int badArch) {
        FilterRecipe recipe = new FilterRecipe();
        // What every number not given a rule gets: the answer for an unlisted syscall past every special range.
        int unlisted = render(policy.mode() == Mode.ALLOW ? policy.action() : Action.ALLOW, kill, trap);
        FilterRecipe.Context ctx = context(recipe, unlisted, Arch.X86_64, badArch);
        recipe.result(ctx);
        // Every number up to the newest known syscall (and known_up_to's margin) is asked; above that only a listed
        // or ruled number can differ from the unlisted answer, so only those are (a policy may name "1073741823").
        int last = SyscallNames.highest(Arch.X86_64);
        if (policy.knownUpTo() != null) {
            last = Math.max(last, policy.newestEnosys());
        }
        java.util.TreeSet<Integer> above = new java.util.TreeSet<>();
        for (SyscallRef s : policy.syscalls()) {
            if (s.arch() == Arch.X86_64 && s.number() > last) {
                above.add(s.number());
            }
        }
        for (SyscallRef s : policy.ruled().keySet()) {
            if (s.arch() == Arch.X86_64 && s.number() > last) {
                above.add(s.number());
            }
        }
        for (int nr = 0; nr <= last; nr++) {
            int a = render(policy.actionFor(Arch.X86_64, nr), kill, trap);
            if (a != unlisted) {
                ctx.rule(a, nr, null);
            }
        }
        for (int nr : above) {
            int a = render(policy.actionFor(Arch.X86_64, nr), kill, trap);
            if (a != unlisted) {
                ctx.rule(a, nr, null);
            }
        }
        if (policy.admitsI386()) {
            int i386Default = render(policy.action(), kill, trap);
            FilterRecipe.Context ctx32 = context(recipe, i386Default, Arch.I386, badArch);
            for (int nr = 0; nr <= SyscallNames.highest(Arch.I386); nr++) {
                int a = render(policy.actionFor(Arch.I386, nr), kill, trap);
                String name = SyscallNames.nameOrNull(Arch.I386, nr);
                if (a != i386Default && name != null) {
                    // libseccomp translates a native number (or its pseudo number for an i386-only syscall) by
                    // name into the context's arch
                    ctx32.ruleNamed(a, name, "i386:" + name);
                }
            }
            ctx.merge(ctx32);
        }
        return recipe;
    }

    /** A context holding only {@code arch}, with the attributes every filter shares. */
    private static FilterRecipe.Context context(FilterRecipe recipe, int defaultAction, Arch arch, int badArch) {
        FilterRecipe.Context f = recipe.context(defaultAction, arch.auditArch());
        f.attr("SCMP_FLTATR_ACT_BADARCH", LibSeccomp.SCMP_FLTATR_ACT_BADARCH, badArch);
        // The launcher sets NO_NEW_PRIVS as a plan step of its own; the exported filter does not carry it.
        f.attr("SCMP_FLTATR_CTL_NNP", LibSeccomp.SCMP_FLTATR_CTL_NNP, 0);
        // A binary search over syscall numbers instead of a linear chain: fewer instructions per uncached call.
        f.attr("SCMP_FLTATR_CTL_OPTIMIZE", LibSeccomp.SCMP_FLTATR_CTL_OPTIMIZE, 2);
        return f;
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

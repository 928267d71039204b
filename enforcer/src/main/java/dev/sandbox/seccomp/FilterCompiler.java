package dev.sandbox.seccomp;

import com.sun.jna.Pointer;
import dev.sandbox.jna.LibC;
import dev.sandbox.jna.LibSeccomp;
import dev.sandbox.jna.NativeCallException;
import dev.sandbox.policy.Action;
import dev.sandbox.policy.Mode;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.Rule;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Policy to seccomp BPF, through libseccomp.
 *
 * The filter looks only at the arch and the syscall number, never at arguments or the instruction pointer: that
 * keeps the kernel's per-syscall "always allow" cache (Linux 5.11+) working, so an allowed syscall costs no more
 * than under any other seccomp filter.
 *
 * Foreign arches are the classic bypass (i386 39 is mkdir, x86_64 39 is getpid): the filter's bad-arch action is
 * always kill, and libseccomp's x86_64 filter sends x32 numbers (bit 30 set) to that action too. i386 is admitted
 * into the filter only for an allowlist that names i386 syscalls, and then only those.
 */
public final class FilterCompiler {
    /** seccomp_export_bpf writes into this fd; a memfd avoids a pipe's capacity limit and any temp file. */
    private static final String MEMFD_NAME = "sandbox-bpf";

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
        return compile(policy, null);
    }

    /**
     * @param unlistedOverride when not null, the action for syscalls an allowlist does not name (the learner's
     *                         fast mode uses SCMP_ACT_TRACE here); null means the policy's own action
     */
    public BpfProgram compile(Policy policy, Integer unlistedOverride) {
        Pointer ctx = build(policy, unlistedOverride);
        try {
            return new BpfProgram(export(ctx, false));
        } finally {
            LibSeccomp.seccomp_release(ctx);
        }
    }

    /**
     * The learner's fast-mode filter: the base allowlist runs untouched, everything else (foreign arches included,
     * so that the tracer can refuse them with EPERM) stops the tracer with {@code traceAction}.
     */
    public BpfProgram compileTrap(Policy base, int traceAction) {
        Pointer ctx = build(base, traceAction);
        try {
            LibSeccomp.check("seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH)",
                    LibSeccomp.seccomp_attr_set(ctx, LibSeccomp.SCMP_FLTATR_ACT_BADARCH, traceAction));
            return new BpfProgram(export(ctx, false));
        } finally {
            LibSeccomp.seccomp_release(ctx);
        }
    }

    /** libseccomp's pseudo-filter-code listing of the same filter, for people and tests. */
    public String pfc(Policy policy) {
        Pointer ctx = build(policy, null);
        try {
            return new String(export(ctx, true), StandardCharsets.UTF_8);
        } finally {
            LibSeccomp.seccomp_release(ctx);
        }
    }

    private Pointer build(Policy policy, Integer unlistedOverride) {
        LibSeccomp.ensureAvailable();
        int refused = action(policy.action());
        int unlisted = policy.mode() == Mode.ALLOW ? (unlistedOverride != null ? unlistedOverride : refused)
                : LibSeccomp.SCMP_ACT_ALLOW;
        int listed = policy.mode() == Mode.ALLOW ? LibSeccomp.SCMP_ACT_ALLOW : refused;
        if (listed == unlisted) {
            throw new IllegalArgumentException("policy action equals the default action");
        }
        Pointer ctx = context(unlisted, null);
        try {
            boolean i386 = false;
            for (SyscallRef s : policy.syscalls()) {
                if (s.arch() == Arch.X86_64) {
                    addRule(ctx, listed, s);
                } else {
                    i386 |= s.arch() == Arch.I386 && policy.mode() == Mode.ALLOW;
                }
            }
            for (Rule r : policy.rules()) {
                int a = action(r.action());
                for (SyscallRef s : r.syscalls()) {
                    if (s.arch() == Arch.X86_64 && a != unlisted) {
                        addRule(ctx, a, s);
                    }
                    i386 |= s.arch() == Arch.I386 && policy.mode() == Mode.ALLOW;
                }
            }
            if (policy.mode() == Mode.ALLOW && unlistedOverride == null) {
                portability(ctx, policy, unlisted);
            }
            if (i386) {
                // A separate single-arch context: libseccomp adds a rule to every arch of a context (translating
                // by name), and an i386 allowance must not widen x86_64 or the reverse.
                Pointer ctx32 = context(unlisted, Arch.I386);
                for (SyscallRef s : policy.syscalls()) {
                    if (s.arch() == Arch.I386) {
                        addRule(ctx32, listed, s);
                    }
                }
                for (Rule r : policy.rules()) {
                    int a = action(r.action());
                    for (SyscallRef s : r.syscalls()) {
                        if (s.arch() == Arch.I386 && a != unlisted) {
                            addRule(ctx32, a, s);
                        }
                    }
                }
                LibSeccomp.check("seccomp_merge", LibSeccomp.seccomp_merge(ctx, ctx32));
            }
            return ctx;
        } catch (RuntimeException e) {
            LibSeccomp.seccomp_release(ctx);
            throw e;
        }
    }

    /** How far past the newest known syscall ENOSYS is given: room for the syscalls of a few kernel releases. */
    static final int NEWER_MARGIN = 64;

    /**
     * An allowlist fails soft where a newer libc would otherwise die: clone3 gets ENOSYS unless the policy names it
     * (glibc then falls back to clone, as under Docker's profile), and with {@code known_up_to} every syscall newer
     * than the one the learning machine knew gets ENOSYS, the answer that makes libc fall back to the older call.
     */
    private static void portability(Pointer ctx, Policy policy, int unlisted) {
        int enosys = LibSeccomp.SCMP_ACT_ERRNO_BASE | dev.sandbox.jna.Errno.ENOSYS;
        if (enosys == unlisted) {
            return;
        }
        java.util.Set<Integer> taken = new java.util.HashSet<>();
        for (SyscallRef s : policy.syscalls()) {
            taken.add(SyscallNames.number(s.arch(), s.name()));
        }
        for (Rule r : policy.rules()) {
            for (SyscallRef s : r.syscalls()) {
                taken.add(SyscallNames.number(s.arch(), s.name()));
            }
        }
        int clone3 = SyscallNames.number(Arch.X86_64, "clone3");
        if (clone3 >= 0 && taken.add(clone3)) {
            LibSeccomp.check("seccomp_rule_add(clone3)", LibSeccomp.seccomp_rule_add_array(ctx, enosys, clone3, 0,
                    null));
        }
        if (policy.knownUpTo() == null) {
            return;
        }
        int known = SyscallNames.number(Arch.X86_64, policy.knownUpTo());
        int last = Math.max(SyscallNames.highest(Arch.X86_64), known) + NEWER_MARGIN;
        for (int nr = known + 1; nr <= last; nr++) {
            if (taken.add(nr)) {
                LibSeccomp.check("seccomp_rule_add(" + nr + ")",
                        LibSeccomp.seccomp_rule_add_array(ctx, enosys, nr, 0, null));
            }
        }
    }

    /** A context holding only {@code arch} (null: the native x86_64), with the attributes every filter shares. */
    private static Pointer context(int defaultAction, Arch arch) {
        Pointer ctx = LibSeccomp.seccomp_init(defaultAction);
        if (ctx == null) {
            throw new NativeCallException("seccomp_init", dev.sandbox.jna.Errno.EINVAL);
        }
        try {
            if (arch != null) {
                LibSeccomp.check("seccomp_arch_add(" + arch.label() + ")",
                        LibSeccomp.seccomp_arch_add(ctx, arch.auditArch()));
                LibSeccomp.check("seccomp_arch_remove(native)",
                        LibSeccomp.seccomp_arch_remove(ctx, Arch.X86_64.auditArch()));
            }
            LibSeccomp.check("seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH)",
                    LibSeccomp.seccomp_attr_set(ctx, LibSeccomp.SCMP_FLTATR_ACT_BADARCH,
                            LibSeccomp.SCMP_ACT_KILL_PROCESS));
            // The launcher sets NO_NEW_PRIVS as a plan step of its own; the exported filter does not carry it.
            LibSeccomp.check("seccomp_attr_set(SCMP_FLTATR_CTL_NNP)",
                    LibSeccomp.seccomp_attr_set(ctx, LibSeccomp.SCMP_FLTATR_CTL_NNP, 0));
            // A binary search over syscall numbers instead of a linear chain: fewer instructions per uncached call.
            LibSeccomp.check("seccomp_attr_set(SCMP_FLTATR_CTL_OPTIMIZE)",
                    LibSeccomp.seccomp_attr_set(ctx, LibSeccomp.SCMP_FLTATR_CTL_OPTIMIZE, 2));
            return ctx;
        } catch (RuntimeException e) {
            LibSeccomp.seccomp_release(ctx);
            throw e;
        }
    }

    private static void addRule(Pointer ctx, int action, SyscallRef s) {
        // libseccomp takes native (x86_64) numbers, or its negative pseudo numbers for syscalls only other
        // arches have, and translates them by name into each arch of the context.
        int nr = LibSeccomp.seccomp_syscall_resolve_name(s.name());
        LibSeccomp.check("seccomp_rule_add(" + s + ")", LibSeccomp.seccomp_rule_add_array(ctx, action, nr, 0, null));
    }

    private int action(Action action) {
        int a = seccompAction(action);
        return a == LibSeccomp.SCMP_ACT_KILL_PROCESS ? killAction : a;
    }

    public static int seccompAction(Action action) {
        return switch (action.kind()) {
            case KILL -> LibSeccomp.SCMP_ACT_KILL_PROCESS;
            case ERRNO -> LibSeccomp.SCMP_ACT_ERRNO_BASE | (action.errno() & 0xffff);
            case TRAP -> LibSeccomp.SCMP_ACT_TRAP;
            case LOG -> LibSeccomp.SCMP_ACT_LOG;
        };
    }

    static byte[] export(Pointer ctx, boolean pfc) {
        int fd;
        try {
            fd = LibC.memfd_create(MEMFD_NAME, LibC.MFD_CLOEXEC);
        } catch (com.sun.jna.LastErrorException e) {
            throw LibC.failure("memfd_create", e);
        }
        try {
            if (pfc) {
                LibSeccomp.check("seccomp_export_pfc", LibSeccomp.seccomp_export_pfc(ctx, fd));
            } else {
                LibSeccomp.check("seccomp_export_bpf", LibSeccomp.seccomp_export_bpf(ctx, fd));
            }
            LibC.lseek(fd, 0, LibC.SEEK_SET);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[16384];
            for (;;) {
                long n = LibC.read(fd, buf, buf.length);
                if (n <= 0) {
                    break;
                }
                out.write(buf, 0, (int) n);
            }
            return out.toByteArray();
        } catch (com.sun.jna.LastErrorException e) {
            throw LibC.failure("reading the exported filter", e);
        } finally {
            LibC.close(fd);
        }
    }
}

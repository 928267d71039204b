package dev.sandbox.launch;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibC;
import dev.sandbox.jna.NativeCallException;
import dev.sandbox.jna.Posix;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.seccomp.BpfProgram;
import dev.sandbox.seccomp.FilterCompiler;
import dev.sandbox.syscall.Arch;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The enforcer: compile the policy, have the launcher load the filter just before execve, wait, and report how the
 * program ended. The order of the plan is the jail: inherited fds closed, die-with-sandbox, NO_NEW_PRIVS, seccomp,
 * execve.
 *
 * Where the kernel has seccomp user notification, a kill verdict goes to a supervisor first ({@link Supervisor}),
 * which names the process and the syscall and then kills it; docs/threat-model.md says what that changes.
 */
public final class StaticRun {
    private final Launcher launcher;
    private final Consumer<String> verbose;
    private final Consumer<String> notice;
    private final boolean listAll;
    private BiConsumer<Policy, Compiled> compiled = (policy, c) -> { };
    private dev.sandbox.isolation.Isolation isolation = dev.sandbox.isolation.Isolation.none();
    private RunAudit audit;

    /**
     * @param verbose receives what the sandbox did, one line at a time (for --verbose; may discard)
     * @param notice  receives what a person must always see (how a violation ended the program)
     */
    public StaticRun(Launcher launcher, Consumer<String> verbose, Consumer<String> notice) {
        this(launcher, verbose, notice, false);
    }

    /** @param listAll name every violation (--verbose), not only the first */
    public StaticRun(Launcher launcher, Consumer<String> verbose, Consumer<String> notice, boolean listAll) {
        this.launcher = launcher;
        this.verbose = verbose;
        this.notice = notice;
        this.listAll = listAll;
    }

    /** Runs the program inside this isolation (namespaces, mounts, limits...); the default is none. */
    public StaticRun isolation(dev.sandbox.isolation.Isolation isolation) {
        this.isolation = isolation;
        return this;
    }

    /** Writes start, violation and end lines here (--audit); null for none. */
    public StaticRun audit(RunAudit audit) {
        this.audit = audit;
        return this;
    }

    /**
     * Receives every policy this run compiles, with its filter, while the program starts (the compiled-policy
     * cache stores it there, for sandbox-run).
     */
    public StaticRun onCompiled(BiConsumer<Policy, Compiled> sink) {
        this.compiled = sink;
        return this;
    }

    /** A policy's filter, and whether its kill verdicts go to a supervisor ({@link Supervisor}). */
    public record Compiled(BpfProgram bpf, boolean supervised) {}

    /** Only a kill verdict goes to the supervisor: a policy that kills nothing needs none. */
    public static Compiled compile(Policy policy) {
        return compile(policy, dev.sandbox.jna.LibSeccomp::bpf);
    }

    /**
     * @param libseccomp carries out the filter's recipe: this JVM's libseccomp, or sandbox-run's when it compiles a
     *                   first run (the JVM then loads no native bindings)
     */
    public static Compiled compile(Policy policy,
            java.util.function.Function<dev.sandbox.seccomp.FilterRecipe, byte[]> libseccomp) {
        boolean kills = policy.action().kind() == dev.sandbox.policy.Action.Kind.KILL;
        for (dev.sandbox.policy.Rule r : policy.rules()) {
            kills |= r.action().kind() == dev.sandbox.policy.Action.Kind.KILL;
        }
        boolean supervised = kills && Supervisor.available();
        FilterCompiler compiler = supervised ? FilterCompiler.supervised() : new FilterCompiler();
        return new Compiled(new BpfProgram(libseccomp.apply(compiler.recipe(policy))), supervised);
    }

    /**
     * The jail, in order, up to the exec step (see {@link LaunchPlan#jail}).
     *
     * @param reportFd  our end of the supervisor's report pipe, or -1 (none, or the cached form: sandbox-run puts
     *                  its own at {@link Launcher#REPORT_FD})
     * @param parentPid the process whose death kills the program, or {@link LaunchPlan#PARENT_RUNNER}
     * @param cwd       the working directory for the program, or null for ours
     */
    public static LaunchPlan plan(Compiled c, int reportFd, int parentPid, String cwd) {
        return LaunchPlan.jail(cwd, false, c.supervised() ? List.of() : List.of(c.bpf()),
                c.supervised() ? c.bpf() : null, reportFd, parentPid, LibC.SIGKILL);
    }

    /**
     * What a person reads when a policy kill ended the program itself.
     *
     * @param signal  SIGSYS, or SIGKILL (the supervisor's kill of a process that catches, blocks or ignores SIGSYS)
     * @param syscall null when neither the supervisor nor the kernel log named it
     */
    public static String killed(String program, int signal, String syscall, String policySource) {
        return program + " was killed by " + (signal == LibC.SIGSYS ? "SIGSYS" : "SIGKILL")
                + ": policy violation" + (syscall != null ? " (syscall " + syscall + " is not allowed by "
                + policySource + ")" : " (the kernel log names the syscall: dmesg | grep 'type=1326')")
                + (signal == LibC.SIGKILL ? "; it catches, blocks or ignores SIGSYS" : "");
    }

    /** A violation elsewhere in the tree; {@code described} is {@link Supervisor.Violation#describe()}. */
    public static String elsewhere(String described, String policySource) {
        return "policy violation in " + described + " (not allowed by " + policySource + ")";
    }

    /** What is left unsaid without --verbose; {@code more} as text, 1 or more. */
    public static String more(String more, boolean one) {
        return "and " + more + " more polic" + (one ? "y violation" : "y violations") + " (--verbose lists each)";
    }

    /** Runs {@code command} under {@code policy} and returns the exit code the sandbox should exit with. */
    public int run(Policy policy, Argv command) {
        Outcome o = execute(policy, command, null, null);
        return o.policyKill() ? ExitCodes.SIGNAL_BASE + LibC.SIGSYS : o.status().sandboxExitCode();
    }

    /**
     * How an enforced run ended.
     *
     * @param killedSyscall the syscall a policy kill of the program itself was for, when known; else null
     * @param violations    every refused call the supervisor saw, in the whole tree (empty without one)
     */
    public record Outcome(ExitStatus status, String killedSyscall, List<Supervisor.Violation> violations) {
        /** The program itself died for a policy violation (by SIGSYS, or by SIGKILL when it catches SIGSYS). */
        public boolean policyKill() {
            return status.signaled() && (status.signal() == LibC.SIGSYS || status.signal() == LibC.SIGKILL
                    && killedSyscall != null);
        }
    }

    /**
     * @param cwd   the working directory for the program, or null for ours
     * @param stdio the program's fds 0, 1, 2 (each -1: ours), or null for ours
     */
    public Outcome execute(Policy policy, Argv command, String cwd, int[] stdio) {
        String program = command.programName();
        // The one check shared with 'policy check' and the editor: a policy no program can start under.
        policy.checkEnforceable();
        byte[] path = ProgramPath.resolve(command.program());
        Compiled c = compile(policy);
        boolean supervised = c.supervised();
        BpfProgram bpf = c.bpf();
        verbose.accept("policy " + policy.source() + ": " + policy.mode().label() + " mode, "
                + policy.syscalls().size() + " syscalls, refused calls get " + policy.action().describe()
                + (policy.rules().isEmpty() ? "" : ", " + policy.rules().size() + " rules"));
        verbose.accept("seccomp filter: " + bpf.instructions() + " BPF instructions"
                + (supervised ? "; violations are named by a supervisor (seccomp user notification)" : ""));

        Supervisor supervisor = supervised ? Supervisor.open() : null;
        LaunchPlan plan;
        try {
            plan = LaunchPlan.forProgram(cwd, false, supervised ? List.of() : List.of(c.bpf()),
                    supervised ? c.bpf() : null, supervised ? supervisor.childEnd() : -1, path, command.argv(),
                    Posix.getpid(), LibC.SIGKILL, isolation);
        } catch (RuntimeException e) {
            if (supervisor != null) {
                supervisor.close();
            }
            throw e;
        }
        plan.isolation().notes().forEach(verbose);
        plan.isolation().warnings().forEach(w -> notice.accept("warning: " + w));
        String gaps = plan.isolation().landlockGaps();
        if (gaps != null) {
            notice.accept(gaps);
        }
        if (supervisor != null && plan.isolation().pidNamespace()) {
            supervisor.insidePidNamespace();
        }
        Launcher.Child child;
        try {
            child = stdio == null ? launcher.spawn(plan) : launcher.spawn(plan, stdio[0], stdio[1], stdio[2]);
        } catch (RuntimeException e) {
            if (supervisor != null) {
                supervisor.close();
            }
            throw e;
        }
        SignalForwarder forwarder = SignalForwarder.install(child.pid());
        try {
            if (supervisor != null) {
                supervisor.spawned();
            }
            compiled.accept(policy, c);
            try {
                child.awaitExec();
            } catch (LaunchFailure e) {
                waitFor(child.pid());
                plan.isolation().finish();
                throw e;
            }
            verbose.accept("started " + Argv.show(path) + " as pid " + child.pid());
            long started = System.nanoTime();
            if (audit != null) {
                audit.start(Argv.show(path), command.argv().stream().map(Argv::show).toList(), policy.source(),
                        isolation, plan.isolation(), child.pid());
            }
            ExitStatus status = supervisor != null ? supervisor.waitFor(child.pid()) : waitFor(child.pid());
            long wall = (System.nanoTime() - started) / 1_000_000;
            verbose.accept("pid " + child.pid() + " " + status.describe());
            dev.sandbox.isolation.Cgroup.Report limits = plan.isolation().finish();
            String limit = IsolationSteps.limitNotice(limits, isolation, status);
            if (limit != null) {
                notice.accept(limit);
            }
            List<Supervisor.Violation> violations = supervisor != null ? supervisor.violations() : List.of();
            String syscall = report(policy, program, child.pid(), plan.isolation().programPid(child.pid()), status,
                    violations);
            if (audit != null) {
                if (violations.isEmpty() && status.signaled() && status.signal() == LibC.SIGSYS) {
                    audit.violation(child.pid(), syscall, "kill");
                }
                for (Supervisor.Violation v : violations) {
                    audit.violation(v.tgid(), v.syscall(), "kill");
                }
                audit.end(status, wall, Posix.childrenUsage(), limits, limit);
            }
            return new Outcome(status, syscall, violations);
        } finally {
            forwarder.uninstall();
            if (supervisor != null) {
                supervisor.close();
            }
        }
    }

    /** Says how violations ended processes; returns the syscall the program itself was killed for, if known. */
    private String report(Policy policy, String program, int pid, int programPid, ExitStatus status,
            List<Supervisor.Violation> violations) {
        Supervisor.Violation own = null;
        for (Supervisor.Violation v : violations) {
            if (v.tgid() == programPid && v.signal() != 0) {
                own = v;
                break;
            }
        }
        String syscall = null;
        boolean killed = status.signaled() && (status.signal() == LibC.SIGSYS
                || status.signal() == LibC.SIGKILL && own != null);
        if (killed) {
            syscall = own != null ? own.syscall() : status.signal() == LibC.SIGSYS ? SeccompLog.killedSyscall(pid)
                    : null;
            notice.accept(killed(program, status.signal(), syscall, policy.source()));
        }
        int shown = 0;
        for (Supervisor.Violation v : violations) {
            if (v == own) {
                continue;
            }
            if (!listAll && shown == 1) {
                int more = violations.size() - (own != null ? 1 : 0) - shown;
                notice.accept(more(Integer.toString(more), more == 1));
                break;
            }
            notice.accept(elsewhere(v.describe(), policy.source()));
            shown++;
        }
        return syscall;
    }

    /** waitpid until {@code pid} has ended; signals forwarded meanwhile interrupt nothing. */
    public static ExitStatus waitFor(int pid) {
        for (;;) {
            try {
                return ExitStatus.decode(Posix.waitpid(pid, 0));
            } catch (NativeCallException e) {
                if (e.errno() != Errno.EINTR) {
                    throw e;
                }
            }
        }
    }
}

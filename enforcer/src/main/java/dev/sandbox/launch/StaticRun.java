package dev.sandbox.launch;

import com.sun.jna.LastErrorException;
import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibC;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.seccomp.BpfProgram;
import dev.sandbox.seccomp.FilterCompiler;
import dev.sandbox.syscall.Arch;
import java.util.List;
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
        SyscallRef execve = new SyscallRef(Arch.X86_64, "execve");
        if (policy.refuses(execve) && policy.action().kind() != dev.sandbox.policy.Action.Kind.LOG) {
            throw new SandboxException("policy " + policy.source() + " refuses execve, so " + program
                    + " could never start: add \"execve\" to the policy", ExitCodes.REFUSED);
        }
        byte[] path = ProgramPath.resolve(command.program());
        // Only a kill verdict goes to the supervisor: a policy that kills nothing needs none.
        boolean kills = policy.action().kind() == dev.sandbox.policy.Action.Kind.KILL
                || policy.rules().stream().anyMatch(r -> r.action().kind() == dev.sandbox.policy.Action.Kind.KILL);
        boolean supervised = kills && Supervisor.available();
        BpfProgram bpf = (supervised ? FilterCompiler.supervised() : new FilterCompiler()).compile(policy);
        verbose.accept("policy " + policy.source() + ": " + policy.mode().label() + " mode, "
                + policy.syscalls().size() + " syscalls, refused calls get " + policy.action().describe()
                + (policy.rules().isEmpty() ? "" : ", " + policy.rules().size() + " rules"));
        verbose.accept("seccomp filter: " + bpf.instructions() + " BPF instructions"
                + (supervised ? "; violations are named by a supervisor (seccomp user notification)" : ""));

        Supervisor supervisor = supervised ? Supervisor.open() : null;
        LaunchPlan plan;
        try {
            plan = LaunchPlan.forProgram(cwd, false, supervised ? List.of() : List.of(bpf), supervised ? bpf : null,
                    supervised ? supervisor.childEnd() : -1, path, command.argv(), LibC.getpid(), LibC.SIGKILL,
                    isolation);
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
                audit.end(status, wall, LibC.childrenUsage(), limits, limit);
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
            notice.accept(program + " was killed by " + (status.signal() == LibC.SIGSYS ? "SIGSYS" : "SIGKILL")
                    + ": policy violation" + (syscall != null ? " (syscall " + syscall + " is not allowed by "
                    + policy.source() + ")" : " (the kernel log names the syscall: dmesg | grep 'type=1326')")
                    + (status.signal() == LibC.SIGKILL ? "; it catches, blocks or ignores SIGSYS" : ""));
        }
        int shown = 0;
        for (Supervisor.Violation v : violations) {
            if (v == own) {
                continue;
            }
            if (!listAll && shown == 1) {
                int more = violations.size() - (own != null ? 1 : 0) - shown;
                notice.accept("and " + more + " more polic" + (more == 1 ? "y violation" : "y violations")
                        + " (--verbose lists each)");
                break;
            }
            notice.accept("policy violation in " + v.describe() + " (not allowed by " + policy.source() + ")");
            shown++;
        }
        return syscall;
    }

    /** waitpid until {@code pid} has ended; signals forwarded meanwhile interrupt nothing. */
    public static ExitStatus waitFor(int pid) {
        int[] status = new int[1];
        for (;;) {
            try {
                LibC.waitpid(pid, status, 0);
                return ExitStatus.decode(status[0]);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Errno.EINTR) {
                    throw LibC.failure("waitpid(" + pid + ")", e);
                }
            }
        }
    }
}

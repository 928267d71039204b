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
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The enforcer: compile the policy, have the launcher load the filter just before execve, wait, and report how the
 * program ended. The order of the plan is the jail: inherited fds closed, die-with-sandbox, NO_NEW_PRIVS, seccomp,
 * execve.
 */
public final class StaticRun {
    private final Launcher launcher;
    private final Consumer<String> verbose;
    private final Consumer<String> notice;
    private BiConsumer<Policy, BpfProgram> compiled = (policy, bpf) -> { };

    /**
     * @param verbose receives what the sandbox did, one line at a time (for --verbose; may discard)
     * @param notice  receives what a person must always see (how a violation ended the program)
     */
    public StaticRun(Launcher launcher, Consumer<String> verbose, Consumer<String> notice) {
        this.launcher = launcher;
        this.verbose = verbose;
        this.notice = notice;
    }

    /**
     * Receives every policy this run compiles, with its filter, while the program starts (the compiled-policy
     * cache stores it there, for sandbox-run).
     */
    public StaticRun onCompiled(BiConsumer<Policy, BpfProgram> sink) {
        this.compiled = sink;
        return this;
    }

    /**
     * The jail, in order, up to the exec step: inherited fds closed, die with the sandbox, NO_NEW_PRIVS, seccomp.
     *
     * @param parentPid the process whose death kills the program, or {@link LaunchPlan#PARENT_RUNNER}
     * @param cwd       the working directory for the program, or null for ours
     */
    public static LaunchPlan plan(BpfProgram bpf, int parentPid, String cwd) {
        LaunchPlan plan = new LaunchPlan()
                .closeFrom(3)
                .parentDeathSignal(LibC.SIGKILL, parentPid);
        if (cwd != null) {
            plan.chdir(cwd);
        }
        return plan.noNewPrivs()
                .seccompFilter(bpf, 0);
    }

    /** What a person reads when the filter killed the program; {@code syscall} is null when the log said nothing. */
    public static String violation(String program, String syscall, String policySource) {
        return program + " was killed by SIGSYS: policy violation"
                + (syscall != null ? " (syscall " + syscall + " is not allowed by " + policySource + ")"
                : " (the kernel log names the syscall: dmesg | grep 'type=1326')");
    }

    /** Whether no program could start under {@code policy}: it refuses execve itself. */
    public static boolean refusesExecve(Policy policy) {
        return policy.refuses(new SyscallRef(Arch.X86_64, "execve"))
                && policy.action().kind() != dev.sandbox.policy.Action.Kind.LOG;
    }

    /** Runs {@code command} under {@code policy} and returns the exit code the sandbox should exit with. */
    public int run(Policy policy, List<String> command) {
        return execute(policy, command, null, null, null).status().sandboxExitCode();
    }

    /**
     * How an enforced run ended.
     *
     * @param killedSyscall the syscall a SIGSYS kill was for, when the kernel log could be read; else null
     * @param stdoutSha256  when stdout was captured; else null
     */
    public record Outcome(ExitStatus status, String killedSyscall, String stdoutSha256, String stderrSha256) {}

    /**
     * @param cwd    the working directory for the program, or null for ours
     * @param stdout when not null, the program's stdout is passed through a pipe to this stream and hashed
     * @param stderr likewise for stderr
     */
    public Outcome execute(Policy policy, List<String> command, String cwd, java.io.OutputStream stdout,
            java.io.OutputStream stderr) {
        String program = command.get(0);
        if (refusesExecve(policy)) {
            throw new SandboxException("policy " + policy.source() + " refuses execve, so " + program
                    + " could never start: add \"execve\" to the policy", ExitCodes.REFUSED);
        }
        String path = ProgramPath.resolve(program);
        BpfProgram bpf = new FilterCompiler().compile(policy);
        verbose.accept("policy " + policy.source() + ": " + policy.mode().label() + " mode, "
                + policy.syscalls().size() + " syscalls, refused calls get " + policy.action().describe()
                + (policy.rules().isEmpty() ? "" : ", " + policy.rules().size() + " rules"));
        verbose.accept("seccomp filter: " + bpf.instructions() + " BPF instructions");

        LaunchPlan plan = plan(bpf, LibC.getpid(), cwd).exec(path, command);
        Capture out = stdout == null ? null : Capture.of(stdout, "stdout");
        Capture err = stderr == null ? null : Capture.of(stderr, "stderr");
        Launcher.Child child;
        try {
            child = launcher.spawn(plan, out == null ? -1 : out.childFd(), err == null ? -1 : err.childFd());
        } finally {
            if (out != null) {
                out.spawned();
            }
            if (err != null) {
                err.spawned();
            }
        }
        SignalForwarder forwarder = SignalForwarder.install(child.pid());
        try {
            compiled.accept(policy, bpf);
            try {
                child.awaitExec();
            } catch (LaunchFailure e) {
                waitFor(child.pid());
                throw e;
            }
            verbose.accept("started " + path + " as pid " + child.pid());
            ExitStatus status = waitFor(child.pid());
            verbose.accept("pid " + child.pid() + " " + status.describe());
            String syscall = null;
            if (status.signaled() && status.signal() == LibC.SIGSYS) {
                syscall = SeccompLog.killedSyscall(child.pid());
                notice.accept(violation(program, syscall, policy.source()));
            }
            return new Outcome(status, syscall, out == null ? null : out.finish(), err == null ? null : err.finish());
        } finally {
            forwarder.uninstall();
        }
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

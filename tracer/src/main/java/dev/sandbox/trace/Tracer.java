package dev.sandbox.trace;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.jna.LibC;
import dev.sandbox.jna.LibSeccomp;
import dev.sandbox.jna.NativeCallException;
import dev.sandbox.launch.Argv;
import dev.sandbox.launch.ExitStatus;
import dev.sandbox.launch.LaunchPlan;
import dev.sandbox.launch.Launcher;
import dev.sandbox.launch.ProgramPath;
import dev.sandbox.learn.AuditLog;
import dev.sandbox.learn.Decider;
import dev.sandbox.learn.LearnedPolicy;
import dev.sandbox.learn.LearningSession;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.prompt.Prompter;
import dev.sandbox.seccomp.BpfProgram;
import dev.sandbox.seccomp.FilterCompiler;
import dev.sandbox.seccomp.LearnerGuard;
import dev.sandbox.trace.jna.Ptrace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A learning run put together: the launch plan (the same factory the enforcer uses), the filters (the learner's
 * {@link LearnerGuard}, and in fast mode the base allowlist with TRACE for the rest), the {@link TraceLoop} on a
 * dedicated thread, and the {@link LearningSession} that decides what it hands over.
 */
public final class Tracer {
    /** SECCOMP_RET_TRACE with data 0 (<linux/seccomp.h>), as libseccomp spells it. */
    private static final int SCMP_ACT_TRACE = LibSeccomp.SCMP_ACT_TRACE_BASE;

    /**
     * @param fast    seccomp-assisted: stop only on syscalls outside the base allowlist
     * @param pin     keep the tracer and the tracees on one CPU (a stop costs ~13 µs instead of ~90 µs here, but the
     *                program then sees one CPU: only on request)
     * @param ceiling syscalls never allowed while learning, refused in the kernel too; may be null
     */
    public record Options(Policy base, Duration timeout, boolean fast, boolean pin, boolean verbose, String cwd,
            Policy ceiling) {
        public Options(Policy base, Duration timeout, boolean fast, boolean pin, boolean verbose, String cwd) {
            this(base, timeout, fast, pin, verbose, cwd, null);
        }

        public Options(Policy base, Duration timeout, boolean fast, boolean pin, boolean verbose) {
            this(base, timeout, fast, pin, verbose, null, null);
        }
    }

    /**
     * @param status      how the program (the first process) ended; null if it never started
     * @param interrupted the signal that interrupted the session, or 0
     * @param killedAt    the syscall a "kill" decision was made on, or null
     */
    public record Result(ExitStatus status, int interrupted, SyscallRef killedAt) {
        public int exitCode() {
            if (interrupted != 0) {
                return ExitCodes.SIGNAL_BASE + interrupted;
            }
            if (killedAt != null) {
                return ExitCodes.SIGNAL_BASE + LibC.SIGKILL;
            }
            return status == null ? ExitCodes.REFUSED : status.sandboxExitCode();
        }
    }

    /** Receives every decided syscall on the tracer thread; it must only queue (the screen's feed). */
    public interface Feed extends LearningSession.Feed {}

    private final Launcher launcher;
    private final Options options;
    private final Decider decider;
    private final Prompter prompter;
    private final LearnedPolicy learned;
    private final Consumer<String> trace;
    private final AuditLog audit;

    private int stdoutFd = -1;
    private int stderrFd = -1;
    private Feed feed;
    private dev.sandbox.isolation.Isolation isolation = dev.sandbox.isolation.Isolation.none();
    private volatile int interruptedBy;
    private volatile TraceLoop loop;

    /**
     * @param prompter may be null; only used to cancel an open question when the session is interrupted
     * @param trace    receives one line per syscall under --verbose, and the loop's remarks
     */
    public Tracer(Launcher launcher, Options options, Decider decider, Prompter prompter, LearnedPolicy learned,
            Consumer<String> trace) {
        this(launcher, options, decider, prompter, learned, trace, null);
    }

    /** @param audit where non-base decisions are logged, or null */
    public Tracer(Launcher launcher, Options options, Decider decider, Prompter prompter, LearnedPolicy learned,
            Consumer<String> trace, AuditLog audit) {
        this.launcher = launcher;
        this.options = options;
        this.decider = decider;
        this.prompter = prompter;
        this.learned = learned;
        this.trace = trace;
        this.audit = audit;
    }

    /** Gives the program these fds as stdout and stderr; -1 keeps ours. Call before {@link #run}. */
    public void outputs(int stdoutFd, int stderrFd) {
        this.stdoutFd = stdoutFd;
        this.stderrFd = stderrFd;
    }

    /** Learns the program inside this isolation, as it will be enforced. Call before {@link #run}. */
    public void isolation(dev.sandbox.isolation.Isolation isolation) {
        this.isolation = isolation;
    }

    /** Call before {@link #run}. */
    public void feed(Feed feed) {
        this.feed = feed;
    }

    /** Runs {@code command} to the end of its last traced task, on a dedicated thread, and says how it ended. */
    public Result run(List<String> command) {
        return run(Argv.of(command));
    }

    /** The same, with the program and its arguments as bytes, passed to execve unchanged. */
    public Result run(Argv command) {
        byte[] path = ProgramPath.resolve(command.program());
        List<BpfProgram> filters = filters();
        String cwd = options.cwd() != null && !options.cwd().equals(System.getProperty("user.dir")) ? options.cwd()
                : null;
        LaunchPlan plan = LaunchPlan.forProgram(cwd, true, filters, null, -1, path, command.argv(), LibC.getpid(),
                LibC.SIGKILL, isolation);
        if (options.verbose()) {
            plan.isolation().notes().forEach(line -> trace.accept("sandbox: " + line));
        }
        plan.isolation().warnings().forEach(w -> trace.accept("sandbox: warning: " + w));
        String gaps = plan.isolation().landlockGaps();
        if (gaps != null) {
            trace.accept("sandbox: " + gaps);
        }
        LearningSession session = new LearningSession(decider, learned, audit, feed,
                options.verbose() ? trace : null, line -> trace.accept("sandbox: " + line), options.timeout());
        TraceLoop.Outcome[] outcome = new TraceLoop.Outcome[1];
        RuntimeException[] failure = new RuntimeException[1];
        Thread t = new Thread(() -> {
            try {
                if (options.pin()) {
                    pinToOneCpu();
                }
                TraceLoop l = new TraceLoop(launcher, options.fast(), session);
                session.attach(l);
                loop = l;
                if (interruptedBy != 0) {
                    l.killProgram();
                }
                outcome[0] = l.run(plan, -1, stdoutFd, stderrFd);
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        }, "sandbox-tracer");
        nonDumpable();
        t.start();
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        dev.sandbox.isolation.Cgroup.Report limits = plan.isolation().finish();
        if (failure[0] != null) {
            throw failure[0];
        }
        String limit = dev.sandbox.launch.IsolationSteps.limitNotice(limits, isolation, outcome[0].status());
        if (limit != null) {
            trace.accept("sandbox: " + limit);
        }
        return new Result(outcome[0].status(), interruptedBy, session.killedAt());
    }

    /**
     * The learner's guard first, then (fast mode) the base allowlist whose other calls stop the tracer. Stacked, not
     * merged: the kernel keeps the strongest action of the two, so the guard's refusals and stops hold whatever the
     * base allows.
     */
    private List<BpfProgram> filters() {
        List<String> ceiling = new ArrayList<>();
        if (options.ceiling() != null) {
            options.ceiling().syscalls().forEach(s -> ceiling.add(s.name()));
        }
        List<BpfProgram> filters = new ArrayList<>();
        filters.add(LearnerGuard.compile(ceiling, options.fast(), SCMP_ACT_TRACE));
        if (options.fast()) {
            filters.add(new FilterCompiler().compileTrap(options.base(), SCMP_ACT_TRACE));
        }
        return filters;
    }

    /**
     * Ends the session from any thread (a signal handler): every traced task gets SIGKILL at once, none runs again,
     * an open question is cancelled, and the loop then drains the exits.
     */
    public void interrupt(int signal) {
        interruptedBy = signal;
        TraceLoop l = loop;
        if (l != null) {
            l.killProgram();
        }
        if (prompter != null) {
            prompter.cancel();
        }
    }

    /**
     * The program runs as our uid: without this it could open /proc/<sandbox>/mem and rewrite the learner, or take
     * its fds through /proc/<sandbox>/fd. A non-dumpable process's /proc files belong to root and ptrace-mode checks
     * refuse anyone without CAP_SYS_PTRACE (docs/threat-model.md says what this does not cover for root).
     */
    private void nonDumpable() {
        try {
            Ptrace.setNonDumpable();
        } catch (NativeCallException e) {
            throw new dev.sandbox.error.SandboxException(e.getMessage(), ExitCodes.REFUSED);
        }
    }

    /** Binds this thread (and so the tracee, which inherits the mask through posix_spawn) to the CPU it is on. */
    private static void pinToOneCpu() {
        int cpu = Ptrace.currentCpu();
        if (cpu >= 0) {
            Ptrace.pinCallingThread(cpu); // -EINVAL: a cpuset that forbids it: run unpinned, only slower
        }
    }
}

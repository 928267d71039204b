package dev.sandbox.trace;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibC;
import dev.sandbox.launch.Argv;
import dev.sandbox.launch.ExitStatus;
import dev.sandbox.launch.LaunchPlan;
import dev.sandbox.launch.Launcher;
import dev.sandbox.launch.ProgramPath;
import dev.sandbox.learn.AuditLog;
import dev.sandbox.learn.Decider;
import dev.sandbox.learn.Decision;
import dev.sandbox.learn.LearnedPolicy;
import dev.sandbox.learn.Source;
import dev.sandbox.learn.Verdict;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.prompt.Prompter;
import dev.sandbox.seccomp.FilterCompiler;
import dev.sandbox.syscall.Arch;
import dev.sandbox.trace.jna.Ptrace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The learner's ptrace loop. One dedicated platform thread (one kernel task) spawns the launcher, seizes it at its
 * SIGSTOP, and makes every ptrace and wait call; no other thread may, because ptrace belongs to the thread that
 * attached. The loop waits on waitpid(-1, __WALL), classifies the status ({@link TraceEvent#classify}) and
 * dispatches.
 *
 * Blocking: at syscall entry orig_rax = -1 (the kernel skips the call), at the exit stop rax = -EPERM. In fast mode
 * a seccomp filter traps only what the base allowlist does not cover (SECCOMP_RET_TRACE) and the loop resumes with
 * PTRACE_CONT, so allowed calls never stop.
 */
public final class Tracer {
    /** SECCOMP_RET_TRACE with data 0 (<linux/seccomp.h>), as libseccomp spells it. */
    private static final int SCMP_ACT_TRACE = dev.sandbox.jna.LibSeccomp.SCMP_ACT_TRACE_BASE;
    private static final int OPTIONS = Ptrace.PTRACE_O_EXITKILL | Ptrace.PTRACE_O_TRACESYSGOOD
            | Ptrace.PTRACE_O_TRACEFORK | Ptrace.PTRACE_O_TRACEVFORK | Ptrace.PTRACE_O_TRACECLONE
            | Ptrace.PTRACE_O_TRACEEXEC;

    /**
     * @param fast seccomp-assisted: stop only on syscalls outside the base allowlist
     * @param pin  keep the tracer and the tracees on one CPU (a stop costs ~13 µs instead of ~90 µs here)
     */
    public record Options(Policy base, Duration timeout, boolean fast, boolean pin, boolean verbose, String cwd) {
        public Options(Policy base, Duration timeout, boolean fast, boolean pin, boolean verbose) {
            this(base, timeout, fast, pin, verbose, null);
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

    private final Launcher launcher;
    private final Options options;
    private final Decider decider;
    private final Prompter prompter;
    private final LearnedPolicy learned;
    private final Consumer<String> trace;
    private final AuditLog audit;

    private final Map<Integer, Task> tasks = new ConcurrentHashMap<>();
    private final ArrayDeque<int[]> pending = new ArrayDeque<>();
    private final Memory status = new Memory(4);
    private final Memory info = new Memory(Ptrace.SIZEOF_SYSCALL_INFO);
    private final Memory eventMsg = new Memory(8);
    private final Decoder decoder = new Decoder();

    private int stdinFd = -1;
    /** How many tasks the feed was last told about; the tree is recounted only when that changes. */
    private int fedTasks = -1;
    private Feed feed;
    private int stdoutFd = -1;
    private int stderrFd = -1;
    private volatile int interruptedBy;
    private volatile int mainPid = -1;
    private ExitStatus mainStatus;
    private SyscallRef killedAt;
    private boolean killing;
    /** The launcher has exec'd the program (its first PTRACE_EVENT_EXEC). */
    private boolean started;
    /** A question stilled other tasks; they are resumed when it has been answered. */
    private boolean holding;

    /**
     * @param prompter may be null; only used to cancel an open question when the session is interrupted
     * @param trace    receives one line per syscall under --verbose
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

    /** Gives the program these fds as stdout and stderr (capture pipes); -1 keeps ours. Call before {@link #run}. */
    public void outputs(int stdoutFd, int stderrFd) {
        this.stdoutFd = stdoutFd;
        this.stderrFd = stderrFd;
    }

    /** Gives the program this fd as stdin, stdout and stderr (the screen UI's pty). Call before {@link #run}. */
    public void terminal(int fd) {
        this.stdinFd = fd;
        this.stdoutFd = fd;
        this.stderrFd = fd;
    }

    /** Receives every decided syscall, decoded, on the tracer thread; it must only queue (the screen's feed). */
    public interface Feed {
        void syscall(int pid, String executable, String call, Decision decision);

        /** The traced tree changed: {@code processes} thread groups, {@code threads} tasks, first pid {@code root}. */
        void tasks(int root, int processes, int threads);
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
        Result[] result = new Result[1];
        RuntimeException[] failure = new RuntimeException[1];
        Thread t = new Thread(() -> {
            try {
                result[0] = loop(path, command);
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        }, "sandbox-tracer");
        t.start();
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        return result[0];
    }

    /**
     * Ends the session from any thread (a signal handler): every traced task gets SIGKILL at once, an open question
     * is cancelled, and the loop then drains the exits.
     */
    public void interrupt(int signal) {
        interruptedBy = signal;
        killAll();
        if (prompter != null) {
            prompter.cancel();
        }
    }

    private void killAll() {
        int main = mainPid;
        if (main > 0) {
            signal(main, LibC.SIGKILL);
        }
        for (Integer tid : tasks.keySet()) {
            signal(tid, LibC.SIGKILL);
        }
    }

    private static void signal(int pid, int sig) {
        try {
            Ptrace.kill(pid, sig);
        } catch (LastErrorException e) {
            // ESRCH: already gone
        }
    }

    private Result loop(byte[] path, Argv command) {
        String cwd = System.getProperty("user.dir");
        if (options.pin()) {
            pinToOneCpu();
        }
        LaunchPlan plan = new LaunchPlan()
                .closeFrom(3)
                .parentDeathSignal(LibC.SIGKILL, LibC.getpid())
                .stopForTracer();
        if (options.cwd() != null && !options.cwd().equals(cwd)) {
            plan.chdir(options.cwd());
        }
        if (stdinFd >= 0 && stdinFd == stdoutFd) {
            plan.controllingTerminal();
        }
        if (options.fast()) {
            plan.noNewPrivs().seccompFilter(new FilterCompiler().compileTrap(options.base(), SCMP_ACT_TRACE), 0);
        }
        plan.exec(path, command.argv());
        Launcher.Child child = launcher.spawn(plan, stdinFd, stdoutFd, stderrFd);
        mainPid = child.pid();
        seize(child);
        if (interruptedBy != 0) {
            killAll();
        }
        while (!tasks.isEmpty()) {
            int[] ev = pending.isEmpty() ? await() : pending.poll();
            if (ev == null) {
                break;
            }
            dispatch(ev[0], ev[1]);
        }
        if (mainStatus != null && !started && killedAt == null && interruptedBy == 0) {
            // The launcher ended before its execve: its error pipe says which step failed and why.
            child.awaitExec();
        }
        return new Result(mainStatus, interruptedBy, killedAt);
    }


    /** Waits for the launcher's SIGSTOP, then seizes it with every option set before the program's first instruction. */
    private void seize(Launcher.Child child) {
        int pid = child.pid();
        for (;;) {
            try {
                Ptrace.waitpid(pid, status, LibC.WUNTRACED | LibC.__WALL);
                break;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Errno.EINTR) {
                    throw new SandboxException("waitpid(" + pid + "): " + Errno.describe(e.getErrorCode()),
                            ExitCodes.REFUSED);
                }
            }
        }
        TraceEvent first = TraceEvent.classify(status.getInt(0));
        if (!(first instanceof TraceEvent.SignalDelivery)) {
            // The launcher exited before its stop: a plan step failed.
            child.awaitExec();
            throw new SandboxException("the launcher ended before it could be traced", ExitCodes.REFUSED);
        }
        int opts = OPTIONS | (options.fast() ? Ptrace.PTRACE_O_TRACESECCOMP : 0);
        try {
            Ptrace.ptrace(Ptrace.PTRACE_SEIZE, pid, 0, opts);
        } catch (LastErrorException e) {
            signal(pid, LibC.SIGKILL);
            throw new SandboxException("ptrace(PTRACE_SEIZE, " + pid + "): " + Errno.describe(e.getErrorCode())
                    + (e.getErrorCode() == Errno.EPERM ? " (ptrace is restricted here: check "
                    + "/proc/sys/kernel/yama/ptrace_scope, or seccomp/container rules that forbid ptrace)" : ""),
                    ExitCodes.REFUSED);
        }
        Task t = new Task(pid, 0, "sandbox-launcher");
        t.launcher = true;
        tasks.put(pid, t);
        signal(pid, LibC.SIGCONT);
    }

    /** The next (tid, status) from the kernel, or null when no traced task is left. */
    private int[] await() {
        for (;;) {
            try {
                int tid = Ptrace.waitpid(-1, status, LibC.__WALL);
                return new int[] {tid, status.getInt(0)};
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Errno.EINTR) {
                    continue;
                }
                if (e.getErrorCode() == Errno.ECHILD) {
                    tasks.clear();
                    return null;
                }
                throw new SandboxException("waitpid: " + Errno.describe(e.getErrorCode()), ExitCodes.REFUSED);
            }
        }
    }

    private void dispatch(int tid, int st) {
        Task task = tasks.get(tid);
        TraceEvent ev = TraceEvent.classify(st);
        if (task == null) {
            if (ev instanceof TraceEvent.Exited || ev instanceof TraceEvent.Killed) {
                return; // a task we no longer track (e.g. a thread that vanished in another's execve)
            }
            // A new child's first stop can arrive before its parent's fork event.
            task = new Task(tid, 0, null);
            tasks.put(tid, task);
        }
        if (task.interruptPending && ev instanceof TraceEvent.InterruptStop) {
            // The late answer to a PTRACE_INTERRUPT sent while a question was open: the task had stopped for
            // another reason first, so the interrupt fired only once it was resumed. Nothing to hold any more.
            task.interruptPending = false;
            resume(task, 0);
            return;
        }
        if (ev instanceof TraceEvent.Exited || ev instanceof TraceEvent.Killed) {
            gone(task, ExitStatus.decode(st));
        } else if (ev instanceof TraceEvent.SyscallStop) {
            syscallStop(task);
            resume(task, 0);
        } else if (ev instanceof TraceEvent.SeccompStop) {
            seccompStop(task);
            resume(task, 0);
        } else if (ev instanceof TraceEvent.NewTask) {
            int child = (int) eventMessage(task);
            Task c = tasks.computeIfAbsent(child, id -> new Task(id, 0, null));
            c.parent = task.tid;
            c.exe = task.exe;
            resume(task, 0);
        } else if (ev instanceof TraceEvent.Exec) {
            exec(task);
            resume(tasks.get(tid), 0);
        } else if (ev instanceof TraceEvent.GroupStop) {
            if (task.launcher) {
                resume(task, 0); // the launcher's own SIGSTOP, already answered by our SIGCONT
            } else {
                listen(task);
            }
        } else if (ev instanceof TraceEvent.SignalDelivery d) {
            task.listening = false;
            boolean launcherStop = task.launcher && (d.signal() == LibC.SIGSTOP || d.signal() == LibC.SIGCONT);
            resume(task, launcherStop ? 0 : d.signal());
        } else {
            // Exiting, InterruptStop (a new child's first stop, or a late answer to an interrupt)
            task.listening = false;
            resume(task, 0);
        }
    }

    private void gone(Task task, ExitStatus how) {
        tasks.remove(task.tid);
        if (task.tid == mainPid) {
            mainStatus = how;
        }
    }

    private void exec(Task task) {
        int former = (int) eventMessage(task);
        if (former != task.tid) {
            // A non-leader thread exec'd: it now has the leader's tid and the old thread id is gone without a trace.
            Task old = tasks.remove(former);
            if (old != null) {
                task.blockPending = old.blockPending;
            }
        }
        if (task.launcher) {
            task.launcher = false;
            started = true;
        }
        try {
            task.exe = Files.readSymbolicLink(Path.of("/proc/" + task.tid + "/exe")).toString();
        } catch (java.io.IOException e) {
            task.exe = "?";
        }
    }

    private void syscallStop(Task task) {
        SyscallInfo call = syscallInfo(task);
        if (call == null) {
            return;
        }
        if (call.op() == Ptrace.PTRACE_SYSCALL_INFO_ENTRY) {
            onEntry(task, call, false);
        } else if (call.op() == Ptrace.PTRACE_SYSCALL_INFO_EXIT && task.blockPending) {
            task.blockPending = false;
            poke(task, Ptrace.RAX, -Errno.EPERM);
        }
    }

    private void seccompStop(Task task) {
        SyscallInfo call = syscallInfo(task);
        if (call != null && call.op() == Ptrace.PTRACE_SYSCALL_INFO_SECCOMP) {
            onEntry(task, call, true);
        }
    }

    private void onEntry(Task task, SyscallInfo call, boolean seccomp) {
        if (task.launcher) {
            // The launcher's steps between its stop and execve; the execve itself is what the program needs to start.
            if (call.arch() == Arch.X86_64 && "execve".equals(call.name())) {
                learned.record(call.ref(), Decision.of(Verdict.ALLOW, Source.STARTUP), task.tid, "sandbox-launcher");
            }
            return;
        }
        if (killing) {
            return;
        }
        SyscallRef ref = call.ref();
        caller.task = task;
        caller.call = call;
        long started = audit != null ? System.nanoTime() : 0;
        Decision d = decider.decide(ref, caller);
        learned.record(ref, d, task.tid, task.exe);
        if (audit != null && d.source() != Source.BASE_POLICY) {
            boolean asked = d.source() == Source.PERSON || d.source() == Source.TIMEOUT;
            audit.record(task.tid, task.exe, ref, decoder.decode(task.tid, call), d,
                    asked ? (System.nanoTime() - started) / 1_000_000 : -1);
        }
        if (feed != null) {
            feed.syscall(task.tid, task.exe, decoder.decode(task.tid, call)
                    + (call.arch() != Arch.X86_64 ? " [" + call.arch().label() + "]" : ""), d);
            if (tasks.size() != fedTasks) {
                fedTasks = tasks.size();
                feed.tasks(mainPid, (int) tasks.values().stream().mapToInt(Task::tgid).distinct().count(), fedTasks);
            }
        }
        if (options.verbose()) {
            trace.accept("[TRACE] " + task.tid + " " + decoder.decode(task.tid, call)
                    + (call.arch() != Arch.X86_64 ? " [" + call.arch().label() + "]" : "") + " = " + d.describe());
        }
        releaseHeld();
        switch (d.verdict()) {
            case ALLOW -> { }
            case BLOCK -> {
                poke(task, Ptrace.ORIG_RAX, -1);
                if (seccomp) {
                    poke(task, Ptrace.RAX, -Errno.EPERM);
                } else {
                    task.blockPending = true;
                }
            }
            case KILL -> {
                killedAt = ref;
                killing = true;
                killAll();
            }
        }
    }

    /** The caller of the syscall being decided; one reused object, since the decider runs at every stop. */
    private final class CurrentCaller implements Decider.Caller {
        Task task;
        SyscallInfo call;

        @Override
        public int tgid() {
            return task.tgid();
        }

        @Override
        public String executable() {
            return task.exe == null ? "?" : task.exe;
        }

        @Override
        public Prompter.Question question() {
            return Tracer.this.question(task, call);
        }
    }

    private final CurrentCaller caller = new CurrentCaller();

    /** Builds the prompt: other tasks are stilled first, so their output cannot tear it nor can they read the answer. */
    private Prompter.Question question(Task task, SyscallInfo call) {
        holdOthers(task);
        return new Prompter.Question(call.ref(), call.nr(), task.tid, task.tgid(), task.exe == null ? "?" : task.exe,
                decoder.decode(task.tid, call), options.timeout());
    }

    private void holdOthers(Task current) {
        holding = true;
        for (Task t : tasks.values()) {
            if (t != current && !t.listening && !t.held && !t.interruptPending) {
                try {
                    Ptrace.ptrace(Ptrace.PTRACE_INTERRUPT, t.tid, 0, 0);
                    t.interruptPending = true;
                } catch (LastErrorException e) {
                    // ESRCH: it is exiting; its exit will be reported
                }
            }
        }
        // Collect the stops. A task that stopped for another reason stays stopped (its event waits in `pending`);
        // the interrupt then arrives when it is next resumed, and dispatch() swallows it.
        while (tasks.values().stream().anyMatch(t -> t.interruptPending && !t.held)) {
            int[] ev = await();
            if (ev == null) {
                return;
            }
            Task t = tasks.get(ev[0]);
            if (t != null && t.interruptPending && TraceEvent.classify(ev[1]) instanceof TraceEvent.InterruptStop) {
                t.interruptPending = false;
                t.held = true;
            } else {
                if (t != null) {
                    t.held = true; // stopped in an event of its own, handled after the prompt
                }
                pending.add(ev);
            }
        }
    }

    private void releaseHeld() {
        if (!holding) {
            return;
        }
        holding = false;
        for (Task t : tasks.values()) {
            if (t.held) {
                t.held = false;
                boolean queued = pending.stream().anyMatch(ev -> ev[0] == t.tid);
                if (!queued && !t.interruptPending) {
                    resume(t, 0);
                }
            }
        }
    }

    private SyscallInfo syscallInfo(Task task) {
        try {
            Ptrace.ptrace(Ptrace.PTRACE_GET_SYSCALL_INFO, task.tid, Ptrace.SIZEOF_SYSCALL_INFO,
                    com.sun.jna.Pointer.nativeValue(info));
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Errno.ESRCH) {
                return null;
            }
            throw new SandboxException("ptrace(PTRACE_GET_SYSCALL_INFO, " + task.tid + "): "
                    + Errno.describe(e.getErrorCode()) + " (needs Linux 5.3 or later)", ExitCodes.REFUSED);
        }
        return SyscallInfo.read(info);
    }

    private long eventMessage(Task task) {
        try {
            Ptrace.ptrace(Ptrace.PTRACE_GETEVENTMSG, task.tid, 0, com.sun.jna.Pointer.nativeValue(eventMsg));
            return eventMsg.getLong(0);
        } catch (LastErrorException e) {
            return task.tid;
        }
    }

    private void poke(Task task, long offset, long value) {
        try {
            Ptrace.ptrace(Ptrace.PTRACE_POKEUSER, task.tid, offset, value);
        } catch (LastErrorException e) {
            // ESRCH: killed meanwhile
        }
    }

    private void resume(Task task, int sig) {
        if (task == null) {
            return;
        }
        try {
            Ptrace.ptrace(options.fast() ? Ptrace.PTRACE_CONT : Ptrace.PTRACE_SYSCALL, task.tid, 0, sig);
        } catch (LastErrorException e) {
            // ESRCH: the task was killed while stopped; its exit is reported next
        }
    }

    private void listen(Task task) {
        task.listening = true;
        try {
            Ptrace.ptrace(Ptrace.PTRACE_LISTEN, task.tid, 0, 0);
        } catch (LastErrorException e) {
            task.listening = false;
        }
    }

    /** Binds this thread (and so the tracee, which inherits the mask through posix_spawn) to the CPU it is on. */
    private static void pinToOneCpu() {
        int cpu = Ptrace.sched_getcpu();
        if (cpu < 0) {
            return;
        }
        Memory mask = new Memory(128);
        mask.clear();
        mask.setByte(cpu / 8, (byte) (1 << (cpu % 8)));
        try {
            Ptrace.sched_setaffinity(0, 128, mask);
        } catch (LastErrorException e) {
            // a cpuset that forbids it: run unpinned, only slower
        }
    }
}

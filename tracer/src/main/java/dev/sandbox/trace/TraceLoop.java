package dev.sandbox.trace;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibC;
import dev.sandbox.jna.NativeCallException;
import dev.sandbox.launch.ExitStatus;
import dev.sandbox.launch.LaunchPlan;
import dev.sandbox.launch.Launcher;
import dev.sandbox.seccomp.LearnerGuard;
import dev.sandbox.syscall.Arch;
import dev.sandbox.trace.jna.Ptrace;
import dev.sandbox.trace.jna.StopBuffers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kernel side of learning, as strace splits it (next_event / dispatch_event): spawn the launcher, seize it at its
 * SIGSTOP, wait, classify ({@link TraceEvent#classify}), dispatch, resume; the task table; stilling the other tasks
 * while a question is open. What a syscall gets is not decided here: each syscall stop of the program is decoded
 * once into a {@link Syscall} and handed to a {@link Handler}, which replies allow, block or kill.
 *
 * <p>Soundness is decided here, whatever the handler says:
 * <ul>
 *   <li>every task the program creates is traced: CLONE_UNTRACED is cleared from clone's flags before the kernel
 *       sees them, and clone3 (flags in memory another thread may rewrite) gets ENOSYS so libc uses clone;</li>
 *   <li>a program cannot install its own seccomp listener (its USER_NOTIF would out-rank the learner's TRACE);</li>
 *   <li>after a kill (the handler's, or an interrupt) no task runs again: every stop of every task, including tasks
 *       met for the first time, gets SIGKILL instead of a resume, and the loop runs until the kernel reports no
 *       child is left (ECHILD), not until the tasks it happens to know are gone;</li>
 *   <li>vsyscall-page calls, which make no ptrace syscall stop, are seen at the seccomp stop the guard filter
 *       ({@link LearnerGuard}) asks for.</li>
 * </ul>
 *
 * <p>One dedicated platform thread makes every ptrace and wait call: ptrace belongs to the thread that attached.
 */
public final class TraceLoop {
    /** What the handler answers for one syscall. */
    public enum Reply { ALLOW, BLOCK, KILL }

    /** Decides the program's syscalls. Called on the tracer thread while the calling task is stopped. */
    public interface Handler {
        Reply syscall(Syscall call);

        /** The launcher's execve, which starts the program: the program needs it, nobody decides it. */
        void started(Syscall execve);

        /** The traced tree changed: {@code processes} thread groups, {@code threads} tasks, first pid {@code root}. */
        void tasks(int root, int processes, int threads);

        /** Whether {@link #tasks} is wanted at all: counting processes reads /proc for every new task. */
        boolean watchesTasks();

        /** A one-line remark for the person (said once per kind by the caller's choice). */
        void notice(String text);
    }

    private static final int OPTIONS = Ptrace.PTRACE_O_EXITKILL | Ptrace.PTRACE_O_TRACESYSGOOD
            | Ptrace.PTRACE_O_TRACEFORK | Ptrace.PTRACE_O_TRACEVFORK | Ptrace.PTRACE_O_TRACECLONE
            | Ptrace.PTRACE_O_TRACEEXEC | Ptrace.PTRACE_O_TRACESECCOMP;

    private final Launcher launcher;
    private final boolean fast;
    private final Handler handler;

    private final Map<Integer, Task> tasks = new ConcurrentHashMap<>();
    private final ArrayDeque<int[]> pending = new ArrayDeque<>();
    private final StopBuffers stops = new StopBuffers();
    private final Decoder decoder = new Decoder();

    private volatile int mainPid = -1;
    /** Set once: from now on no task of the program is resumed, only killed. */
    private volatile boolean killing;
    private ExitStatus mainStatus;
    /** The launcher has exec'd the program (its first PTRACE_EVENT_EXEC). */
    private boolean started;
    /** A question stilled other tasks; they are resumed once it has been answered. */
    private boolean holding;
    private int reportedTasks = -1;
    private boolean saidListener;

    /** @param fast seccomp-assisted: tasks resume with PTRACE_CONT and stop only where a filter says TRACE */
    public TraceLoop(Launcher launcher, boolean fast, Handler handler) {
        this.launcher = launcher;
        this.fast = fast;
        this.handler = handler;
    }

    /** How the first process ended (null if it never started), and whether the program was killed. */
    public record Outcome(ExitStatus status, boolean killed) {}

    /**
     * Spawns the plan (which must stop for the tracer) and traces it and everything it starts until no traced task
     * is left. Call on the thread that is to own the tracees.
     */
    public Outcome run(LaunchPlan plan, int stdinFd, int stdoutFd, int stderrFd) {
        Launcher.Child child = launcher.spawn(plan, stdinFd, stdoutFd, stderrFd);
        mainPid = child.pid();
        seize(child);
        boolean swept = false;
        for (;;) {
            if (killing && !swept) {
                // Once more from this thread, the only one that adds tasks: an interrupt from another thread may
                // have walked the table just before a new task was added and resumed.
                swept = true;
                killAll();
            }
            int[] ev = pending.isEmpty() ? await() : pending.poll();
            if (ev == null) {
                break;
            }
            dispatch(ev[0], ev[1]);
        }
        if (mainStatus != null && !started && !killing) {
            // The launcher ended before its execve: its error pipe says which step failed and why.
            child.awaitExec();
        }
        return new Outcome(mainStatus, killing);
    }

    /** From any thread: every task of the program dies and none makes another syscall. */
    public void killProgram() {
        killing = true;
        killAll();
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
        Ptrace.kill(pid, sig); // -ESRCH: already gone
    }

    /** Waits for the launcher's SIGSTOP, then seizes it with every option set before the program's first instruction. */
    private void seize(Launcher.Child child) {
        int pid = child.pid();
        for (;;) {
            int r = stops.waitpid(pid, LibC.WUNTRACED | LibC.__WALL);
            if (r >= 0) {
                break;
            }
            if (r != -Errno.EINTR) {
                throw new SandboxException("waitpid(" + pid + "): " + Errno.describe(-r), ExitCodes.REFUSED);
            }
        }
        TraceEvent first = TraceEvent.classify(stops.status());
        if (!(first instanceof TraceEvent.SignalDelivery)) {
            // The launcher exited before its stop: a plan step failed.
            child.awaitExec();
            throw new SandboxException("the launcher ended before it could be traced", ExitCodes.REFUSED);
        }
        try {
            Ptrace.seize(pid, OPTIONS);
        } catch (NativeCallException e) {
            signal(pid, LibC.SIGKILL);
            throw new SandboxException(e.getMessage() + (e.errno() == Errno.EPERM ? " (ptrace is restricted here: "
                    + "check /proc/sys/kernel/yama/ptrace_scope, or seccomp/container rules that forbid ptrace)" : ""),
                    ExitCodes.REFUSED);
        }
        Task t = new Task(pid, 0, "sandbox-launcher");
        t.launcher = true;
        tasks.put(pid, t);
        signal(pid, LibC.SIGCONT);
    }

    /** The next (tid, status) from the kernel, or null when no child or tracee is left at all. */
    private int[] await() {
        for (;;) {
            int tid = stops.waitpid(-1, LibC.__WALL);
            if (tid >= 0) {
                return new int[] {tid, stops.status()};
            }
            if (tid == -Errno.EINTR) {
                continue;
            }
            if (tid == -Errno.ECHILD) {
                tasks.clear();
                return null;
            }
            throw new SandboxException("waitpid: " + Errno.describe(-tid), ExitCodes.REFUSED);
        }
    }

    private void dispatch(int tid, int st) {
        TraceEvent ev = TraceEvent.classify(st);
        Task task = tasks.get(tid);
        if (ev instanceof TraceEvent.Exited || ev instanceof TraceEvent.Killed) {
            if (task != null) {
                tasks.remove(tid);
                reportTasks();
            }
            if (tid == mainPid) {
                mainStatus = ExitStatus.decode(st);
            }
            return;
        }
        if (task == null) {
            // A new child's first stop can arrive before its parent's fork event.
            task = new Task(tid, 0, null);
            // Forked by the launcher before its execve (the pid namespace's relay and init): the sandbox's own.
            task.launcher = isLauncherChild(tid);
            tasks.put(tid, task);
            reportTasks();
        }
        if (killing) {
            // Whatever this stop is, the task does not run again. A task met for the first time here (its creation
            // event was still queued when the kill was decided) is caught the same way: a new task cannot run a
            // single instruction before its first stop is answered.
            signal(tid, LibC.SIGKILL);
            return;
        }
        if (task.interruptPending && ev instanceof TraceEvent.InterruptStop) {
            // The late answer to a PTRACE_INTERRUPT sent while a question was open: the task had stopped for
            // another reason first, so the interrupt fired only once it was resumed. Nothing to hold any more.
            task.interruptPending = false;
            resume(task, 0);
            return;
        }
        if (ev instanceof TraceEvent.SyscallStop) {
            syscallStop(task);
        } else if (ev instanceof TraceEvent.SeccompStop) {
            seccompStop(task);
        } else if (ev instanceof TraceEvent.NewTask) {
            int childTid = (int) eventMessage(task);
            Task c = tasks.computeIfAbsent(childTid, id -> new Task(id, 0, null));
            c.parent = task.tid;
            c.launcher = task.launcher;
            if (c.exe == null) {
                c.exe = task.exe;
            }
            reportTasks();
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

    /** Whether a task met before its creation event is a child of a task still in the launcher. */
    private boolean isLauncherChild(int tid) {
        try {
            int tgid = -1;
            int ppid = -1;
            for (String line : Files.readAllLines(Path.of("/proc/" + tid + "/status"))) {
                if (line.startsWith("Tgid:")) {
                    tgid = Integer.parseInt(line.substring(5).trim());
                } else if (line.startsWith("PPid:")) {
                    ppid = Integer.parseInt(line.substring(5).trim());
                }
            }
            // A thread belongs with its process; a process with the one that forked it.
            Task parent = tasks.get(tgid != tid ? tgid : ppid);
            return parent != null && parent.launcher;
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    private void reportTasks() {
        if (handler.watchesTasks() && tasks.size() != reportedTasks) {
            reportedTasks = tasks.size();
            handler.tasks(mainPid, (int) tasks.values().stream().mapToInt(Task::tgid).distinct().count(),
                    reportedTasks);
        }
    }

    private void exec(Task task) {
        int former = (int) eventMessage(task);
        if (former != task.tid) {
            // A non-leader thread exec'd: it now has the leader's tid and the old thread id is gone without a trace.
            Task old = tasks.remove(former);
            if (old != null) {
                task.blockErrno = old.blockErrno;
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

    /** Full mode: every syscall entry and exit. */
    private void syscallStop(Task task) {
        SyscallInfo call = syscallInfo(task);
        if (call == null) {
            resume(task, 0);
            return;
        }
        if (call.op() == Ptrace.PTRACE_SYSCALL_INFO_ENTRY) {
            onEntry(task, call, false);
        } else if (call.op() == Ptrace.PTRACE_SYSCALL_INFO_EXIT && task.blockErrno != 0) {
            poke(task, Ptrace.RAX, -task.blockErrno);
            task.blockErrno = 0;
        }
        if (!killing) {
            resume(task, 0);
        }
    }

    private void seccompStop(Task task) {
        SyscallInfo call = syscallInfo(task);
        // Full mode decided this call at its entry stop already; only a vsyscall-page call has no entry stop.
        if (call != null && call.op() == Ptrace.PTRACE_SYSCALL_INFO_SECCOMP && (fast || call.vsyscall())) {
            onEntry(task, call, true);
        }
        if (!killing) {
            resume(task, 0);
        }
    }

    private void onEntry(Task task, SyscallInfo call, boolean seccomp) {
        Syscall s = new Syscall(task, call, call.vsyscall(), decoder);
        if (task.launcher) {
            // The launcher's own steps between its stop and execve are the sandbox's, not the program's.
            if (call.arch() == Arch.X86_64 && "execve".equals(call.name())) {
                handler.started(s);
            }
            return;
        }
        String name = call.arch() == Arch.X86_64 || call.arch() == Arch.I386 ? call.name() : null;
        if ("clone3".equals(name)) {
            // Never decided, never recorded: the learner's own portability answer, which the enforcer gives too.
            refuse(task, seccomp, Errno.ENOSYS);
            return;
        }
        if ("clone".equals(name) && (call.args()[0] & LearnerGuard.CLONE_UNTRACED) != 0) {
            // The new task must be traced like any other: the flag goes before the kernel reads the registers.
            long flags = call.args()[0] & ~LearnerGuard.CLONE_UNTRACED;
            poke(task, call.arch() == Arch.I386 ? Ptrace.RBX : Ptrace.RDI, flags);
            call.args()[0] = flags;
        }
        Reply reply = handler.syscall(s);
        if (reply == Reply.ALLOW && "seccomp".equals(name)
                && call.args()[0] == LearnerGuard.SECCOMP_SET_MODE_FILTER
                && (call.args()[1] & LearnerGuard.SECCOMP_FILTER_FLAG_NEW_LISTENER) != 0) {
            if (!saidListener) {
                saidListener = true;
                handler.notice("refused a seccomp listener (SECCOMP_FILTER_FLAG_NEW_LISTENER) with EPERM: its "
                        + "answers would hide syscalls from the learner");
            }
            reply = Reply.BLOCK;
        }
        releaseHeld();
        switch (reply) {
            case ALLOW -> { }
            case BLOCK -> refuse(task, seccomp, Errno.EPERM);
            case KILL -> killProgram();
        }
    }

    /** The call is skipped (orig_rax = -1) and returns -errno: at once at a seccomp stop, else at the exit stop. */
    private void refuse(Task task, boolean seccomp, int errno) {
        poke(task, Ptrace.ORIG_RAX, -1);
        if (seccomp) {
            poke(task, Ptrace.RAX, -errno);
        } else {
            task.blockErrno = errno;
        }
    }

    /**
     * Stills every task but the one asking, so nothing runs, prints or reads the terminal while a person decides.
     * Released when the handler has replied.
     */
    public void holdOthers(Syscall current) {
        holding = true;
        for (Task t : tasks.values()) {
            if (t.tid != current.tid() && !t.listening && !t.held && !t.interruptPending) {
                // -ESRCH: it is exiting; its exit will be reported
                if (Ptrace.ptrace(Ptrace.PTRACE_INTERRUPT, t.tid, 0, 0) == 0) {
                    t.interruptPending = true;
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
                if (!queued && !t.interruptPending && !killing) {
                    resume(t, 0);
                }
            }
        }
    }

    private SyscallInfo syscallInfo(Task task) {
        int r = stops.getSyscallInfo(task.tid);
        if (r == -Errno.ESRCH) {
            return null;
        }
        if (r < 0) {
            throw new SandboxException("ptrace(PTRACE_GET_SYSCALL_INFO, " + task.tid + "): " + Errno.describe(-r)
                    + " (needs Linux 5.3 or later)", ExitCodes.REFUSED);
        }
        return SyscallInfo.read(stops);
    }

    private long eventMessage(Task task) {
        long msg = stops.eventMessage(task.tid);
        return msg < 0 ? task.tid : msg;
    }

    private void poke(Task task, long offset, long value) {
        Ptrace.ptrace(Ptrace.PTRACE_POKEUSER, task.tid, offset, value); // -ESRCH: killed meanwhile
    }

    private void resume(Task task, int sig) {
        if (task == null) {
            return;
        }
        if (killing) {
            signal(task.tid, LibC.SIGKILL);
            return;
        }
        // -ESRCH: the task was killed while stopped; its exit is reported next
        Ptrace.ptrace(fast ? Ptrace.PTRACE_CONT : Ptrace.PTRACE_SYSCALL, task.tid, 0, sig);
    }

    private void listen(Task task) {
        task.listening = Ptrace.ptrace(Ptrace.PTRACE_LISTEN, task.tid, 0, 0) == 0;
    }
}

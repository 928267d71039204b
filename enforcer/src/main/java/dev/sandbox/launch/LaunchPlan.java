package dev.sandbox.launch;

import dev.sandbox.seccomp.BpfProgram;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The steps the native launcher performs between fork and execve, in order, serialized as plan.h describes.
 * Java decides everything here; the launcher only executes.
 */
public final class LaunchPlan {
    /** plan.h PLAN_MAGIC, PLAN_VERSION */
    static final int MAGIC = 0x50584253;
    static final int VERSION = 1;
    /** plan.h PLAN_PARENT_RUNNER: as the parent pid of {@link #parentDeathSignal}, "the process that runs the plan's
     * executor", known only at run time (sandbox-run, running a cached plan). */
    public static final int PARENT_RUNNER = 0;

    private record Step(StepKind kind, int flags, byte[] payload) {}

    private final List<Step> steps = new ArrayList<>();
    private final List<int[]> inherited = new ArrayList<>();
    private byte[] program;
    private List<byte[]> argv;

    /**
     * The one order of steps for every run, enforced or learned, so both halves start the program the same way:
     * close inherited fds, die with the sandbox, change directory, stop for the tracer (learning), no new
     * privileges, the filters (each stacked on the previous one), exec.
     *
     * @param cwd        the program's working directory, or null to keep ours
     * @param traced     stop before the filters so the tracer can seize the launcher
     * @param filters    seccomp filters, installed in this order
     * @param supervised a filter whose kill verdicts go to a supervisor, installed last; or null
     * @param reportFd   our end of the supervisor's report pipe (with {@code supervised})
     */
    public static LaunchPlan forProgram(String cwd, boolean traced, List<BpfProgram> filters, BpfProgram supervised,
            int reportFd, byte[] path, List<byte[]> argv, int sandboxPid, int deathSignal) {
        return jail(cwd, traced, filters, supervised, reportFd, sandboxPid, deathSignal).exec(path, argv);
    }

    /**
     * {@link #forProgram} up to, not including, its exec step: the form a compiled policy is cached in, with
     * {@code reportFd} -1 (sandbox-run hands its own report pipe over at {@link Launcher#REPORT_FD}) and
     * {@code sandboxPid} {@link #PARENT_RUNNER}.
     */
    public static LaunchPlan jail(String cwd, boolean traced, List<BpfProgram> filters, BpfProgram supervised,
            int reportFd, int sandboxPid, int deathSignal) {
        LaunchPlan plan = new LaunchPlan()
                .closeFrom(supervised != null ? Launcher.REPORT_FD + 1 : 3)
                .parentDeathSignal(deathSignal, sandboxPid);
        if (cwd != null) {
            plan.chdir(cwd);
        }
        if (traced) {
            plan.stopForTracer();
        }
        if (!filters.isEmpty() || supervised != null) {
            plan.noNewPrivs();
        }
        for (BpfProgram f : filters) {
            plan.seccompFilter(f, 0);
        }
        if (supervised != null) {
            if (reportFd >= 0) {
                plan.inherit(reportFd, Launcher.REPORT_FD);
            }
            plan.seccompNotify(supervised, Launcher.REPORT_FD);
        }
        return plan;
    }

    public LaunchPlan noNewPrivs() {
        return add(StepKind.STEP_NO_NEW_PRIVS, 0, new byte[0]);
    }

    /** @param flags SECCOMP_FILTER_FLAG_* for seccomp(2) */
    public LaunchPlan seccompFilter(BpfProgram program, int flags) {
        return add(StepKind.STEP_SECCOMP_FILTER, flags, program.bytes());
    }

    /**
     * A filter whose kill verdicts go to a supervisor process, which writes a record per violation to
     * {@code reportFd} (an fd of the launcher: see {@link #inherit}) and kills the violator.
     */
    public LaunchPlan seccompNotify(BpfProgram program, int reportFd) {
        byte[] filter = program.bytes();
        ByteBuffer b = ByteBuffer.allocate(4 + filter.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(reportFd).put(filter);
        return add(StepKind.STEP_SECCOMP_NOTIFY, 0, b.array());
    }

    /** Our fd {@code fd} becomes the launcher's {@code childFd} (above the plan's and error pipe's fds). */
    public LaunchPlan inherit(int fd, int childFd) {
        inherited.add(new int[] {fd, childFd});
        return this;
    }

    /** The fds handed to the launcher besides its plan, error pipe and stdio: {ours, the launcher's}. */
    public List<int[]> inherited() {
        return inherited;
    }

    public LaunchPlan stopForTracer() {
        return add(StepKind.STEP_STOP, 0, new byte[0]);
    }

    public LaunchPlan closeFrom(int lowFd) {
        return add(StepKind.STEP_CLOSE_FROM, 0, le(lowFd));
    }

    /** Dies with {@code signal} when the sandbox's spawning thread dies; {@code parentPid} guards the race. */
    public LaunchPlan parentDeathSignal(int signal, int parentPid) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(signal).putInt(parentPid);
        return add(StepKind.STEP_PARENT_DEATH, 0, b.array());
    }

    /** A new session whose controlling terminal is the program's stdin (a pty). */
    public LaunchPlan controllingTerminal() {
        return add(StepKind.STEP_SETSID_CTTY, 0, new byte[0]);
    }

    public LaunchPlan chdir(String dir) {
        return add(StepKind.STEP_CHDIR, 0, cstring(dir));
    }

    /** The last step: execve(path, argv, environ), every string as the bytes the person gave. */
    public LaunchPlan exec(byte[] path, List<byte[]> argv) {
        this.program = path.clone();
        this.argv = List.copyOf(argv);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(cstring(path));
        for (byte[] a : argv) {
            out.writeBytes(cstring(a));
        }
        return add(StepKind.STEP_EXEC, 0, out.toByteArray());
    }

    public LaunchPlan exec(String path, List<String> argv) {
        return exec(path.getBytes(StandardCharsets.UTF_8), Argv.of(argv).argv());
    }

    /** The program for a message: argv[0] as a person reads it, else the path. */
    public String programName() {
        return Argv.show(argv == null || argv.isEmpty() ? program : argv.get(0));
    }

    /** The step at {@code index}, to name a failure the launcher reported by position. */
    public StepKind kindAt(int index) {
        return index >= 0 && index < steps.size() ? steps.get(index).kind() : null;
    }

    public byte[] serialize() {
        if (steps.isEmpty() || steps.get(steps.size() - 1).kind() != StepKind.STEP_EXEC) {
            throw new IllegalStateException("a launch plan must end with its exec step");
        }
        return serialize(steps);
    }

    /**
     * The plan up to, not including, its exec step, which sandbox-run appends at run time with the program it is
     * given (the form a compiled policy is cached in).
     */
    public byte[] serializeWithoutExec() {
        if (!steps.isEmpty() && steps.get(steps.size() - 1).kind() == StepKind.STEP_EXEC) {
            throw new IllegalStateException("this plan already has its exec step");
        }
        return serialize(steps);
    }

    private static byte[] serialize(List<Step> steps) {
        int size = 8;
        for (Step s : steps) {
            size += 8 + s.payload().length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort((short) VERSION).putShort((short) steps.size());
        for (Step s : steps) {
            b.putShort((short) s.kind().number()).putShort((short) s.flags()).putInt(s.payload().length)
                    .put(s.payload());
        }
        return b.array();
    }

    private LaunchPlan add(StepKind kind, int flags, byte[] payload) {
        if (!steps.isEmpty() && steps.get(steps.size() - 1).kind() == StepKind.STEP_EXEC) {
            throw new IllegalStateException("exec must be the last step");
        }
        steps.add(new Step(kind, flags, payload));
        return this;
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] cstring(String s) {
        return cstring(s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] cstring(byte[] raw) {
        for (byte c : raw) {
            if (c == 0) {
                throw new IllegalArgumentException("argument contains a NUL byte");
            }
        }
        byte[] z = new byte[raw.length + 1];
        System.arraycopy(raw, 0, z, 0, raw.length);
        return z;
    }
}

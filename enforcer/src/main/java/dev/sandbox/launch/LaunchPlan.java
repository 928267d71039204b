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

    private record Step(StepKind kind, int flags, byte[] payload) {}

    private final List<Step> steps = new ArrayList<>();

    /**
     * The one order of steps for every run, enforced or learned, so both halves start the program the same way:
     * close inherited fds, die with the sandbox, change directory, take the terminal (screen UI), stop for the
     * tracer (learning), no new privileges, the filters (each stacked on the previous one), exec.
     *
     * @param cwd     the program's working directory, or null to keep ours
     * @param traced  stop before the filters so the tracer can seize the launcher
     * @param tty     make fd 0 (a terminal) the controlling terminal of a new session
     * @param filters seccomp filters, installed in this order; none means no NO_NEW_PRIVS either
     */
    public static LaunchPlan forProgram(String cwd, boolean traced, boolean tty, List<BpfProgram> filters,
            String path, List<String> argv, int sandboxPid, int deathSignal) {
        LaunchPlan plan = new LaunchPlan().closeFrom(3).parentDeathSignal(deathSignal, sandboxPid);
        if (cwd != null) {
            plan.chdir(cwd);
        }
        if (tty) {
            plan.controllingTerminal();
        }
        if (traced) {
            plan.stopForTracer();
        }
        if (!filters.isEmpty()) {
            plan.noNewPrivs();
            for (BpfProgram f : filters) {
                plan.seccompFilter(f, 0);
            }
        }
        return plan.exec(path, argv);
    }
    private String program;
    private List<String> argv;

    public LaunchPlan noNewPrivs() {
        return add(StepKind.STEP_NO_NEW_PRIVS, 0, new byte[0]);
    }

    /** @param flags SECCOMP_FILTER_FLAG_* for seccomp(2) */
    public LaunchPlan seccompFilter(BpfProgram program, int flags) {
        return add(StepKind.STEP_SECCOMP_FILTER, flags, program.bytes());
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

    /** The last step: execve(path, argv, environ). */
    public LaunchPlan exec(String path, List<String> argv) {
        this.program = path;
        this.argv = List.copyOf(argv);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(cstring(path));
        for (String a : argv) {
            out.writeBytes(cstring(a));
        }
        return add(StepKind.STEP_EXEC, 0, out.toByteArray());
    }

    public String program() {
        return program;
    }

    public List<String> argv() {
        return argv;
    }

    /** The step at {@code index}, to name a failure the launcher reported by position. */
    public StepKind kindAt(int index) {
        return index >= 0 && index < steps.size() ? steps.get(index).kind() : null;
    }

    public byte[] serialize() {
        if (steps.isEmpty() || steps.get(steps.size() - 1).kind() != StepKind.STEP_EXEC) {
            throw new IllegalStateException("a launch plan must end with its exec step");
        }
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
        byte[] raw = s.getBytes(StandardCharsets.UTF_8);
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

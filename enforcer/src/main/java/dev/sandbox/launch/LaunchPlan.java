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

package dev.sandbox.launch;

import dev.sandbox.seccomp.BpfProgram;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import dev.sandbox.isolation.Isolation;

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

    private record Step(StepKind kind, int flags, byte[] payload, String detail) {}

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
        return forProgram(cwd, traced, filters, supervised, reportFd, path, argv, sandboxPid, deathSignal,
                Isolation.none());
    }

    /**
     * The same, inside the isolation asked for, in the kernel's order (docs/architecture.md, "Isolation steps"):
     * user namespace, sync with the parent (uid_map, cgroup), the other namespaces, pid init, the new root, network
     * and hostname, working directory, rlimits, identity, capabilities, NO_NEW_PRIVS, Landlock, filters (the
     * isolation's, then the policy's, then the supervised one), exec. When learning with isolation, the tracer stop
     * comes right after the sync, before any fork: the tracer then follows the launcher into the pid namespace, and
     * ignores everything the launcher does until its execve.
     *
     * @throws dev.sandbox.error.SandboxException when the isolation cannot be planned here (exit 125)
     */
    public static LaunchPlan forProgram(String cwd, boolean traced, List<BpfProgram> filters, BpfProgram supervised,
            int reportFd, byte[] path, List<byte[]> argv, int sandboxPid, int deathSignal, Isolation isolation) {
        return jail(cwd, traced, filters, supervised, reportFd, sandboxPid, deathSignal, isolation).exec(path, argv);
    }

    /**
     * {@link #forProgram} without isolation, up to, not including, its exec step: the form a compiled policy is
     * cached in, with {@code reportFd} -1 (sandbox-run hands its own report pipe over at {@link Launcher#REPORT_FD})
     * and {@code sandboxPid} {@link #PARENT_RUNNER}. Only a plan without isolation is cached: isolation needs the
     * parent's share at STEP_SYNC, which only the JVM does.
     */
    public static LaunchPlan jail(String cwd, boolean traced, List<BpfProgram> filters, BpfProgram supervised,
            int reportFd, int sandboxPid, int deathSignal) {
        return jail(cwd, traced, filters, supervised, reportFd, sandboxPid, deathSignal, Isolation.none());
    }

    private static LaunchPlan jail(String cwd, boolean traced, List<BpfProgram> filters, BpfProgram supervised,
            int reportFd, int sandboxPid, int deathSignal, Isolation isolation) {
        IsolationSteps iso = new IsolationSteps(isolation, cwd);
        LaunchPlan plan = new LaunchPlan();
        plan.isolation = iso;
        // The launcher's fds above ERROR_FD: the supervisor's report pipe, then the sync socket.
        plan.syncFd = supervised != null ? Launcher.REPORT_FD + 1 : Launcher.REPORT_FD;
        int keep = iso.needsSync() ? plan.syncFd + 1 : supervised != null ? Launcher.REPORT_FD + 1 : 3;
        plan.closeFrom(keep).parentDeathSignal(deathSignal, sandboxPid);
        iso.userNamespace(plan);
        boolean early = traced && !isolation.isEmpty();
        if (early) {
            plan.stopForTracer();
        }
        iso.namespaces(plan);
        iso.filesystem(plan);
        iso.network(plan);
        String dir = iso.workingDirectory();
        if (dir != null) {
            plan.chdir(dir);
        }
        iso.limits(plan);
        iso.identity(plan, deathSignal, sandboxPid);
        if (traced && !early) {
            plan.stopForTracer();
        }
        // The isolation's filters go first: the policy's may refuse seccomp() itself, so it must be the last one.
        List<BpfProgram> all = new ArrayList<>(iso.filters());
        all.addAll(filters);
        if (!all.isEmpty() || supervised != null || iso.needsNoNewPrivs()) {
            plan.noNewPrivs();
        }
        iso.landlock(plan);
        for (BpfProgram f : all) {
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

    /** An empty plan for {@link Launcher#probe}: add the steps to try, then {@link #exitProbe}. */
    static LaunchPlan probe() {
        return new LaunchPlan().closeFrom(3);
    }

    /** The highest fd the launcher may be handed besides its stdio: a sync socket above the report pipe. */
    static final int HIGHEST_FIXED_FD = Launcher.REPORT_FD + 1;

    private int syncFd = Launcher.REPORT_FD;

    private IsolationSteps isolation;

    /** The parent's side of the isolation (sync actions, the cgroup); never null for a plan from forProgram. */
    public IsolationSteps isolation() {
        return isolation;
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

    public LaunchPlan chdir(String dir) {
        return add(StepKind.STEP_CHDIR, 0, cstring(dir), dir);
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

    /** What the step at {@code index} works on (a path, a mount), for messages; null if nothing in particular. */
    public String detailAt(int index) {
        return index >= 0 && index < steps.size() ? steps.get(index).detail() : null;
    }

    /** The launcher's fd for the STEP_SYNC socket (Launcher puts it there). */
    int syncFd() {
        return syncFd;
    }

    /** Whether the launcher will wait at STEP_SYNC for the parent (Launcher passes it a socket on {@link #syncFd}). */
    public boolean hasSync() {
        return steps.stream().anyMatch(s -> s.kind() == StepKind.STEP_SYNC);
    }

    /** The kinds in order, for tests. */
    public List<StepKind> kinds() {
        return steps.stream().map(Step::kind).toList();
    }

    // Isolation steps: each is one record the launcher executes as it is (plan.h says what the payload holds).

    public LaunchPlan unshare(int cloneFlags, String detail) {
        return add(StepKind.STEP_UNSHARE, 0, le(cloneFlags), detail);
    }

    public LaunchPlan sync() {
        return add(StepKind.STEP_SYNC, 0, le(syncFd));
    }

    public LaunchPlan pidInit() {
        return add(StepKind.STEP_PID_INIT, 0, new byte[0]);
    }

    /** mount(2); null strings are passed as NULL. */
    public LaunchPlan mount(String src, String dst, String type, long flags, String data, String detail) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le64(flags));
        for (String x : new String[] {src, dst, type, data}) {
            out.writeBytes(cstring(x == null ? "" : x));
        }
        return add(StepKind.STEP_MOUNT, 0, out.toByteArray(), detail);
    }

    public LaunchPlan mountSetattr(String path, long set, long clear, int flags, String detail) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le64(set));
        out.writeBytes(le64(clear));
        out.writeBytes(le(flags));
        out.writeBytes(cstring(path));
        return add(StepKind.STEP_MOUNT_SETATTR, 0, out.toByteArray(), detail);
    }

    public LaunchPlan mkdir(String path) {
        return add(StepKind.STEP_MKDIR, 0, cstring(path), path);
    }

    public LaunchPlan mkfile(String path) {
        return add(StepKind.STEP_MKFILE, 0, cstring(path), path);
    }

    public LaunchPlan symlink(String target, String link) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(cstring(target));
        out.writeBytes(cstring(link));
        return add(StepKind.STEP_SYMLINK, 0, out.toByteArray(), link + " -> " + target);
    }

    public LaunchPlan pivotRoot(String newRoot, String putOld) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(cstring(newRoot));
        out.writeBytes(cstring(putOld));
        return add(StepKind.STEP_PIVOT_ROOT, 0, out.toByteArray(), newRoot);
    }

    public LaunchPlan umount(String path) {
        return add(StepKind.STEP_UMOUNT, 0, cstring(path), path);
    }

    public LaunchPlan loopbackUp() {
        return add(StepKind.STEP_LOOPBACK_UP, 0, new byte[0]);
    }

    public LaunchPlan sethostname(String name) {
        return add(StepKind.STEP_SETHOSTNAME, 0, name.getBytes(StandardCharsets.UTF_8), name);
    }

    public LaunchPlan rlimit(int resource, long soft, long hard, String detail) {
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putInt(resource).putLong(soft)
                .putLong(hard);
        return add(StepKind.STEP_RLIMIT, 0, b.array(), detail);
    }

    /** @param clearGroups setgroups(0, NULL) first (needs CAP_SETGID, and setgroups allowed in a user namespace) */
    public LaunchPlan identity(int gid, int uid, boolean clearGroups) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(gid).putInt(uid);
        return add(StepKind.STEP_IDENTITY, clearGroups ? 1 : 0, b.array(), "uid " + Integer.toUnsignedString(uid)
                + ", gid " + Integer.toUnsignedString(gid));
    }

    /** @param ambient raise the kept capabilities into the ambient set, so they survive execve for a non-root uid */
    /** @param bounding drop the others from the bounding set too (needs CAP_SETPCAP) */
    public LaunchPlan caps(long keep, int lastCap, boolean ambient, boolean bounding, String detail) {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(keep).putInt(lastCap);
        return add(StepKind.STEP_CAPS, (ambient ? 1 : 0) | (bounding ? 0 : 2), b.array(), detail);
    }

    /** @param attr struct landlock_ruleset_attr as the probed ABI knows it */
    public LaunchPlan landlockRuleset(byte[] attr) {
        return add(StepKind.STEP_LANDLOCK_RULESET, 0, attr.clone());
    }

    public LaunchPlan landlockRule(long allowed, String path, String detail) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le64(allowed));
        out.writeBytes(cstring(path));
        return add(StepKind.STEP_LANDLOCK_RULE, 0, out.toByteArray(), detail);
    }

    public LaunchPlan landlockRestrict() {
        return add(StepKind.STEP_LANDLOCK_RESTRICT, 0, new byte[0]);
    }

    /** Ends a probe plan: the launcher exits 0 here. */
    public LaunchPlan exitProbe() {
        steps.add(new Step(StepKind.STEP_EXIT, 0, new byte[0], null));
        return this;
    }

    static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    public byte[] serialize() {
        StepKind lastKind = steps.isEmpty() ? null : steps.get(steps.size() - 1).kind();
        if (lastKind != StepKind.STEP_EXEC && lastKind != StepKind.STEP_EXIT) {
            throw new IllegalStateException("a launch plan must end with its exec step");
        }
        return serialize(steps);
    }

    /**
     * The plan, with {@code fds} closed just before the first step of the filters (or the tracer's stop, or the
     * exec): standard fds that were closed when the sandbox started (see {@link Launcher}). After every step that
     * may open a file, so nothing takes their place; before the filters, which may not allow close.
     */
    public byte[] serialize(int... fds) {
        if (fds.length == 0) {
            return serialize();
        }
        serialize(); // the same checks
        List<Step> out = new ArrayList<>();
        boolean done = false;
        for (Step s : steps) {
            if (!done && (s.kind() == StepKind.STEP_SECCOMP_FILTER || s.kind() == StepKind.STEP_SECCOMP_NOTIFY
                    || s.kind() == StepKind.STEP_STOP || s.kind() == StepKind.STEP_EXEC)) {
                for (int fd : fds) {
                    out.add(new Step(StepKind.STEP_CLOSE, 0, le(fd), null));
                }
                done = true;
            }
            out.add(s);
        }
        return serialize(out);
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
        return add(kind, flags, payload, null);
    }

    private LaunchPlan add(StepKind kind, int flags, byte[] payload, String detail) {
        if (!steps.isEmpty() && steps.get(steps.size() - 1).kind() == StepKind.STEP_EXEC) {
            throw new IllegalStateException("exec must be the last step");
        }
        steps.add(new Step(kind, flags, payload, detail));
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

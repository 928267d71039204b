package dev.sandbox.cache;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.jna.LibC;
import dev.sandbox.launch.LaunchFailure;
import dev.sandbox.launch.LaunchPlan;
import dev.sandbox.launch.Launcher;
import dev.sandbox.launch.Supervisor;
import dev.sandbox.launch.ProgramPath;
import dev.sandbox.launch.SeccompLog;
import dev.sandbox.launch.StaticRun;
import dev.sandbox.launch.StepKind;
import dev.sandbox.seccomp.BpfProgram;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A compiled policy as native/src/compiled.h lays it out, for sandbox-run to enforce without a JVM: the launch plan
 * of a static run up to its exec step (the BPF filter in it), the identity of the libseccomp that compiled it, the
 * sentences a static run prints (as templates with their exit codes), and the syscall names of the violation
 * report. Everything in it is data Java produced; sandbox-run decides nothing. The bytes are a function of the
 * policy file, the build, the kernel and libseccomp only, so two runs that store the same entry store the same bytes.
 */
public final class CompiledPolicy {
    // compiled.h
    static final int MAGIC = 0x43584253;
    static final int VERSION = 3;
    static final int HEADER_SIZE = 44;
    static final int MAX = 1 << 22;
    static final String KEY_TEXT = "sandbox compiled policy\n";
    static final String NAMES_KEY_TEXT = "sandbox syscall names\n";
    static final int SECTION_PLAN = 1;
    static final int SECTION_LIBSECCOMP = 2;
    static final int SECTION_MESSAGES = 3;
    static final int SECTION_NAMES = 4;
    static final int SECTION_SUPERVISOR = 5;
    static final int SECTION_WARNINGS = 6;
    static final int MSG_STEP_FAILED = 1;
    static final int MSG_NOT_IN_PATH = 2;
    static final int MSG_VIOLATION = 3;
    static final int MSG_VIOLATION_UNNAMED = 4;
    static final int MSG_SYSCALL_UNKNOWN = 5;
    static final int MSG_ELSEWHERE = 6;
    static final int MSG_MORE = 7;
    static final char MSG_ARG = '\u0001';
    static final long FNV_OFFSET = 0xcbf29ce484222325L;
    static final long FNV_PRIME = 0x100000001b3L;

    /** Errno values the step sentences are rendered for: Linux's highest is 133 (EHWPOISON). */
    static final int ERRNO_SCAN = 134;

    private final byte[] key;
    private final byte[] bytes;
    private final int instructions;

    private CompiledPolicy(byte[] key, byte[] bytes, int instructions) {
        this.key = key;
        this.bytes = bytes;
        this.instructions = instructions;
    }

    /** @param policyBytes the policy file exactly as it was parsed, so the key names what was compiled */
    public static CompiledPolicy of(byte[] policyBytes, StaticRun.Compiled compiled) {
        return of(policyBytes, compiled, java.util.List.of());
    }

    /**
     * @param warnings what the loader said about these bytes, as templates ({@link #policyTemplate}): a cached run
     *                 says them too, before the program starts, as the JVM path does at every run
     */
    public static CompiledPolicy of(byte[] policyBytes, StaticRun.Compiled compiled, java.util.List<String> warnings) {
        LaunchPlan plan = StaticRun.plan(compiled, -1, LaunchPlan.PARENT_RUNNER, null);
        java.util.List<Object> sections = new java.util.ArrayList<>(java.util.List.of(SECTION_PLAN,
                plan.serializeWithoutExec(), SECTION_LIBSECCOMP, libseccomp()));
        if (compiled.supervised()) {
            sections.add(SECTION_SUPERVISOR);
            sections.add(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(Launcher.REPORT_FD).array());
        }
        if (!warnings.isEmpty()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (String w : warnings) {
                byte[] text = w.getBytes(StandardCharsets.UTF_8);
                out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(text.length).array());
                out.writeBytes(text);
            }
            sections.add(SECTION_WARNINGS);
            sections.add(out.toByteArray());
        }
        return entry(preparedKey(policyBytes), compiled.bpf().instructions(), sections.toArray());
    }

    /** {@code line} with each {@code name} in it made the policy's placeholder (compiled.h: MSG_ARG 'f'). */
    public static String policyTemplate(String line, String name) {
        return line.replace(name, arg('f'));
    }

    /**
     * What every policy's static run shares, one entry per build and libseccomp: the syscall names of the violation
     * report (thousands of libseccomp calls to list) and the sentences (a function of this code alone; rendering
     * them is most of what making an entry costs), too much for each new policy's first run. The build makes one
     * (tui/target/sandbox-build.entry) that sandbox-run uses until the libseccomp changes.
     */
    public static CompiledPolicy names() {
        byte[] table = nameTable(); // first: listing the names is what loads libseccomp, whose file is recorded
        return entry(namesKey(), 0, SECTION_LIBSECCOMP, libseccomp(), SECTION_NAMES, table, SECTION_MESSAGES,
                messages());
    }

    /** SHA-256 of compiled.h's key text for the names entry: this build. */
    static byte[] namesKey() {
        byte[] t = (NAMES_KEY_TEXT + "build " + buildId() + "\n").getBytes(StandardCharsets.UTF_8);
        return sha256(t, t.length);
    }

    /** Whether {@code bytes} are the whole names entry of this build, made with the libseccomp loaded now. */
    static boolean currentNames(byte[] bytes) {
        byte[] key = namesKey();
        if (bytes == null || bytes.length < HEADER_SIZE + 8) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int bodyLen = b.getInt(40);
        if (b.getInt(0) != MAGIC || b.getShort(4) != VERSION || bodyLen != bytes.length - HEADER_SIZE - 8
                || !java.util.Arrays.equals(bytes, 8, 40, key, 0, 32)
                || b.getLong(bytes.length - 8) != fnv1a(bytes, bytes.length - 8)) {
            return false;
        }
        byte[] lib = libseccomp();
        for (int i = 0, off = HEADER_SIZE, n = b.getShort(6); i < n && off + 8 <= HEADER_SIZE + bodyLen; i++) {
            int len = b.getInt(off + 4);
            if (b.getShort(off) == SECTION_LIBSECCOMP) {
                return len == lib.length && java.util.Arrays.equals(bytes, off + 8, off + 8 + len, lib, 0, len);
            }
            off += 8 + len;
        }
        return false;
    }

    /** Header, sections as (type, payload) pairs, checksum. */
    private static CompiledPolicy entry(byte[] key, int instructions, Object... sections) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int i = 0; i < sections.length; i += 2) {
            section(body, (Integer) sections[i], (byte[]) sections[i + 1]);
        }
        byte[] b = body.toByteArray();
        ByteBuffer out = ByteBuffer.allocate(HEADER_SIZE + b.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(MAGIC).putShort((short) VERSION).putShort((short) (sections.length / 2)).put(key).putInt(b.length)
                .put(b);
        out.putLong(fnv1a(out.array(), HEADER_SIZE + b.length));
        return new CompiledPolicy(key, out.array(), instructions);
    }

    /** The file name: the key in hex. */
    public String name() {
        return HexFormat.of().formatHex(key);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    /** Whether sandbox-run would read this entry: compiled.h's COMPILED_MAX. */
    public boolean fits() {
        return bytes.length <= MAX;
    }

    public int instructions() {
        return instructions;
    }

    /**
     * Computes ahead the key of an entry of these bytes: a first run on the JVM path calls it while libseccomp is
     * still being loaded on another thread, so that making the entry afterwards costs less; the result is the same
     * either way.
     */
    public static void prepare(byte[] policyBytes) {
        try {
            prepared = new Prepared(policyBytes.clone(), key(policyBytes));
        } catch (RuntimeException e) {
            // met again where the entry is made, and handled there as always
        }
    }

    /**
     * The key sandbox-run computed (compiled.h's key text, as {@link #key}) for the policy bytes it read: an entry of
     * the same bytes takes it instead of hashing them again (interpreted SHA-256 is a first run's milliseconds).
     */
    public static void keyed(byte[] policyBytes, byte[] key) {
        if (key.length == 32) {
            prepared = new Prepared(policyBytes.clone(), key.clone());
        }
    }

    private record Prepared(byte[] policyBytes, byte[] key) {}

    private static volatile Prepared prepared;

    /** The key of these bytes, from {@link #prepare} when it was given the same bytes. */
    private static byte[] preparedKey(byte[] policyBytes) {
        Prepared p = prepared;
        return p != null && java.util.Arrays.equals(p.policyBytes(), policyBytes) ? p.key().clone() : key(policyBytes);
    }

    /** SHA-256 of the key text of compiled.h: this build, this kernel, this policy file's bytes. */
    static byte[] key(byte[] policyBytes) {
        String text = KEY_TEXT
                + "build " + buildId() + "\n"
                + "kernel " + procLine("/proc/sys/kernel/osrelease") + " " + procLine("/proc/sys/kernel/version")
                + "\n"
                + "policy " + HexFormat.of().formatHex(sha256(policyBytes, policyBytes.length)) + "\n";
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        return sha256(t, t.length);
    }

    /** The id the build stamped into both this code and native/target/sandbox-run. */
    static String buildId() {
        String id = buildId;
        if (id == null) {
            id = readBuildId();
            buildId = id;
        }
        return id;
    }

    /** Read once: a resource of our own jar, which does not change under a running process. */
    private static volatile String buildId;

    private static String readBuildId() {
        Properties p = new Properties();
        try (InputStream in = CompiledPolicy.class.getResourceAsStream("sandbox-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String id = p.getProperty("build");
        if (id == null || id.isEmpty() || id.contains("${")) {
            throw new IllegalStateException("this build has no build id (sandbox-build.properties)");
        }
        return id;
    }

    /** What uname(2) says, from the files that hold the same strings. */
    private static String procLine(String file) {
        try {
            String s = Files.readString(Path.of(file));
            return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** compiled.h's checksum: finds a torn or damaged entry. */
    static long fnv1a(byte[] data, int length) {
        long h = FNV_OFFSET;
        for (int i = 0; i < length; i++) {
            h = (h ^ (data[i] & 0xff)) * FNV_PRIME;
        }
        return h;
    }

    static byte[] sha256(byte[] data, int length) {
        return Sha256.digest(data, length);
    }

    private static void section(ByteArrayOutputStream body, int type, byte[] payload) {
        ByteBuffer h = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        h.putShort((short) type).putShort((short) 0).putInt(payload.length);
        body.writeBytes(h.array());
        body.writeBytes(payload);
    }

    /** The libseccomp file this process mapped, as sandbox-run will stat it: dev, inode, size, mtime in ns, path. */
    private static byte[] libseccomp() {
        byte[] id = libseccomp;
        if (id == null) {
            id = readLibseccomp();
            libseccomp = id;
        }
        return id.clone();
    }

    /**
     * Read once: what this process mapped stays mapped, and a file replaced under it since is not what compiled its
     * filters.
     */
    private static volatile byte[] libseccomp;

    /**
     * Entries are compiled by the libseccomp at {@code path}, not by one this process maps: sandbox-run's, when it
     * compiles a first run's recipe (the JVM then never loads libseccomp).
     */
    public static void compiledWith(String path) {
        libseccomp = identity(path);
    }

    private static byte[] readLibseccomp() {
        String path = null;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int at = line.indexOf('/');
                if (at > 0 && line.substring(at).contains("/libseccomp.so")) {
                    path = line.substring(at);
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (path == null) {
            throw new IllegalStateException("libseccomp is not loaded");
        }
        return identity(path);
    }

    private static byte[] identity(String path) {
        try {
            Path p = Path.of(path);
            Map<String, Object> a = Files.readAttributes(p, "unix:dev,ino,size,lastModifiedTime");
            byte[] name = path.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(32 + name.length + 1).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong((Long) a.get("dev")).putLong((Long) a.get("ino")).putLong((Long) a.get("size"))
                    .putLong(((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS)).put(name).put((byte) 0);
            return b.array();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String arg(char letter) {
        return MSG_ARG + String.valueOf(letter);
    }

    /**
     * The sentences of a static run, from the code that says them, with placeholders where values go: for every step
     * the plan of a static run has, supervised or not (made here as {@link #of} makes them), for reading the plan,
     * and for the exec step sandbox-run appends.
     */
    private static byte[] messages() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String program = arg('p');
        java.util.Set<StepKind> steps = java.util.EnumSet.of(StepKind.STEP_READ_PLAN, StepKind.STEP_EXEC);
        for (boolean supervised : new boolean[] {false, true}) {
            StaticRun.Compiled sample = new StaticRun.Compiled(new BpfProgram(new byte[BpfProgram.INSTRUCTION_SIZE]),
                    supervised);
            LaunchPlan plan = StaticRun.plan(sample, -1, LaunchPlan.PARENT_RUNNER, null);
            for (int i = 0; plan.kindAt(i) != null; i++) {
                steps.add(plan.kindAt(i));
            }
        }
        for (StepKind step : steps) {
            out.writeBytes(stepMessages(step));
        }
        message(out, MSG_NOT_IN_PATH, 0, -1, ExitCodes.NOT_FOUND + "\n" + ProgramPath.notInPath(program));
        // How violations ended processes, by the signal that ended them (StaticRun's report).
        for (int signal : new int[] {LibC.SIGSYS, LibC.SIGKILL}) {
            message(out, MSG_VIOLATION, signal, -1, "0\n" + StaticRun.killed(program, signal, arg('s'), arg('f')));
            message(out, MSG_VIOLATION_UNNAMED, signal, -1, "0\n" + StaticRun.killed(program, signal, null,
                    arg('f')));
        }
        for (int signal : new int[] {LibC.SIGSYS, LibC.SIGKILL, 0}) {
            for (int thread = 0; thread < 2; thread++) {
                String described = Supervisor.Violation.describe(arg('t'), thread == 1 ? arg('i') : null, arg('x'),
                        arg('s'), signal);
                message(out, MSG_ELSEWHERE, signal, thread, "0\n" + StaticRun.elsewhere(described, arg('f')));
            }
        }
        message(out, MSG_MORE, 1, -1, "0\n" + StaticRun.more(arg('n'), true));
        message(out, MSG_MORE, 0, -1, "0\n" + StaticRun.more(arg('n'), false));
        // A number with no name: SyscallNames' own wording for it, with the number made a placeholder.
        for (Arch arch : Arch.values()) {
            int audit = arch == Arch.X32 ? Arch.X86_64.auditArch() : arch.auditArch();
            int bits = arch == Arch.X32 ? Arch.X32_SYSCALL_BIT : 0;
            String sample = SyscallNames.name(arch, UNNAMED_SAMPLE);
            String text = SeccompLog.display(arch, sample.replace(Integer.toString(UNNAMED_SAMPLE), arg('n')));
            message(out, MSG_SYSCALL_UNKNOWN, audit, bits, "0\n" + text);
        }
        message(out, MSG_SYSCALL_UNKNOWN, 0, 0, "0\n" + SeccompLog.unknownArch(arg('n'), arg('a')));
        return out.toByteArray();
    }

    /** Rendered step sentences by step: a function of this code alone, so one rendering serves every entry. */
    private static final Map<StepKind, byte[]> STEP_MESSAGES = new java.util.concurrent.ConcurrentHashMap<>();

    /** The records of one step's sentences: one per (sentence, exit code) that differs from its most common one. */
    private static byte[] stepMessages(StepKind step) {
        byte[] done = STEP_MESSAGES.get(step);
        if (done != null) {
            return done;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String program = arg('p');
        String reason = arg('e');
        Map<String, Integer> count = new HashMap<>();
        Map<Integer, String> byErrno = new LinkedHashMap<>();
        for (int errno = 1; errno < ERRNO_SCAN; errno++) {
            String t = LaunchFailure.exitCode(step, errno) + "\n"
                    + LaunchFailure.message(step, errno, program, reason);
            byErrno.put(errno, t);
            count.merge(t, 1, Integer::sum);
        }
        String common = null;
        for (Map.Entry<String, Integer> e : count.entrySet()) {
            if (common == null || e.getValue() > count.get(common)) {
                common = e.getKey();
            }
        }
        message(out, MSG_STEP_FAILED, step.number(), -1, common);
        for (Map.Entry<Integer, String> e : byErrno.entrySet()) {
            if (!e.getValue().equals(common)) {
                message(out, MSG_STEP_FAILED, step.number(), e.getKey(), e.getValue());
            }
        }
        done = out.toByteArray();
        STEP_MESSAGES.put(step, done);
        return done;
    }

    /** A syscall number no arch has, whose rendering shows how SyscallNames words a number without a name. */
    static final int UNNAMED_SAMPLE = 987654;

    /** "exit\ntext" */
    private static void message(ByteArrayOutputStream out, int id, int step, int err, String exitAndText) {
        int nl = exitAndText.indexOf('\n');
        byte[] text = exitAndText.substring(nl + 1).getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(20 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(id).putInt(step).putInt(err).putInt(Integer.parseInt(exitAndText.substring(0, nl)))
                .putInt(text.length).put(text);
        out.writeBytes(b.array());
    }

    /** Every syscall libseccomp names, keyed as the kernel's audit record reports it (x32: x86_64 + the x32 bit). */
    private static byte[] nameTable() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Arch arch : Arch.values()) {
            int audit = arch == Arch.X32 ? Arch.X86_64.auditArch() : arch.auditArch();
            int bits = arch == Arch.X32 ? Arch.X32_SYSCALL_BIT : 0;
            int highest = SyscallNames.highest(arch);
            String unnamed = SyscallNames.name(arch, UNNAMED_SAMPLE);
            for (int nr = 0; nr <= highest; nr++) {
                String name = SyscallNames.name(arch, nr);
                if (name.equals(unnamed.replace(Integer.toString(UNNAMED_SAMPLE), Integer.toString(nr)))) {
                    continue;
                }
                byte[] text = SeccompLog.display(arch, name).getBytes(StandardCharsets.UTF_8);
                ByteBuffer b = ByteBuffer.allocate(12 + text.length).order(ByteOrder.LITTLE_ENDIAN);
                b.putInt(audit).putInt(nr | bits).putInt(text.length).put(text);
                out.writeBytes(b.array());
            }
        }
        return out.toByteArray();
    }
}

package dev.sandbox.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.launch.LaunchFailure;
import dev.sandbox.launch.LaunchPlan;
import dev.sandbox.launch.SeccompLog;
import dev.sandbox.launch.StaticRun;
import dev.sandbox.launch.StepKind;
import dev.sandbox.launch.Supervisor;
import dev.sandbox.launch.Launcher;
import dev.sandbox.jna.Errno;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.seccomp.BpfProgram;
import dev.sandbox.seccomp.FilterCompiler;
import dev.sandbox.syscall.Arch;
import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The entry Java writes for sandbox-run, read back the way sandbox-run reads it (compiled.h). */
class CompiledPolicyTest {
    private static final byte[] POLICY = "{\"mode\":\"block\",\"syscalls\":[\"mkdir\"]}".getBytes(StandardCharsets.UTF_8);

    private static CompiledPolicy compile(byte[] json) {
        Policy p = new PolicyLoader(w -> { }).parse(json, "p.json");
        return CompiledPolicy.of(json, new StaticRun.Compiled(new FilterCompiler().compile(p), false));
    }

    @Test
    @DisplayName("prepare (done by a first run while libseccomp loads) changes no entry, whatever bytes it was given")
    void prepareChangesNothing() {
        byte[] other = "{\"mode\":\"block\",\"syscalls\":[\"rmdir\"]}".getBytes(StandardCharsets.UTF_8);
        byte[] plain = compile(POLICY).bytes();
        CompiledPolicy.prepare(POLICY);
        assertArrayEquals(plain, compile(POLICY).bytes());
        CompiledPolicy.prepare(other);
        assertArrayEquals(plain, compile(POLICY).bytes(), "the key is the entry's own policy's, not the prepared one");
        assertFalse(java.util.Arrays.equals(plain, compile(other).bytes()));
    }

    /** Sections by type, after checking header, lengths and checksum. */
    private static Map<Integer, byte[]> sections(byte[] entry) {
        ByteBuffer b = ByteBuffer.wrap(entry).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(CompiledPolicy.MAGIC, b.getInt());
        assertEquals(CompiledPolicy.VERSION, b.getShort());
        int count = b.getShort();
        b.position(b.position() + 32);
        int bodyLen = b.getInt();
        assertEquals(entry.length, CompiledPolicy.HEADER_SIZE + bodyLen + 8);
        assertEquals(CompiledPolicy.fnv1a(entry, CompiledPolicy.HEADER_SIZE + bodyLen),
                ByteBuffer.wrap(entry, entry.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
        Map<Integer, byte[]> out = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            int type = b.getShort();
            b.getShort();
            byte[] payload = new byte[b.getInt()];
            b.get(payload);
            out.put(type, payload);
        }
        assertEquals(CompiledPolicy.HEADER_SIZE + bodyLen, b.position());
        return out;
    }

    /** (id, step, err) -> "exit\ntext" */
    private static Map<String, String> messages(byte[] section) {
        ByteBuffer b = ByteBuffer.wrap(section).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, String> out = new HashMap<>();
        while (b.hasRemaining()) {
            int id = b.getInt();
            int step = b.getInt();
            int err = b.getInt();
            int exit = b.getInt();
            byte[] text = new byte[b.getInt()];
            b.get(text);
            out.put(id + "/" + step + "/" + err, exit + "\n" + new String(text, StandardCharsets.UTF_8));
        }
        return out;
    }

    private static String fill(String template, String p, String e) {
        return template.replace(CompiledPolicy.MSG_ARG + "p", p).replace(CompiledPolicy.MSG_ARG + "e", e);
    }

    @Test
    @DisplayName("the same policy file gives the same bytes; another file another key")
    void deterministic() {
        CompiledPolicy a = compile(POLICY);
        assertArrayEquals(a.bytes(), compile(POLICY).bytes());
        assertEquals(a.name(), compile(POLICY).name());
        byte[] spaced = "{ \"mode\":\"block\",\"syscalls\":[\"mkdir\"]}".getBytes(StandardCharsets.UTF_8);
        assertFalse(a.name().equals(compile(spaced).name()), "the key is the file's bytes, not its meaning");
    }

    @Test
    @DisplayName("SHA-256 as FIPS 180-4 gives it, at every padding boundary")
    void sha256() throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        for (int n : new int[] {0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000}) {
            byte[] data = new byte[n];
            for (int i = 0; i < n; i++) {
                data[i] = (byte) (i * 31 + 7);
            }
            assertArrayEquals(md.digest(data), Sha256.digest(data, n), "length " + n);
        }
    }

    @Test
    @DisplayName("the plan is a static run's plan without its exec step, dying with the runner; supervised or not")
    void plan() {
        Policy p = new PolicyLoader(w -> { }).parse(POLICY, "p.json");
        for (boolean supervised : new boolean[] {false, true}) {
            BpfProgram bpf = (supervised ? FilterCompiler.supervised() : new FilterCompiler()).compile(p);
            StaticRun.Compiled c = new StaticRun.Compiled(bpf, supervised);
            Map<Integer, byte[]> s = sections(CompiledPolicy.of(POLICY, c).bytes());
            LaunchPlan expected = StaticRun.plan(c, -1, LaunchPlan.PARENT_RUNNER, null);
            assertArrayEquals(expected.serializeWithoutExec(), s.get(CompiledPolicy.SECTION_PLAN));
            java.util.List<StepKind> kinds = new java.util.ArrayList<>();
            for (int i = 0; expected.kindAt(i) != null; i++) {
                kinds.add(expected.kindAt(i));
            }
            assertFalse(s.containsKey(CompiledPolicy.SECTION_MESSAGES), "the sentences are the build entry's");
            Map<String, String> m = messages(sections(CompiledPolicy.names().bytes()).get(
                    CompiledPolicy.SECTION_MESSAGES));
            for (StepKind k : kinds) {
                assertTrue(m.containsKey(CompiledPolicy.MSG_STEP_FAILED + "/" + k.number() + "/-1"),
                        "the build entry words a failure of every step of this plan: " + k);
            }
            assertEquals(supervised, kinds.contains(StepKind.STEP_SECCOMP_NOTIFY), kinds.toString());
            assertEquals(!supervised, kinds.contains(StepKind.STEP_SECCOMP_FILTER), kinds.toString());
            if (supervised) {
                assertArrayEquals(new byte[] {(byte) Launcher.REPORT_FD, 0, 0, 0},
                        s.get(CompiledPolicy.SECTION_SUPERVISOR), "the record pipe goes where the step reports");
            } else {
                assertFalse(s.containsKey(CompiledPolicy.SECTION_SUPERVISOR));
            }
        }
    }

    @Test
    @DisplayName("violation sentences are StaticRun's and Supervisor's, per signal, with placeholders")
    void violationMessages() {
        Map<String, String> m = new HashMap<>();
        messages(sections(CompiledPolicy.names().bytes()).get(CompiledPolicy.SECTION_MESSAGES))
                .forEach((k, v) -> m.put(k, v.substring(v.indexOf('\n') + 1)));
        char a = CompiledPolicy.MSG_ARG;
        for (int sig : new int[] {31, 9}) {
            assertEquals(StaticRun.killed("prog", sig, "mkdir", "p.json"), m.get(CompiledPolicy.MSG_VIOLATION + "/"
                    + sig + "/-1").replace(a + "p", "prog").replace(a + "s", "mkdir").replace(a + "f", "p.json"));
            assertEquals(StaticRun.killed("prog", sig, null, "p.json"), m.get(CompiledPolicy.MSG_VIOLATION_UNNAMED
                    + "/" + sig + "/-1").replace(a + "p", "prog").replace(a + "f", "p.json"));
        }
        for (int sig : new int[] {31, 9, 0}) {
            for (int tid : new int[] {42, 43}) {
                Supervisor.Violation v = new Supervisor.Violation(tid, 42, "/bin/x y", Arch.X86_64.auditArch(), 83, sig);
                String t = m.get(CompiledPolicy.MSG_ELSEWHERE + "/" + sig + "/" + (tid == 42 ? 0 : 1));
                assertEquals(StaticRun.elsewhere(v.describe(), "p.json"), t.replace(a + "t", "42")
                        .replace(a + "i", Integer.toString(tid)).replace(a + "x", "/bin/x y")
                        .replace(a + "s", "mkdir").replace(a + "f", "p.json"));
            }
        }
        assertEquals(StaticRun.more("1", true), m.get(CompiledPolicy.MSG_MORE + "/1/-1").replace(a + "n", "1"));
        assertEquals(StaticRun.more("7", false), m.get(CompiledPolicy.MSG_MORE + "/0/-1").replace(a + "n", "7"));
    }

    @Test
    @DisplayName("step sentences are LaunchFailure's, per errno where they differ, with their exit codes")
    void stepMessages() {
        Map<String, String> m = messages(sections(CompiledPolicy.names().bytes()).get(CompiledPolicy.SECTION_MESSAGES));
        for (StepKind step : new StepKind[] {StepKind.STEP_READ_PLAN, StepKind.STEP_CLOSE_FROM,
            StepKind.STEP_PARENT_DEATH, StepKind.STEP_NO_NEW_PRIVS, StepKind.STEP_SECCOMP_FILTER, StepKind.STEP_EXEC}) {
            for (int errno : new int[] {Errno.ENOENT, Errno.EACCES, Errno.ENOEXEC, Errno.EINVAL, Errno.EPERM, 77}) {
                String t = m.getOrDefault(CompiledPolicy.MSG_STEP_FAILED + "/" + step.number() + "/" + errno,
                        m.get(CompiledPolicy.MSG_STEP_FAILED + "/" + step.number() + "/-1"));
                assertNotNull(t, step + " " + errno);
                String reason = Errno.describe(errno);
                assertEquals(LaunchFailure.exitCode(step, errno) + "\n"
                        + LaunchFailure.message(step, errno, "/bin/x", reason), fill(t, "/bin/x", reason));
            }
        }
    }

    @Test
    @DisplayName("syscall names and the wording for unnamed numbers are SeccompLog's")
    void names() {
        Map<Integer, byte[]> s = sections(compile(POLICY).bytes());
        Map<Integer, byte[]> table = sections(CompiledPolicy.names().bytes());
        assertEquals(java.util.Set.of(CompiledPolicy.SECTION_LIBSECCOMP, CompiledPolicy.SECTION_NAMES,
                CompiledPolicy.SECTION_MESSAGES), table.keySet());
        assertArrayEquals(s.get(CompiledPolicy.SECTION_LIBSECCOMP), table.get(CompiledPolicy.SECTION_LIBSECCOMP));
        assertTrue(CompiledPolicy.currentNames(CompiledPolicy.names().bytes()));
        assertFalse(CompiledPolicy.currentNames(CompiledPolicy.of(POLICY, new StaticRun.Compiled(new FilterCompiler()
                .compile(new PolicyLoader(w -> { }).parse(POLICY, "p.json")), false)).bytes()), "a policy entry is not the names");
        ByteBuffer b = ByteBuffer.wrap(table.get(CompiledPolicy.SECTION_NAMES)).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, String> names = new HashMap<>();
        while (b.hasRemaining()) {
            int arch = b.getInt();
            int nr = b.getInt();
            byte[] t = new byte[b.getInt()];
            b.get(t);
            names.put(Integer.toHexString(arch) + "/" + nr, new String(t, StandardCharsets.UTF_8));
        }
        String x86 = Integer.toHexString(Arch.X86_64.auditArch());
        assertEquals("mkdir", names.get(x86 + "/83"));
        assertEquals("mkdir (i386)", names.get(Integer.toHexString(Arch.I386.auditArch()) + "/39"));
        assertEquals("getpid (x32)", names.get(x86 + "/" + (39 | Arch.X32_SYSCALL_BIT)));
        assertEquals(SeccompLog.name(Arch.X86_64.auditArch(), 83), names.get(x86 + "/83"));
        Map<String, String> m = messages(table.get(CompiledPolicy.SECTION_MESSAGES));
        String unnamed = m.get(CompiledPolicy.MSG_SYSCALL_UNKNOWN + "/" + Arch.X86_64.auditArch() + "/0");
        assertEquals("0\n" + SeccompLog.name(Arch.X86_64.auditArch(), 5000),
                unnamed.replace(CompiledPolicy.MSG_ARG + "n", "5000"));
        String x32 = m.get(CompiledPolicy.MSG_SYSCALL_UNKNOWN + "/" + Arch.X86_64.auditArch() + "/"
                + Arch.X32_SYSCALL_BIT);
        assertEquals("0\n" + SeccompLog.name(Arch.X86_64.auditArch(), 5000 | Arch.X32_SYSCALL_BIT),
                x32.replace(CompiledPolicy.MSG_ARG + "n", "5000"));
    }

    private static String header() throws IOException {
        return Files.readString(Probes.root().resolve("native/src/compiled.h"));
    }

    private static String define(String h, String name) {
        Matcher m = Pattern.compile("#define " + name + "\\s+(\\S+)").matcher(h);
        if (!m.find()) {
            throw new AssertionError(name + " not in compiled.h");
        }
        return m.group(1);
    }

    private static int enumValue(String h, String name) {
        Matcher m = Pattern.compile("\\b" + name + "\\s*=\\s*(\\d+),").matcher(h);
        if (!m.find()) {
            throw new AssertionError(name + " not in compiled.h");
        }
        return Integer.parseInt(m.group(1));
    }

    @Test
    @DisplayName("the constants agree with compiled.h and plan.h")
    void constants() throws IOException {
        String h = header();
        assertEquals(CompiledPolicy.MAGIC, Integer.parseUnsignedInt(define(h, "COMPILED_MAGIC").replace("u", "")
                .substring(2), 16));
        assertEquals(CompiledPolicy.VERSION, Integer.parseInt(define(h, "COMPILED_VERSION")));
        Matcher max = Pattern.compile("#define COMPILED_MAX\\s+\\(1u << (\\d+)\\)").matcher(h);
        assertTrue(max.find(), "COMPILED_MAX");
        assertEquals(CompiledPolicy.MAX, 1 << Integer.parseInt(max.group(1)));
        assertTrue(h.contains("#define COMPILED_KEY_TEXT \"" + CompiledPolicy.KEY_TEXT.replace("\n", "\\n") + "\"\n"),
                "COMPILED_KEY_TEXT");
        assertTrue(h.contains("#define COMPILED_NAMES_KEY_TEXT \"" + CompiledPolicy.NAMES_KEY_TEXT.replace("\n", "\\n")
                + "\"\n"), "COMPILED_NAMES_KEY_TEXT");
        assertEquals(CompiledPolicy.FNV_OFFSET, Long.parseUnsignedLong(define(h, "FNV_OFFSET").replace("ull", "")
                .substring(2), 16));
        assertEquals(CompiledPolicy.FNV_PRIME, Long.parseUnsignedLong(define(h, "FNV_PRIME").replace("ull", "")
                .substring(2), 16));
        assertEquals(CompiledPolicy.SECTION_PLAN, enumValue(h, "SECTION_PLAN"));
        assertEquals(CompiledPolicy.SECTION_LIBSECCOMP, enumValue(h, "SECTION_LIBSECCOMP"));
        assertEquals(CompiledPolicy.SECTION_MESSAGES, enumValue(h, "SECTION_MESSAGES"));
        assertEquals(CompiledPolicy.SECTION_NAMES, enumValue(h, "SECTION_NAMES"));
        assertEquals(CompiledPolicy.SECTION_SUPERVISOR, enumValue(h, "SECTION_SUPERVISOR"));
        assertEquals(CompiledPolicy.SECTION_WARNINGS, enumValue(h, "SECTION_WARNINGS"));
        assertEquals(CompiledPolicy.MSG_ELSEWHERE, enumValue(h, "MSG_ELSEWHERE"));
        assertEquals(CompiledPolicy.MSG_MORE, enumValue(h, "MSG_MORE"));
        assertEquals(CompiledPolicy.MSG_STEP_FAILED, enumValue(h, "MSG_STEP_FAILED"));
        assertEquals(CompiledPolicy.MSG_NOT_IN_PATH, enumValue(h, "MSG_NOT_IN_PATH"));
        assertEquals(CompiledPolicy.MSG_VIOLATION, enumValue(h, "MSG_VIOLATION"));
        assertEquals(CompiledPolicy.MSG_VIOLATION_UNNAMED, enumValue(h, "MSG_VIOLATION_UNNAMED"));
        assertEquals(CompiledPolicy.MSG_SYSCALL_UNKNOWN, enumValue(h, "MSG_SYSCALL_UNKNOWN"));
        assertEquals("'\\00" + (int) CompiledPolicy.MSG_ARG + "'", define(h, "MSG_ARG"));
        String plan = Files.readString(Probes.root().resolve("native/src/plan.h"));
        assertEquals(LaunchPlan.PARENT_RUNNER, Integer.parseInt(define(plan, "PLAN_PARENT_RUNNER").replace("u", "")));
    }
}

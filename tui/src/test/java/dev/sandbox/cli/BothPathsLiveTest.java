package dev.sandbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The enforcer's acceptance probes (EnforcerLiveTest's cases) through every path of the plain form: the JVM path
 * (which compiles the policy and caches it), then sandbox-run with that cache and no JVM to fall back on, and a first
 * run through sandbox-run on an empty cache (its JVM only compiles: FrontCompile). Same exit status, same stdout and
 * stderr byte for byte, same effects. Policies the JVM refuses never reach a cache, so
 * sandbox-run must hand those to the JVM.
 */
class BothPathsLiveTest {
    @TempDir
    static Path tmp;
    static Path noJvm;
    static Path jvmScript;

    @BeforeAll
    static void setUp() throws IOException {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
        noJvm = FrontRun.noJvmScript(tmp);
        jvmScript = FrontRun.jvmScript(tmp);
    }

    private static String policy(String name, String json) throws IOException {
        Path p = tmp.resolve(name + ".json");
        Files.writeString(p, json);
        return p.toString();
    }

    /** One invocation; {@code made} is a path the program may create, {@code madeExpected} whether it must. */
    record Case(String name, List<String> args, String stdin, Path made, boolean madeExpected) {
        Case(String name, String... args) {
            this(name, List.of(args), null, null, false);
        }
    }

    private static List<Case> cases() throws IOException {
        String allowAll = policy("allow-all", "{\"mode\":\"block\",\"syscalls\":[]}");
        String kill = policy("kill", "{\"mode\":\"block\",\"action\":\"kill\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        String errno = policy("errno", "{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        String eacces = policy("eacces", "{\"mode\":\"block\",\"errno\":\"EACCES\",\"syscalls\":[\"mkdir\"]}");
        String rmdir = policy("rmdir", "{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"rmdir\"]}");
        String allow = policy("allow", "{\"mode\":\"allow\",\"syscalls\":[" + EnforcerLiveTest.PROBE_BASE + "]}");
        Path dir = tmp.resolve("made-by-probe");
        Path text = Files.writeString(tmp.resolve("not-executable"), "hello");
        List<Case> c = new ArrayList<>();
        c.add(new Case("same output as bare", "--policy", allowAll, "--exec", "/bin/ls", "-la", "/usr/share/doc"));
        c.add(new Case("arguments verbatim", "--policy", allowAll, "--exec", "/bin/echo", "--verbose", "a  b",
                "--policy", ""));
        c.add(new Case("environment passed on", "--policy", allowAll, "--exec", "/usr/bin/env"));
        c.add(new Case("stdin reaches the program", List.of("--policy", allowAll, "--exec", "/bin/cat"),
                "line one\nline two\n", null, false));
        c.add(new Case("exit code comes back", "--policy", allowAll, "--exec", Probes.path("die"), "exit", "42"));
        c.add(new Case("death by signal is 128+N", "--policy", allowAll, "--exec", Probes.path("die"), "10"));
        c.add(new Case("kill action: 159 and the syscall named",
                List.of("--policy", kill, "--exec", Probes.path("mkdir"), dir.toString()), null, dir, false));
        c.add(new Case("errno action: EPERM",
                List.of("--policy", errno, "--exec", Probes.path("mkdir"), dir.toString()), null, dir, false));
        c.add(new Case("errno action: EACCES",
                List.of("--policy", eacces, "--exec", Probes.path("mkdir"), dir.toString()), null, dir, false));
        c.add(new Case("block mode refuses only what it lists",
                List.of("--policy", rmdir, "--exec", Probes.path("mkdir"), dir.toString()), null, dir, true));
        c.add(new Case("int $0x80 mkdir is killed under an allowlist",
                List.of("--policy", allow, "--exec", Probes.path("int80_mkdir"), dir.toString()), null, dir, false));
        c.add(new Case("x32 getpid is killed under an allowlist", "--policy", allow, "--exec",
                Probes.path("x32_getpid")));
        c.add(new Case("int $0x80 is killed in block mode",
                List.of("--policy", errno, "--exec", Probes.path("int80_mkdir"), dir.toString()), null, dir, false));
        c.add(new Case("forked children inherit the filter",
                List.of("--policy", errno, "--exec", Probes.path("fork_mkdir"), dir.toString()), null, dir, false));
        c.add(new Case("exec'd programs inherit the filter", List.of("--policy", errno, "--exec",
                Probes.path("vfork_exec"), Probes.path("mkdir"), dir.toString()), null, dir, false));
        c.add(new Case("NoNewPrivs and Seccomp in /proc/self/status", "--policy", kill, "--exec",
                Probes.path("status")));
        c.add(new Case("a shipped policy by name", "--policy", "minimal", "--exec", Probes.path("static_hello")));
        c.add(new Case("a missing program is 127", "--policy", allowAll, "--exec", "/no/such/program"));
        c.add(new Case("a program not in PATH is 127", "--policy", allowAll, "--exec", "no-such-program-in-path"));
        c.add(new Case("a program found in PATH", "--policy", allowAll, "--exec", "true"));
        c.add(new Case("a non-executable program is 126", "--policy", allowAll, "--exec", text.toString()));
        c.add(new Case("a program that catches SIGSYS: SIGKILL, 159, named",
                List.of("--policy", kill, "--exec", Probes.path("sigsys_catch"), dir.toString()), null, dir, false));
        c.add(new Case("control characters in a name are escaped", "--policy", allowAll, "--exec",
                "no-such\tprogram\u001b[2J"));
        return c;
    }

    @TestFactory
    @DisplayName("every acceptance probe: the JVM path and sandbox-run give the same status, output and effects")
    List<DynamicTest> samePathsSameResults() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases()) {
            tests.add(dynamicTest(c.name(), () -> {
                String[] args = c.args().toArray(String[]::new);
                SandboxRun jvm = SandboxRun.runWithInput(c.stdin(), args);
                checkEffect(c, "JVM path");
                SandboxRun front = FrontRun.run(noJvm, Map.of(), c.stdin(), args);
                checkEffect(c, "sandbox-run");
                assertEquals(jvm.toString(), front.toString(), "JVM path, then sandbox-run");
                assertFalse(front.err().contains(FrontRun.JVM_REACHED_MESSAGE), front::toString);
                // A first run through sandbox-run: its JVM only compiles (FrontCompile), on an empty cache.
                Path empty = Files.createTempDirectory(tmp, "first-run");
                SandboxRun first = FrontRun.run(jvmScript, Map.of("XDG_CACHE_HOME", empty.toString()), c.stdin(),
                        args);
                checkEffect(c, "first run through sandbox-run");
                // the one difference the program may see is this run's own cache directory (env prints it)
                String mine = "XDG_CACHE_HOME=" + empty;
                String usual = System.getenv("XDG_CACHE_HOME");
                String shown = usual == null ? first.toString().replace(mine + "\n", "")
                        : first.toString().replace(mine, "XDG_CACHE_HOME=" + usual);
                String expected = jvm.toString();
                if (c.args().contains("/usr/bin/env")) {
                    // a changed environment reaches sandbox-run in ProcessBuilder's map order: compare the sets
                    expected = String.join("\n", expected.lines().sorted().toList());
                    shown = String.join("\n", shown.lines().sorted().toList());
                }
                assertEquals(expected, shown, "JVM path, then a first run through sandbox-run");
            }));
        }
        return tests;
    }

    private static void checkEffect(Case c, String path) throws IOException {
        if (c.made() == null) {
            return;
        }
        assertEquals(c.madeExpected(), Files.exists(c.made()), path + ": " + c.made());
        Files.deleteIfExists(c.made());
    }

    @Test
    @DisplayName("the violation report names the syscall on both paths when the kernel log is readable")
    void violationNamed() throws IOException {
        Path dir = tmp.resolve("named");
        String kill = policy("named", "{\"mode\":\"block\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        SandboxRun jvm = SandboxRun.run("--policy", kill, "--exec", Probes.path("mkdir"), dir.toString());
        SandboxRun front = FrontRun.run(noJvm, "--policy", kill, "--exec", Probes.path("mkdir"), dir.toString());
        assertEquals(159, front.exit(), front::toString);
        assertEquals(jvm.err(), front.err());
        String named = "was killed by SIGSYS: policy violation (syscall mkdir is not allowed by " + kill + ")\n";
        if (Files.isReadable(Path.of("/dev/kmsg")) && Probes.isRoot()) {
            assertTrue(front.err().endsWith(named), front::toString);
        }
    }

    /** The pids in a report differ from run to run; the rest must not. */
    private static String samePids(String s) {
        return s.replaceAll("\\b(pid|thread) \\d+", "$1 N");
    }

    @TestFactory
    @DisplayName("violations in the tree: the same report on both paths (the supervisor, no kernel log needed)")
    List<DynamicTest> violationsInTheTree() throws IOException {
        Probes.assumeFeature(dev.sandbox.launch.Supervisor.available(),
                "this kernel has no seccomp user notification (Linux 5.0)");
        String kill = policy("tree", "{\"mode\":\"block\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        Path dir = tmp.resolve("tree");
        Map<String, List<String>> scripts = new java.util.LinkedHashMap<>();
        scripts.put("a grandchild killed by SIGSYS, its parent sees 159", List.of("/bin/sh", "-c",
                "mkdir " + dir + "; echo status $?"));
        scripts.put("the first violation named, the rest counted", List.of("/bin/sh", "-c",
                "for d in a b c; do mkdir " + dir + "$d; done; echo done"));
        scripts.put("one more violation", List.of("/bin/sh", "-c", "mkdir " + dir + "a; mkdir " + dir + "b; true"));
        scripts.put("a grandchild that catches SIGSYS gets SIGKILL", List.of("/bin/sh", "-c",
                Probes.path("sigsys_catch") + " " + dir + "; echo status $?"));
        scripts.put("a grandchild in the program's own kill", List.of(Probes.path("vfork_exec"),
                Probes.path("mkdir"), dir.toString()));
        scripts.put("the program killed after a grandchild", List.of("/bin/sh", "-c",
                "mkdir " + dir + "; exec " + Probes.path("mkdir") + " " + dir));
        List<DynamicTest> tests = new ArrayList<>();
        scripts.forEach((name, command) -> tests.add(dynamicTest(name, () -> {
            List<String> args = new ArrayList<>(List.of("--policy", kill, "--exec"));
            args.addAll(command);
            SandboxRun jvm = SandboxRun.run(args.toArray(String[]::new));
            SandboxRun front = FrontRun.run(noJvm, args.toArray(String[]::new));
            assertFalse(Files.exists(dir), "a violation was carried out");
            assertTrue(jvm.err().contains("policy violation"), jvm::toString);
            assertEquals(samePids(jvm.toString()), samePids(front.toString()), "JVM path, then sandbox-run");
        })));
        return tests;
    }

    @Test
    @DisplayName("names in messages are shown as the JVM shows them, in a UTF-8 locale and in LANG=C")
    void namesInLocales() throws Exception {
        String allowAll = policy("locales", "{\"mode\":\"block\",\"syscalls\":[]}");
        SandboxRun.run("--policy", allowAll, "--exec", "/bin/true");
        for (String lang : new String[] {"C.UTF-8", "C"}) {
            Map<String, String> env = new java.util.HashMap<>();
            env.put("LANG", lang);
            env.put("LC_ALL", null);
            env.put("LC_CTYPE", null);
            String[] args = {"--policy", allowAll, "--exec", "no-such-caf\u00e9-\u0085"};
            ProcessBuilder pb = new ProcessBuilder(SandboxRun.command(args)).directory(Probes.root().toFile());
            env.forEach((k, v) -> {
                if (v == null) {
                    pb.environment().remove(k);
                } else {
                    pb.environment().put(k, v);
                }
            });
            SandboxRun jvm = SandboxRun.finish(pb.start(), 60);
            SandboxRun front = FrontRun.run(noJvm, env, null, args);
            assertEquals(127, jvm.exit(), jvm::toString);
            assertEquals(jvm.toString(), front.toString(), lang);
        }
    }

    @Test
    @DisplayName("policies the JVM refuses never reach the cache: sandbox-run hands them to the JVM")
    void refusedPoliciesGoToTheJvm() throws IOException {
        Path marker = tmp.resolve("marker");
        for (String json : new String[] {"{\"mode\":\"allow\",\"syscalls\":[\"read\"]}", "{mode: allow}",
            "{\"mode\": \"block\", \"syscalls\": [\"mkdri\"]}", ""}) {
            String p = policy("refused", json);
            SandboxRun jvm = SandboxRun.run("--policy", p, "--exec", Probes.path("mkdir"), marker.toString());
            assertEquals(125, jvm.exit(), jvm::toString);
            SandboxRun front = FrontRun.run(noJvm, "--policy", p, "--exec", Probes.path("mkdir"), marker.toString());
            assertEquals(FrontRun.JVM_REACHED, front.exit(), front::toString);
            assertFalse(Files.exists(marker));
        }
    }

    @Test
    @DisplayName("every other form of the command line goes to the JVM, unchanged")
    void otherFormsGoToTheJvm() throws IOException {
        String allowAll = policy("forms", "{\"mode\":\"block\",\"syscalls\":[]}");
        SandboxRun.run("--policy", allowAll, "--exec", "/bin/true");
        for (String[] args : new String[][] {
            {"--verbose", "--policy", allowAll, "--exec", "/bin/true"},
            {"--policy", allowAll, "--exec"},
            {"--policy", "--exec", "--exec", "/bin/true"},
            {"--policy", "@" + allowAll, "--exec", "/bin/true"},
            {"--help"},
        }) {
            SandboxRun front = FrontRun.run(noJvm, args);
            assertEquals(FrontRun.JVM_REACHED, front.exit(), String.join(" ", args) + ": " + front);
        }
        SandboxRun real = FrontRun.run(FrontRun.jvmScript(tmp), "--verbose", "--policy", allowAll, "--exec",
                "/bin/echo", "--sandbox-jvm");
        assertEquals("--sandbox-jvm\n", real.out(), real::toString);
        assertTrue(real.err().contains("started /bin/echo"), real::toString);
    }

    @Test
    @DisplayName("a run with isolation options or a profile goes to the JVM even when the policy is cached")
    void isolationGoesToTheJvm() throws IOException {
        String allowAll = policy("isolated", "{\"mode\":\"block\",\"syscalls\":[]}");
        SandboxRun.run("--policy", allowAll, "--exec", "/bin/true");
        SandboxRun cached = FrontRun.run(noJvm, "--policy", allowAll, "--exec", "/bin/true");
        assertEquals(0, cached.exit(), "the plain form runs from the cache: " + cached);
        for (String[] args : new String[][] {
            {"--policy", allowAll, "--unshare", "user,pid", "--exec", "/bin/sh", "-c", "echo $$"},
            {"--unshare-all", "--policy", allowAll, "--exec", "/bin/sh", "-c", "echo $$"},
            {"--policy", allowAll, "--rlimit", "nofile=64", "--exec", "/bin/true"},
            {"--profile", "minimal", "--exec", Probes.path("static_hello")},
        }) {
            SandboxRun front = FrontRun.run(noJvm, args);
            assertEquals(FrontRun.JVM_REACHED, front.exit(), String.join(" ", args) + ": " + front);
        }
        Probes.assumeFeature(userNamespaces(), "user namespaces are not available to this user");
        SandboxRun real = FrontRun.run(FrontRun.jvmScript(tmp), "--policy", allowAll, "--unshare", "user,pid",
                "--exec", "/bin/sh", "-c", "echo $$");
        assertEquals("2\n", real.out(), "through the front, the JVM runs it in its pid namespace: " + real);
    }

    private static boolean userNamespaces() {
        try {
            return new ProcessBuilder("unshare", "--user", "true").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    @DisplayName("SIGTERM to sandbox-run reaches the program, and it exits 143 when the program dies of it")
    void signalForwarding() throws Exception {
        String allowAll = policy("signals", "{\"mode\":\"block\",\"syscalls\":[]}");
        SandboxRun.run("--policy", allowAll, "--exec", "/bin/true");
        Process p = FrontRun.start(noJvm, Map.of(), "--policy", allowAll, "--exec", "/bin/sleep", "30");
        ProcessHandle sleep = SandboxRun.awaitChild(p, "sleep"); // the program runs
        new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
        SandboxRun r = SandboxRun.finish(p, 20);
        assertEquals(143, r.exit(), r::toString);
        assertEquals("", r.err(), r::toString);
        assertFalse(sleep.isAlive());
    }

    @Test
    @DisplayName("SIGKILL to sandbox-run takes the program with it")
    void parentDeath() throws Exception {
        String allowAll = policy("pdeath", "{\"mode\":\"block\",\"syscalls\":[]}");
        SandboxRun.run("--policy", allowAll, "--exec", "/bin/true");
        Process p = FrontRun.start(noJvm, Map.of(), "--policy", allowAll, "--exec", "/bin/sleep", "30");
        ProcessHandle sleep = SandboxRun.awaitChild(p, "sleep"); // the program runs
        p.destroyForcibly().waitFor();
        sleep.onExit().get(10, TimeUnit.SECONDS); // throws when the program outlives sandbox-run
    }

    @Test
    @DisplayName("run by hand, sandbox-run says it is a helper and exits 125")
    void byHand() throws Exception {
        Process p = new ProcessBuilder(FrontRun.front().toString(), "--policy", "x", "--exec", "/bin/true").start();
        SandboxRun r = SandboxRun.finish(p, 20);
        assertEquals(125, r.exit());
        assertTrue(r.err().contains("internal helper of `sandbox`"), r::toString);
    }
}

package dev.sandbox.cli;

import static dev.sandbox.cli.SandboxRun.bare;
import static dev.sandbox.cli.SandboxRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The learner against the real kernel: real ptrace, C probes, observed effects. Each behaviour is checked in both
 * modes: fast (seccomp-assisted, the default with an allowlist base) and --full (every syscall stops).
 */
class LearnerLiveTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void kernel() {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
    }

    /** policies/base.json without mkdir and mkdirat: the probes' mkdir is then the one unknown syscall. */
    private String baseWithoutMkdir() throws IOException {
        return baseWithoutMkdir(tmp);
    }

    static String baseWithoutMkdir(Path dir) throws IOException {
        JsonObject base = JsonParser.parseString(Files.readString(Probes.root().resolve("policies/base.json")))
                .getAsJsonObject();
        JsonArray kept = new JsonArray();
        base.getAsJsonArray("syscalls").forEach(s -> {
            if (!Set.of("mkdir", "mkdirat").contains(s.getAsString())) {
                kept.add(s);
            }
        });
        base.add("syscalls", kept);
        Path p = dir.resolve("base-no-mkdir.json");
        Files.writeString(p, base.toString());
        return p.toString();
    }

    private SandboxRun learnBlocking(String mode, String... command) throws IOException {
        String[] args = new String[6 + command.length];
        args[0] = "--trace-block-dynamic";
        args[1] = "--on-unknown";
        args[2] = "block";
        args[3] = "--policy";
        args[4] = baseWithoutMkdir();
        args[5] = mode;
        System.arraycopy(command, 0, args, 6, command.length);
        return run(args);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--exec", "--full"})
    @DisplayName("a denied mkdir gets EPERM, nothing is created and the probe exits 0")
    void deniedMkdir(String mode) throws IOException {
        Path dir = tmp.resolve("d");
        SandboxRun r = mode.equals("--full") ? learnBlocking("--full", "--exec", Probes.path("mkdir"), dir.toString())
                : learnBlocking("--exec", Probes.path("mkdir"), dir.toString());
        assertEquals("mkdir EPERM\n", r.out(), r::toString);
        assertEquals(0, r.exit());
        assertFalse(Files.exists(dir));
    }

    @ParameterizedTest(name = "mode {0}")
    @ValueSource(strings = {"fast", "--full"})
    @DisplayName("denials reach a forked child, a vfork+exec child and 8 threads at once")
    void children(String mode) throws IOException {
        Path dir = tmp.resolve("d");
        String m = mode.equals("fast") ? "--verbose" : "--full";
        SandboxRun fork = learnBlocking(m, "--exec", Probes.path("fork_mkdir"), dir.toString());
        assertEquals("child_mkdir EPERM\nchild_exit 0\n", fork.out(), fork::toString);
        SandboxRun vfork = learnBlocking(m, "--exec", Probes.path("vfork_exec"), Probes.path("mkdir"), dir.toString());
        assertEquals("mkdir EPERM\nchild_exit 0\n", vfork.out(), vfork::toString);
        SandboxRun threads = learnBlocking(m, "--exec", Probes.path("threads_mkdir"), "8", dir.toString());
        assertEquals(0, threads.exit(), threads::toString);
        List<String> lines = threads.out().lines().sorted().toList();
        assertEquals(8, lines.size(), threads::toString);
        for (int i = 0; i < 8; i++) {
            assertEquals("thread " + i + " mkdir EPERM", lines.get(i));
            assertFalse(Files.exists(Path.of(dir + "." + i)));
        }
    }

    @ParameterizedTest(name = "mode {0}")
    @ValueSource(strings = {"fast", "--full"})
    @DisplayName("int $0x80 mkdir is decided as i386 mkdir, not as the x86_64 getpid the base allows")
    void int80(String mode) throws IOException {
        Path dir = tmp.resolve("d");
        SandboxRun r = learnBlocking(mode.equals("fast") ? "--verbose" : "--full", "--exec",
                Probes.path("int80_mkdir"), dir.toString());
        assertFalse(Files.exists(dir));
        assertTrue(r.out().equals("int80_mkdir EPERM\n") || r.out().equals("int80_mkdir ENOSYS\n"), r::toString);
        if (mode.equals("fast")) {
            assertTrue(r.err().contains("mkdir(") && r.err().contains("[i386] = BLOCKED"), r::toString);
        }
    }

    @Test
    @DisplayName("signal handlers run under tracing, and death by a signal is 128+N")
    void signals() {
        SandboxRun r = run("--trace-block-dynamic", "--on-unknown", "allow", "--exec", Probes.path("signals"));
        assertEquals("sigusr1_handler ok\nsigchld_handler ok\n", r.out(), r::toString);
        assertEquals(128 + 10, run("--trace-block-dynamic", "--on-unknown", "allow", "--exec", Probes.path("die"),
                "10").exit());
    }

    @Test
    @DisplayName("learn /bin/ls, then enforce what was learned: same output as a bare run")
    void roundTrip() throws IOException {
        Path saved = tmp.resolve("ls.json");
        SandboxRun learn = run("--trace-block-dynamic", "--on-unknown", "allow", "--save", saved.toString(),
                "--exec", "/bin/ls", "/");
        assertEquals(bare("/bin/ls", "/").out(), learn.out());
        SandboxRun enforced = run("--policy", saved.toString(), "--exec", "/bin/ls", "/");
        assertEquals(0, enforced.exit(), enforced::toString);
        assertEquals(bare("/bin/ls", "/").out(), enforced.out());
    }

    @Test
    @DisplayName("the policy learned for /bin/true lists no network syscalls")
    void trueNeedsNoNetwork() throws IOException {
        Path saved = tmp.resolve("true.json");
        run("--trace-block-dynamic", "--on-unknown", "allow", "--save", saved.toString(), "--exec", "/bin/true");
        JsonObject p = JsonParser.parseString(Files.readString(saved)).getAsJsonObject();
        List<String> syscalls = p.getAsJsonArray("syscalls").asList().stream().map(e -> e.getAsString()).toList();
        assertTrue(syscalls.contains("execve") && syscalls.contains("exit_group"), syscalls::toString);
        for (String net : List.of("socket", "connect", "bind", "listen", "accept", "accept4", "sendto", "recvfrom")) {
            assertFalse(syscalls.contains(net), net + " in " + syscalls);
        }
    }

    @Test
    @DisplayName("SIGTERM mid-run: no traced process survives, and the --save file exists and is valid")
    void sigterm() throws Exception {
        Path marker = tmp.resolve("marker");
        Path saved = tmp.resolve("saved.json");
        Process p = SandboxRun.start("--trace-block-dynamic", "--on-unknown", "allow", "--save", saved.toString(),
                "--exec", Probes.path("late_marker"), "2", marker.toString());
        awaitLine(p, "started");
        new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
        SandboxRun r = SandboxRun.finish(p, 30);
        assertEquals(143, r.exit(), r::toString);
        assertTrue(r.err().contains("interrupted by SIGTERM"), r::toString);
        JsonObject policy = JsonParser.parseString(Files.readString(saved)).getAsJsonObject();
        assertEquals("allow", policy.get("mode").getAsString());
        TimeUnit.SECONDS.sleep(3);
        assertFalse(Files.exists(marker), "a traced process outlived the sandbox");
    }

    @Test
    @DisplayName("the sandbox killed with SIGKILL takes its tracees with it")
    void sigkill() throws Exception {
        Path marker = tmp.resolve("marker");
        Process p = SandboxRun.start("--trace-block-dynamic", "--on-unknown", "allow", "--exec",
                Probes.path("late_marker"), "2", marker.toString());
        awaitLine(p, "started");
        p.destroyForcibly().waitFor();
        TimeUnit.SECONDS.sleep(4);
        assertFalse(Files.exists(marker), "a traced process outlived the sandbox");
    }

    @Test
    @DisplayName("with no terminal, ask blocks and says so once; kill ends everything with 137")
    void noTerminalAndKill() throws IOException {
        Path dir = tmp.resolve("d");
        SandboxRun r = run("--trace-block-dynamic", "--policy", baseWithoutMkdir(), "--exec", Probes.path("mkdir"),
                dir + "1", dir + "2");
        assertEquals("mkdir EPERM\nmkdir EPERM\n", r.out(), r::toString);
        assertEquals(1, r.err().lines().filter(l -> l.contains("no terminal")).count(), r::toString);
        SandboxRun k = run("--trace-block-dynamic", "--on-unknown", "kill", "--policy", baseWithoutMkdir(), "--exec",
                Probes.path("mkdir"), dir.toString());
        assertEquals(137, k.exit(), k::toString);
        assertEquals("", k.out());
        assertTrue(k.err().contains("at syscall mkdir"), k::toString);
        assertFalse(Files.exists(dir));
    }

    @Test
    @DisplayName("--verbose prints every syscall and its decision on stderr")
    void verbose() throws IOException {
        SandboxRun r = run("--trace-block-dynamic", "--full", "--verbose", "--on-unknown", "block", "--policy",
                baseWithoutMkdir(), "--exec", Probes.path("mkdir"), "/nonexistent-dir/x");
        assertTrue(r.err().contains("[TRACE] ") && r.err().contains(
                "mkdir(\"/nonexistent-dir/x\", 0700) = BLOCKED (--on-unknown)"), r::toString);
        assertTrue(r.err().matches("(?s).*openat\\(AT_FDCWD, \"[^\"]+\", O_RDONLY\\|O_CLOEXEC\\) = ALLOWED "
                + "\\(base policy\\).*"), r::toString);
        assertEquals("mkdir EPERM\n", r.out());
    }

    private static void awaitLine(Process p, String line) throws IOException {
        java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
        String l;
        while ((l = in.readLine()) != null) {
            if (l.equals(line)) {
                return;
            }
        }
        throw new AssertionError("never printed " + line);
    }
}

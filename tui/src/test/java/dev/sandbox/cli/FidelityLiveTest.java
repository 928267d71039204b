package dev.sandbox.cli;

import static dev.sandbox.cli.SandboxRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The program must not be able to tell it is being learned: its fds 0, 1 and 2 are the ones it was given, its
 * arguments and environment are the bytes they were, whatever the locale. Learned and enforced runs are compared
 * with each other and with bare runs.
 */
class FidelityLiveTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void kernel() {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
    }

    private static final String[] LEARN = {"--trace-block-dynamic", "--on-unknown", "allow", "--full",
        "--no-families"};

    private static String[] learn(Path save, String... command) {
        List<String> a = new ArrayList<>(List.of(LEARN));
        a.addAll(List.of("--save", save.toString(), "--exec"));
        a.addAll(List.of(command));
        return a.toArray(new String[0]);
    }

    /** Runs the sandbox with its stdout going to {@code out} (a regular file); returns the exit status. */
    private static int toFile(Path out, String... args) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(SandboxRun.command(args)).directory(Probes.root().toFile())
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the sandbox did not end");
        return p.exitValue();
    }

    private static Object inode(Path f) throws IOException {
        return Files.getAttribute(f, "unix:dev") + ":" + Files.getAttribute(f, "unix:ino");
    }

    @Test
    @DisplayName("learning: the program's stdout is the very file it was given, not a pipe in between")
    void stdoutIsTheFile() throws Exception {
        Path out = tmp.resolve("out");
        Path report = tmp.resolve("report");
        assertEquals(0, toFile(out, learn(tmp.resolve("p.json"), Probes.path("stdio_kinds"), report.toString(),
                "hello")));
        String[] lines = Files.readString(report).split("\n");
        assertEquals("1 file " + inode(out), lines[1]);
        assertEquals("hello\n", Files.readString(out));
        SandboxRun piped = run(learn(tmp.resolve("q.json"), Probes.path("stdio_kinds"), report.toString()));
        assertTrue(Files.readString(report).contains("1 pipe"), piped::toString);
        JsonObject stdio = meta(tmp.resolve("p.json")).getAsJsonObject("stdio");
        assertEquals("file", stdio.get("stdout").getAsString());
        assertEquals("pipe", meta(tmp.resolve("q.json")).getAsJsonObject("stdio").get("stdout").getAsString());
    }

    @Test
    @DisplayName("cat in > out: learned with stdout to a file it is enforced with stdout to a file (copy_file_range)")
    void catToFile() throws Exception {
        Path in = Files.writeString(tmp.resolve("in"), "line\n".repeat(2000));
        Path policy = tmp.resolve("cat.json");
        assertEquals(0, toFile(tmp.resolve("out1"), learn(policy, "/bin/cat", in.toString())));
        assertEquals(Files.readString(in), Files.readString(tmp.resolve("out1")));
        Path out2 = tmp.resolve("out2");
        assertEquals(0, toFile(out2, "--policy", policy.toString(), "--exec", "/bin/cat", in.toString()));
        assertEquals(Files.readString(in), Files.readString(out2));
        SandboxRun v = run("verify", "--policy", policy.toString());
        assertEquals(0, v.exit(), v::toString);
        assertTrue(v.err().contains("identical") && v.err().contains("same stdout"), v::toString);
    }

    @Test
    @DisplayName("cat in | ...: learned with stdout to a pipe it is enforced with stdout to a pipe")
    void catToPipe() throws Exception {
        Path in = Files.writeString(tmp.resolve("in"), "line\n".repeat(2000));
        Path policy = tmp.resolve("cat.json");
        SandboxRun learned = run(learn(policy, "/bin/cat", in.toString()));
        assertEquals(0, learned.exit(), learned::toString);
        SandboxRun enforced = run("--policy", policy.toString(), "--exec", "/bin/cat", in.toString());
        assertEquals(0, enforced.exit(), enforced::toString);
        assertEquals(Files.readString(in), enforced.out());
    }

    @Test
    @DisplayName("cat in on a terminal: learned on a terminal it is enforced on a terminal")
    void catOnTerminal() throws Exception {
        Probes.assumeFeature(Tmux.available(), "tmux is not installed");
        Path in = Files.writeString(tmp.resolve("in"), "terminal line\n".repeat(20));
        Path policy = tmp.resolve("cat.json");
        Path report = tmp.resolve("report");
        Files.createDirectories(tmp.resolve("a"));
        try (Tmux t = Tmux.start(tmp.resolve("a"), learn(policy, "/bin/cat", in.toString()))) {
            assertEquals(0, t.exitStatus(60), t.screen());
        }
        assertEquals("terminal", meta(policy).getAsJsonObject("stdio").get("stdout").getAsString());
        Files.createDirectories(tmp.resolve("b"));
        try (Tmux t = Tmux.start(tmp.resolve("b"), "--policy", policy.toString(), "--exec", "/bin/cat",
                in.toString())) {
            assertEquals(0, t.exitStatus(60), t.screen());
            assertTrue(t.screen().contains("terminal line"));
        }
        Files.createDirectories(tmp.resolve("c"));
        try (Tmux t = Tmux.start(tmp.resolve("c"), learn(tmp.resolve("k.json"), Probes.path("stdio_kinds"),
                report.toString()))) {
            assertEquals(0, t.exitStatus(60), t.screen());
        }
        assertTrue(Files.readString(report).contains("1 tty"), Files.readString(report));
    }

    @Test
    @DisplayName("verify runs the program with the learning run's kinds of stdio and shows a unified diff")
    void verifySameKindsAndDiff() throws Exception {
        Path report = tmp.resolve("report");
        Path policy = tmp.resolve("k.json");
        assertEquals(0, toFile(tmp.resolve("out"), learn(policy, Probes.path("stdio_kinds"), report.toString(),
                "hello")));
        Files.delete(report);
        SandboxRun v = run("verify", "--policy", policy.toString());
        assertEquals(0, v.exit(), v::toString);
        // verify's own run: stdout a regular file again, although verify itself writes to a pipe here
        assertTrue(Files.readString(report).contains("1 file"), Files.readString(report));
        JsonObject p = JsonParser.parseString(Files.readString(policy)).getAsJsonObject();
        JsonObject outcome = p.getAsJsonObject("metadata").getAsJsonObject("outcome");
        outcome.addProperty("stdout_text", "goodbye\n");
        outcome.addProperty("stdout_sha256", "0".repeat(64));
        Path edited = Files.writeString(tmp.resolve("edited.json"), p.toString());
        SandboxRun d = run("verify", "--policy", edited.toString());
        assertEquals(1, d.exit(), d::toString);
        assertTrue(d.err().contains("stdout differs"), d::toString);
        assertTrue(d.err().contains("--- stdout while learning\n+++ stdout under the policy\n@@ -1 +1 @@\n"
                + "-goodbye\n+hello\n"), d::toString);
    }

    @Test
    @DisplayName("a policy learned in a directory that is not here (another checkout, another machine) still verifies")
    void verifyElsewhere() throws Exception {
        Path policy = tmp.resolve("echo.json");
        assertEquals(0, toFile(tmp.resolve("out"), learn(policy, "/bin/echo", "moved")));
        JsonObject p = JsonParser.parseString(Files.readString(policy)).getAsJsonObject();
        p.getAsJsonObject("metadata").addProperty("cwd", tmp.resolve("gone").toString());
        Path moved = Files.writeString(tmp.resolve("moved.json"), p.toString());
        SandboxRun v = run("verify", "--policy", moved.toString());
        assertEquals(0, v.exit(), v::toString);
        assertTrue(v.err().contains("working directory " + tmp.resolve("gone") + " is not here"), v::toString);
    }

    @Test
    @DisplayName("when the sandbox is killed, what the program wrote is where it wrote it")
    void killedSandboxLosesNothing() throws Exception {
        Path out = tmp.resolve("out");
        Path marker = tmp.resolve("marker");
        Process p = new ProcessBuilder(SandboxRun.command(learn(tmp.resolve("p.json"), "/bin/sh", "-c",
                "echo first; : > " + marker + "; sleep 30"))).directory(Probes.root().toFile())
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(marker)) {
            assertTrue(System.nanoTime() < deadline, "the program never got going");
            Thread.sleep(50);
        }
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
        assertEquals("first\n", Files.readString(out));
    }

    /** argv_hex's line for an argument: its bytes in hex, then whether it opened. */
    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xff));
        }
        return s.toString();
    }

    /**
     * Runs {@code sandbox ARGS} from sh with the locale given, so that arguments can be bytes the test JVM could not
     * pass: an ARG with a backslash is a printf format.
     */
    private SandboxRun shell(String lang, String... printfArgs) throws Exception {
        StringBuilder script = new StringBuilder("exec");
        for (String a : SandboxRun.command()) {
            script.append(" '").append(a.replace("'", "'\\''")).append("'");
        }
        for (String a : printfArgs) {
            // a printf format makes the bytes; the rest is quoted as it is
            script.append(a.contains("\\") ? " \"$(printf '" + a + "')\"" : " '" + a + "'");
        }
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", script.toString()).directory(tmp.toFile());
        Map<String, String> env = pb.environment();
        env.remove("LC_ALL");
        env.remove("LC_CTYPE");
        env.remove("LANG");
        if (lang != null) {
            env.put("LANG", lang);
        }
        Process p = pb.start();
        p.getOutputStream().close();
        return SandboxRun.finish(p, 60);
    }

    @ParameterizedTest(name = "LANG={0}")
    @ValueSource(strings = {"C", ""})
    @DisplayName("arguments reach the program as bytes: café.txt and f\\xff.txt under LANG=C and unset")
    void argumentBytes(String lang) throws Exception {
        byte[] cafe = "café.txt".getBytes(StandardCharsets.UTF_8);
        byte[] ff = {'f', (byte) 0xff, '.', 't', 'x', 't'};
        // the files, made by sh so that their names are exactly these bytes
        assertEquals(0, new ProcessBuilder("sh", "-c", "touch \"$(printf 'caf\\303\\251.txt')\" "
                + "\"$(printf 'f\\377.txt')\"").directory(tmp.toFile()).start().waitFor());
        String expected = hex(cafe) + " open ok\n" + hex(ff) + " open ok\n";
        String l = lang.isEmpty() ? null : lang;
        Path allowAll = Files.writeString(tmp.resolve("all.json"), "{\"mode\":\"block\",\"syscalls\":[]}");
        SandboxRun enforced = shell(l, "--policy", allowAll.toString(), "--exec", Probes.path("argv_hex"),
                "caf\\303\\251.txt", "f\\377.txt");
        assertEquals(expected, enforced.out(), enforced::toString);
        SandboxRun learned = shell(l, "--trace-block-dynamic", "--on-unknown", "allow", "--save",
                "p\\377.json", "--exec", Probes.path("argv_hex"), "caf\\303\\251.txt", "f\\377.txt");
        assertEquals(expected, learned.out(), learned::toString);
        // the policy went to the file named by those bytes, and is read back from it
        assertEquals(0, new ProcessBuilder("sh", "-c", "test -f \"$(printf 'p\\377.json')\"").directory(tmp.toFile())
                .start().waitFor(), learned::toString);
        SandboxRun again = shell(l, "--policy", "p\\377.json", "--exec", Probes.path("argv_hex"),
                "caf\\303\\251.txt");
        assertEquals(hex(cafe) + " open ok\n", again.out(), again::toString);
        assertTrue(again.err().isEmpty(), again::toString);
        SandboxRun verified = shell(l, "verify", "--policy", "p\\377.json");
        assertEquals(0, verified.exit(), verified::toString);
    }

    @Test
    @DisplayName("the environment reaches the program byte for byte, a value that is not UTF-8 included")
    void environment() throws Exception {
        Path allowAll = Files.writeString(tmp.resolve("all.json"), "{\"mode\":\"block\",\"syscalls\":[]}");
        String script = "export ODD=\"$(printf 'a\\377b')\"; \"$@\"";
        byte[] bare = output("sh", "-c", script, "sh", Probes.path("env0"));
        List<String> enforce = new ArrayList<>(List.of("sh", "-c", script, "sh"));
        enforce.addAll(SandboxRun.command("--policy", allowAll.toString(), "--exec", Probes.path("env0")));
        assertArrayEquals(bare, output(enforce.toArray(new String[0])));
        List<String> learn = new ArrayList<>(List.of("sh", "-c", script, "sh"));
        learn.addAll(SandboxRun.command("--trace-block-dynamic", "--on-unknown", "allow", "--exec",
                Probes.path("env0")));
        assertArrayEquals(bare, output(learn.toArray(new String[0])));
    }

    private byte[] output(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out;
    }

    /** A copy of the sandbox script with a stand-in jar, and an empty bin/ for the "java" a test puts there. */
    private Path scriptCopy(String name) throws IOException {
        Path home = tmp.resolve(name);
        Files.createDirectories(home.resolve("tui/target"));
        Files.createDirectories(home.resolve("bin"));
        Files.writeString(home.resolve("tui/target/sandbox.jar"), "");
        Files.copy(Probes.root().resolve("sandbox"), home.resolve("sandbox"));
        home.resolve("sandbox").toFile().setExecutable(true);
        return home;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"unset", "/stale/dir", "."})
    @DisplayName("the sandbox script passes PWD on as it got it (unset, stale, or naming the directory)")
    void wrapperKeepsPwd(String pwd) throws Exception {
        // a "java" that prints the environment it was given
        Path home = scriptCopy("home");
        Files.createSymbolicLink(home.resolve("bin/java"), Path.of(Probes.path("env0")));
        String set = pwd.equals("unset") ? "unset PWD" : pwd.equals(".") ? "export PWD=\"$(pwd -P)\""
                : "export PWD=" + pwd;
        byte[] env = output("sh", "-c", set + "; export PATH=" + home.resolve("bin") + ":/usr/bin:/bin; exec "
                + home.resolve("sandbox") + " --policy x --exec /bin/true");
        String pwdLine = null;
        for (String e : new String(env, StandardCharsets.ISO_8859_1).split("\0")) {
            if (e.startsWith("PWD=")) {
                pwdLine = e;
            }
        }
        if (pwd.equals("unset")) {
            assertEquals(null, pwdLine);
        } else if (pwd.equals(".")) {
            assertEquals("PWD=" + tmp.toRealPath(), pwdLine);
        } else {
            assertEquals("PWD=" + pwd, pwdLine);
        }
        assertFalse(new String(env, StandardCharsets.ISO_8859_1).isEmpty());
    }

    @Test
    @DisplayName("the sandbox script: a closed stdin or stderr is /dev/null for the JVM and named in sandbox.closed")
    void wrapperNamesClosedFds() throws Exception {
        // a "java" that says what its fds are and what it was given
        Path home = scriptCopy("home-closed");
        Path java = Files.writeString(home.resolve("bin/java"), "#!/bin/sh\n"
                + "for f in 0 1 2; do [ -e /proc/self/fd/$f ] && printf 'open %s\\n' $f; done\n"
                + "printf '%s\\n' \"$@\" | grep '^-Dsandbox.closed='\n");
        java.toFile().setExecutable(true);
        byte[] out = output("sh", "-c", "export PATH=" + home.resolve("bin") + ":/usr/bin:/bin; exec "
                + home.resolve("sandbox") + " --verbose --policy x --exec /bin/true <&- 2>&-");
        assertEquals("open 0\nopen 1\nopen 2\n-Dsandbox.closed=0,2\n", new String(out, StandardCharsets.UTF_8));
        out = output("sh", "-c", "export PATH=" + home.resolve("bin") + ":/usr/bin:/bin; exec "
                + home.resolve("sandbox") + " --verbose --policy x --exec /bin/true");
        assertEquals("open 0\nopen 1\nopen 2\n-Dsandbox.closed=\n", new String(out, StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("a standard fd closed when the sandbox started is closed for the program, enforced and learning")
    void closedStdioStaysClosed() throws Exception {
        Path report = tmp.resolve("closed-report");
        String allowAll = Files.writeString(tmp.resolve("all.json"), "{\"mode\":\"block\",\"syscalls\":[]}")
                .toString();
        for (List<String> args : List.of(
                List.of("--policy", allowAll, "--exec", Probes.path("stdio_kinds"), report.toString()),
                List.of(learn(tmp.resolve("c.json"), Probes.path("stdio_kinds"), report.toString())))) {
            List<String> cmd = new ArrayList<>(SandboxRun.command(args.toArray(new String[0])));
            cmd.add(1, "-Dsandbox.closed=0,2"); // as the sandbox script says it (wrapperNamesClosedFds)
            Process p = new ProcessBuilder(cmd).directory(Probes.root().toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), args::toString);
            String[] lines = Files.readString(report).split("\n");
            assertTrue(lines[0].startsWith("0 closed"), args + ": " + lines[0]);
            assertTrue(lines[1].startsWith("1 pipe"), args + ": " + lines[1]);
            assertTrue(lines[2].startsWith("2 closed"), args + ": " + lines[2]);
        }
    }

    private static JsonObject meta(Path policy) throws IOException {
        return JsonParser.parseString(Files.readString(policy)).getAsJsonObject().getAsJsonObject("metadata");
    }
}

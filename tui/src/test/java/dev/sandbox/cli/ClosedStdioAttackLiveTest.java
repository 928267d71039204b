package dev.sandbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sandbox.testing.Probes;
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

/**
 * Found by attacking the closed-stdio and cached-warning changes: what a learning run with a closed stdin records for
 * verify, and how a cached run names a policy the search found in a directory with control characters.
 */
class ClosedStdioAttackLiveTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void kernel() {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
    }

    @Test
    @DisplayName("learning with stdin closed records it closed, and verify gives the program a closed stdin again")
    void verifyAfterLearningWithClosedStdin() throws Exception {
        Path report = tmp.resolve("report");
        Path policy = tmp.resolve("closed.json");
        List<String> cmd = new ArrayList<>(SandboxRun.command("--trace-block-dynamic", "--on-unknown", "allow",
                "--save", policy.toString(), "--exec", Probes.path("stdio_kinds"), report.toString(), "x"));
        // What the sandbox script does under `<&-`: /dev/null on fd 0, and sandbox.closed=0.
        cmd.add(1, "-Dsandbox.closed=0");
        Process p = new ProcessBuilder(cmd).directory(Probes.root().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(tmp.resolve("out").toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        assertTrue(Files.readString(report).startsWith("0 closed"), Files.readString(report));
        JsonObject stdio = JsonParser.parseString(Files.readString(policy)).getAsJsonObject()
                .getAsJsonObject("metadata").getAsJsonObject("stdio");
        // Recorded as "null" (the script's stand-in), so verify runs the program with /dev/null on fd 0: stdio_kinds
        // then calls isatty(0), an ioctl the learning run never made, and verify says "different" (SIGSYS).
        assertEquals("closed", stdio.get("stdin").getAsString(), stdio::toString);
        SandboxRun v = SandboxRun.run("verify", "--policy", policy.toString());
        assertEquals(0, v.exit(), v::toString);
        assertTrue(Files.readString(report).startsWith("0 closed"), Files.readString(report));
    }

    @Test
    @DisplayName("a cached run escapes a searched policy's path in the loader's warnings, as the JVM path does")
    void cachedWarningEscapesSearchedPath() throws Exception {
        Path config = Files.createDirectories(tmp.resolve("c\n\u001bfg/sandbox/policies"));
        Files.writeString(config.resolve("warned.json"), "{\"mode\":\"block\",\"syscalls\":[\"mkdir\",\"mkdir\"]}");
        Path script = FrontRun.jvmScript(tmp);
        Map<String, String> env = Map.of("XDG_CONFIG_HOME", tmp.resolve("c\n\u001bfg").toString(),
                "XDG_CACHE_HOME", tmp.resolve("cache").toString());
        SandboxRun first = FrontRun.run(script, env, null, "--policy", "warned", "--exec", "/bin/true");
        SandboxRun cached = FrontRun.run(script, env, null, "--policy", "warned", "--exec", "/bin/true");
        assertEquals(0, first.exit(), first::toString);
        assertTrue(first.err().contains("c\\n\\x1bfg/sandbox/policies/warned.json:1:"), first::toString);
        assertEquals(first.err(), cached.err());
        assertTrue(!cached.err().contains("\u001b"), () -> new String(cached.err().getBytes(StandardCharsets.UTF_8),
                StandardCharsets.UTF_8));
    }
}

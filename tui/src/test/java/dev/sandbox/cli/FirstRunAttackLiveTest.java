package dev.sandbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Found by attacking sandbox-run's first run (native/src/recipe.h) from outside: cases where it must behave as the
 * JVM path does and did not. Each test runs the same command both ways, each with a cache of its own (so that each
 * is a first run), and compares what a person sees of the program.
 */
class FirstRunAttackLiveTest {
    @TempDir
    Path tmp;
    Path jvm;
    String policy;
    Path dir;

    @BeforeEach
    void setUp() throws IOException {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
        jvm = FrontRun.jvmScript(tmp);
        policy = Files.writeString(tmp.resolve("p.json"),
                "{\"mode\":\"block\",\"action\":\"errno\",\"errno\":\"EACCES\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}")
                .toString();
        dir = tmp.resolve("made");
    }

    private Path cache(String name) throws IOException {
        return Files.createDirectory(tmp.resolve(name));
    }

    @Test
    @DisplayName("a JVM option that logs to stdout (JAVA_TOOL_OPTIONS=-Xlog:gc) does not break a first run's exchange")
    void jvmLogsToStdout() throws IOException {
        Map<String, String> env = Map.of("JAVA_TOOL_OPTIONS", "-Xlog:gc");
        // the JVM path runs the program (its stdout also carries the JVM's log lines: that is the option's doing)
        SandboxRun viaJvm = run(true, env, cache("jvm"), null, policy);
        assertEquals(0, viaJvm.exit(), viaJvm::toString);
        assertTrue(viaJvm.out().contains("mkdir EACCES\n"), viaJvm::toString);
        SandboxRun first = run(false, env, cache("front"), null, policy);
        assertEquals(0, first.exit(), first::toString);
        assertTrue(first.out().contains("mkdir EACCES\n"), first::toString);
    }

    @Test
    @DisplayName("--policy /dev/stdin with stdin redirected from a policy file: the first run runs it, as the JVM path does")
    void policyOnStdin() throws IOException {
        Path file = Path.of(policy);
        SandboxRun viaJvm = run(true, Map.of(), cache("jvm"), file, "/dev/stdin");
        assertEquals(0, viaJvm.exit(), viaJvm::toString);
        assertEquals("mkdir EACCES\n", viaJvm.out(), viaJvm::toString);
        SandboxRun first = run(false, Map.of(), cache("front"), file, "/dev/stdin");
        assertEquals(viaJvm.toString(), first.toString());
    }

    /**
     * {@code sandbox --policy P --exec mkdir DIR}: through sandbox-run, or the JVM path whole ({@code viaJvm}), with
     * stdin from {@code stdin} (null: /dev/null) and this cache.
     */
    private SandboxRun run(boolean viaJvm, Map<String, String> env, Path cacheHome, Path stdin, String p) {
        String[] args = {"--policy", p, "--exec", Probes.path("mkdir"), dir.toString()};
        List<String> cmd = viaJvm ? SandboxRun.command(args) : FrontRun.command(jvm, args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Probes.root().toFile());
        pb.environment().putAll(env);
        pb.environment().put("XDG_CACHE_HOME", cacheHome.toString());
        pb.redirectInput(stdin != null ? stdin.toFile() : new java.io.File("/dev/null"));
        try {
            return SandboxRun.finish(pb.start(), 60);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}

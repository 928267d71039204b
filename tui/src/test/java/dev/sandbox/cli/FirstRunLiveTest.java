package dev.sandbox.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A first run through sandbox-run (native/src/recipe.h): its JVM only compiles, with no native bindings, while
 * sandbox-run carries out the filter's libseccomp calls and runs the program. What it stores must be what the JVM
 * path stores, byte for byte, and what a person sees must be the same too.
 */
class FirstRunLiveTest {
    @TempDir
    Path tmp;
    Path jvm;

    @BeforeEach
    void setUp() throws IOException {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
        jvm = FrontRun.jvmScript(tmp);
    }

    private String policy(String name, String json) throws IOException {
        Path p = tmp.resolve(name + ".json");
        Files.writeString(p, json);
        return p.toString();
    }

    private Path cache(String name) throws IOException {
        return Files.createDirectory(tmp.resolve(name));
    }

    /** Every entry of a cache by file name (JNA's own directory aside). */
    private static Map<String, byte[]> entries(Path cacheHome) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(cacheHome.resolve("sandbox"))) {
            for (Path p : s.toList()) {
                out.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    @Test
    @DisplayName("the entries a first run stores are the JVM path's, byte for byte, for every kind of policy")
    void sameEntries() throws IOException {
        List<String> policies = List.of(
                policy("allow", "{\"mode\":\"allow\",\"syscalls\":[" + EnforcerLiveTest.PROBE_BASE + "]}"),
                policy("i386", "{\"mode\":\"allow\",\"syscalls\":[" + EnforcerLiveTest.PROBE_BASE
                        + ",\"i386:write\",\"i386:exit_group\",\"i386:socketcall\"]}"),
                policy("kill", "{\"mode\":\"block\",\"action\":\"kill\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}"),
                policy("eacces", "{\"mode\":\"block\",\"errno\":\"EACCES\",\"syscalls\":[\"mkdir\"]}"),
                policy("rules", "{\"mode\":\"allow\",\"syscalls\":[" + EnforcerLiveTest.PROBE_BASE + "],"
                        + "\"rules\":[{\"syscalls\":[\"mkdir\",\"mkdirat\"],\"action\":\"errno\",\"errno\":\"EROFS\"},"
                        + "{\"syscalls\":[\"rmdir\"],\"action\":\"kill\"}],\"known_up_to\":\"futex_requeue\"}"),
                policy("numbered", "{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"1000\",\"mkdir\"]}"));
        int n = 0;
        for (String p : policies) {
            Path viaJvm = cache("jvm" + n);
            Path viaFront = cache("front" + n++);
            SandboxRun a = jvmPath(viaJvm, "--policy", p, "--exec", "/bin/true");
            SandboxRun b = FrontRun.run(jvm, Map.of("XDG_CACHE_HOME", viaFront.toString()), null,
                    "--policy", p, "--exec", "/bin/true");
            assertEquals(0, a.exit(), a::toString);
            assertEquals(a.toString(), b.toString(), p);
            Map<String, byte[]> jvmEntries = entries(viaJvm);
            Map<String, byte[]> frontEntries = entries(viaFront);
            jvmEntries.keySet().removeIf(k -> k.equals("JNA"));
            assertEquals(jvmEntries.keySet(), frontEntries.keySet(), p);
            assertEquals(2, frontEntries.size(), "the policy's entry and the build entry: " + frontEntries.keySet());
            jvmEntries.forEach((k, v) -> assertArrayEquals(v, frontEntries.get(k), p + ": " + k));
        }
    }

    /** The JVM path (the plain form run whole in the JVM, with JNA), with this cache. */
    private static SandboxRun jvmPath(Path cacheHome, String... args) {
        ProcessBuilder pb = new ProcessBuilder(SandboxRun.command(args)).directory(Probes.root().toFile());
        pb.environment().put("XDG_CACHE_HOME", cacheHome.toString());
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            return SandboxRun.finish(p, 60);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    @DisplayName("the compiling JVM loads no JNA and starts no lambda machinery (the first-run cost it avoids)")
    void noNativeBindings() throws IOException {
        Path log = tmp.resolve("classes.log");
        // as on any machine with a build: the names and sentences come from the build entry
        SandboxRun r = FrontRun.run(checkoutWithBuildEntry(), Map.of("XDG_CACHE_HOME", cache("c").toString(),
                "JAVA_TOOL_OPTIONS", "-Xlog:class+load:file=" + log), null,
                "--policy", policy("p", "{\"mode\":\"block\",\"action\":\"kill\",\"syscalls\":[\"mkdir\"]}"),
                "--exec", "/bin/true");
        assertEquals(0, r.exit(), r::toString);
        String loaded = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(loaded.contains("dev.sandbox.cli.FrontCompile"), "the compile ran");
        assertTrue(loaded.contains("dev.sandbox.cache.PolicyCache"), "and stored its entry");
        List<String> bad = new ArrayList<>();
        for (String line : loaded.split("\n")) {
            if (line.contains(" com.sun.jna.") || line.contains("$$Lambda") || line.contains("LambdaMetafactory")
                    || line.contains("dev.sandbox.jna.LibC ") || line.contains("dev.sandbox.jna.LibSeccomp ")) {
                bad.add(line);
            }
        }
        assertEquals(List.of(), bad);
    }

    @Test
    @DisplayName("a policy the JVM refuses: the same words and exit code as the JVM path, and nothing cached")
    void refused() throws IOException {
        Path c = cache("c");
        // unknown syscall, malformed JSON, and policies no program can start under (an allowlist without execve,
        // a blocklist of it)
        for (String json : new String[] {"{\"mode\":\"allow\",\"syscalls\":[\"opn\"]}", "{\"mode\":\"allow\"",
            "{\"mode\":\"allow\",\"syscalls\":[]}", "{\"mode\":\"block\",\"syscalls\":[\"execve\"]}"}) {
            String p = policy("bad", json);
            SandboxRun viaJvm = SandboxRun.run("--policy", p, "--exec", "/bin/true");
            SandboxRun first = FrontRun.run(jvm, Map.of("XDG_CACHE_HOME", c.toString()), null,
                    "--policy", p, "--exec", "/bin/true");
            assertEquals(viaJvm.toString(), first.toString(), json);
            assertTrue(viaJvm.exit() != 0, viaJvm::toString);
        }
        assertFalse(Files.exists(c.resolve("sandbox")), "nothing is cached for a refused policy");
    }

    @Test
    @DisplayName("a cache that cannot be written: the first run still runs the program, and says nothing")
    void unwritableCache() throws IOException {
        Path file = Files.writeString(tmp.resolve("not-a-directory"), "x");
        Path dir = tmp.resolve("made");
        String p = policy("p", "{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        SandboxRun r = FrontRun.run(jvm, Map.of("XDG_CACHE_HOME", file.toString()), null, "--policy", p, "--exec",
                Probes.path("mkdir"), dir.toString());
        assertEquals("mkdir EPERM\n", r.out(), r::toString);
        assertEquals("", r.err());
        assertEquals(0, r.exit());
        assertFalse(Files.exists(dir));
    }

    /**
     * A checkout of this build in {@code tmp}: the script sandbox-run goes back to, and next to it the build entry
     * the build makes (tui/target/sandbox-build.entry), made here by this build's code.
     */
    private Path checkoutWithBuildEntry() throws IOException {
        Path home = Files.createDirectories(tmp.resolve("checkout/tui/target")).getParent().getParent();
        Files.write(home.resolve("tui/target/sandbox-build.entry"), dev.sandbox.cache.CompiledPolicy.names().bytes());
        return FrontRun.jvmScript(home);
    }

    @Test
    @DisplayName("the checkout's build entry serves a first run: only the policy's entry is made, and it runs")
    void buildEntry() throws IOException {
        Path script = checkoutWithBuildEntry();
        Path c = cache("c");
        Path dir = tmp.resolve("made");
        String p = policy("p", "{\"mode\":\"block\",\"action\":\"kill\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        SandboxRun r = FrontRun.run(script, Map.of("XDG_CACHE_HOME", c.toString()), null, "--policy", p, "--exec",
                Probes.path("mkdir"), dir.toString());
        assertEquals(SandboxRun.run("--policy", p, "--exec", Probes.path("mkdir"), dir.toString()).toString(),
                r.toString(), "the sentences come from the build entry");
        assertEquals(159, r.exit(), r::toString);
        assertEquals(1, entries(c).size(), "the names and sentences came from the build entry");
        assertFalse(Files.exists(dir));
    }

    @Test
    @DisplayName("the loader's warnings are said by the JVM path, the first run and a run from the cache alike")
    void warnings() throws IOException {
        String p = policy("dup", "{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"mkdir\",\"mkdir\","
                + "\"mkdirat\"]}");
        String[] args = {"--policy", p, "--exec", Probes.path("mkdir"), tmp.resolve("made").toString()};
        Path c = cache("c");
        SandboxRun viaJvm = jvmPath(cache("j"), args);
        SandboxRun first = FrontRun.run(jvm, Map.of("XDG_CACHE_HOME", c.toString()), null, args);
        SandboxRun cached = FrontRun.run(FrontRun.noJvmScript(tmp), Map.of("XDG_CACHE_HOME", c.toString()), null,
                args);
        assertTrue(viaJvm.err().contains("policy " + p + ":1:"), viaJvm::toString);
        assertTrue(viaJvm.err().contains(": \"mkdir\" is listed more than once"), viaJvm::toString);
        assertEquals(viaJvm.toString(), first.toString(), "the first run");
        assertEquals(viaJvm.toString(), cached.toString(), "a run from the cache");
    }

    @Test
    @DisplayName("FrontCompile's constants agree with recipe.h")
    void constants() throws IOException {
        String h = Files.readString(Probes.root().resolve("native/src/recipe.h"));
        for (Object[] c : new Object[][] {{"REQUEST_MAGIC", FrontCompile.REQUEST_MAGIC},
            {"REPLY_MAGIC", FrontCompile.REPLY_MAGIC}, {"REQUEST_NAMES_CURRENT", FrontCompile.REQUEST_NAMES_CURRENT},
            {"REPLY_RECIPE", FrontCompile.REPLY_RECIPE}, {"REPLY_ENTRY", FrontCompile.REPLY_ENTRY},
            {"REPLY_JVM", FrontCompile.REPLY_JVM}}) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("#define " + c[0] + "\\s+(0x[0-9a-f]+|\\d+)u?")
                    .matcher(h);
            assertTrue(m.find(), c[0] + " in recipe.h");
            assertEquals((long) (int) c[1], (long) (int) (long) Long.decode(m.group(1)), (String) c[0]);
        }
        assertTrue(h.contains("#define COMPILE_ARG     \"" + Main.FRONT_COMPILE + "\""));
        assertTrue(h.contains("#define COMPILE_REQUEST_FD 3") && FrontCompile.REQUEST.equals("/proc/self/fd/3"));
        assertTrue(h.contains("#define COMPILE_REPLY_FD   4") && FrontCompile.REPLY.equals("/proc/self/fd/4"));
    }

    @Test
    @DisplayName("more warnings than an entry holds: the JVM path runs the policy, and each warning is said once")
    void tooManyWarnings() throws IOException {
        StringBuilder json = new StringBuilder("{\"mode\":\"block\",\"syscalls\":[\"mkdir\"");
        for (int i = 0; i < 90_000; i++) {
            json.append(",\"mkdir\"");
        }
        String p = policy("many", json.append("]}").toString());
        Path c = cache("c");
        SandboxRun first = FrontRun.run(jvm, Map.of("XDG_CACHE_HOME", c.toString()), null, "--policy", p, "--exec",
                "/bin/true");
        assertEquals(0, first.exit(), () -> first.err().lines().limit(3).toList().toString());
        assertEquals(90_000, first.err().lines().count());
        assertFalse(Files.exists(c.resolve("sandbox")) && entries(c).size() > 1, "no entry too large to be read");
    }
}

package dev.sandbox.cli;

import static dev.sandbox.cli.SandboxRun.bare;
import static dev.sandbox.cli.SandboxRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.isolation.Landlock;
import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each shipped profile runs its program as a bare run does, inside its isolation. */
class ProfilesTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void kernel() {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
        Probes.assumeFeature(Landlock.abi() > 0, "Landlock: " + Landlock.unavailabilityCause());
    }

    private static final String NODE_FILE = "/tmp/sandbox-node-safe-" + ProcessHandle.current().pid();

    static Stream<Arguments> programs() {
        return Stream.of(
                Arguments.of("minimal", List.of(Probes.path("static_hello"))),
                Arguments.of("python-safe", List.of("/usr/bin/python3", "-c",
                        "import os, json; print(json.dumps(sorted(os.listdir('/etc/apt'))))")),
                // The bare run writes the host's /tmp: a name of this run's own, so another user's leftover cannot
                // refuse it (the sandboxed run writes its private /tmp).
                Arguments.of("node-safe", List.of("/usr/bin/node", "-e",
                        "const fs = require('fs'); fs.writeFileSync('" + NODE_FILE + "', 'written'); "
                                + "console.log(require('os').platform(), 6 * 7, fs.readFileSync('" + NODE_FILE
                                + "', 'utf8')); fs.unlinkSync('" + NODE_FILE + "')")),
                Arguments.of("shell-readonly", List.of("/bin/sh", "-c", "echo hi; cd /tmp; pwd")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    @DisplayName("the shipped profile runs its program with the output of a bare run")
    void runsItsProgram(String profile, List<String> command) {
        Probes.assumeFeature(Files.isExecutable(Path.of(command.get(0))), command.get(0) + " is not installed "
                + "(.ci/run installs it)");
        List<String> args = new ArrayList<>(List.of("--profile", profile, "--exec"));
        args.addAll(command);
        // From /: a profile's tmpfs on /tmp hides a checkout there, and with it the working directory.
        SandboxRun r = SandboxRun.runIn(Path.of("/"), null, args.toArray(String[]::new));
        assertEquals(0, r.exit(), r::toString);
        assertEquals(bare(command.toArray(String[]::new)).out(), r.out(), r::toString);
    }

    @Test
    @DisplayName("shell-readonly: the shell reads but cannot write, and has no network")
    void shellReadonly() throws IOException {
        Path f = tmp.resolve("f");
        SandboxRun r = run("--profile", "shell-readonly", "--exec", "/bin/sh", "-c", "echo x > " + f);
        assertFalse(Files.exists(f), r::toString);
        assertTrue(r.err().contains("Read-only file system"), r::toString);
    }

    @Test
    @DisplayName("command-line options override the profile's settings and add to its lists")
    void optionsOverride() throws IOException {
        Path profile = Files.writeString(tmp.resolve("p.json"), "{\"mode\":\"block\",\"syscalls\":[],"
                + "\"isolation\":{\"unshare\":\"pid\",\"hostname\":\"fromprofile\",\"rlimits\":{\"nofile\":64}}}");
        SandboxRun r = run("--profile", profile.toString(), "--unshare", "uts", "--hostname", "fromcli", "--exec",
                "/bin/sh", "-c", "echo $$; hostname; ulimit -n");
        assertEquals("2\nfromcli\n64\n", r.out(), r::toString);
        SandboxRun r2 = run("--profile", profile.toString(), "--rlimit", "nofile=32", "--exec", "/bin/sh", "-c",
                "ulimit -n");
        assertEquals("32\n", r2.out(), r2::toString);
    }

    @Test
    @DisplayName("a bad value in the isolation section is refused with file:line:col and a caret")
    void badProfile() throws IOException {
        Path profile = Files.writeString(tmp.resolve("bad.json"), "{\"mode\":\"block\",\"syscalls\":[],\n"
                + "  \"isolation\": {\n    \"rlimits\": {\"nofile\": \"lots\"}\n  }\n}\n");
        SandboxRun r = run("--profile", profile.toString(), "--exec", "/bin/true");
        assertEquals(125, r.exit(), r::toString);
        assertTrue(r.err().contains(profile + ":3:27: --rlimit nofile=lots: \"lots\" is not a number"), r::toString);
        assertTrue(r.err().contains("^"), r::toString);
        SandboxRun missing = run("--profile", "no-such-profile", "--exec", "/bin/true");
        assertEquals(125, missing.exit());
        assertTrue(missing.err().contains("no profile named \"no-such-profile\" (looked in profiles/no-such-profile"
                + ".json"), missing::toString);
    }

    @Test
    @DisplayName("learning --into a profile keeps its isolation section, and the result is still a profile")
    void intoProfile() throws IOException {
        Path profile = tmp.resolve("mine.json");
        Files.copy(Probes.root().resolve("profiles/minimal.json"), profile);
        String section = com.google.gson.JsonParser.parseString(Files.readString(profile)).getAsJsonObject()
                .get("isolation").toString();
        SandboxRun learn = run("--trace-block-dynamic", "--on-unknown", "allow", "--into", profile.toString(),
                "--exec", "/bin/true");
        assertEquals(0, learn.exit(), learn::toString);
        assertEquals(section, com.google.gson.JsonParser.parseString(Files.readString(profile)).getAsJsonObject()
                .get("isolation").toString());
        SandboxRun enforced = run("--profile", profile.toString(), "--exec", "/bin/true");
        assertEquals(0, enforced.exit(), enforced::toString);
    }
}

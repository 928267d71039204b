package dev.sandbox.cli;

import static dev.sandbox.cli.SandboxRun.bare;
import static dev.sandbox.cli.SandboxRun.run;
import static dev.sandbox.cli.SandboxRun.runWithInput;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sandbox.testing.Probes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every shipped policy runs its program in static mode with the same output as a bare run. */
class PolicyFilesTest {
    @BeforeAll
    static void kernel() {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
    }

    static Stream<Arguments> runs() {
        return Stream.of(
                Arguments.of("ls", List.of("/bin/ls", "/")),
                Arguments.of("ls", List.of("/bin/ls", "-la", "/usr/share/doc")),
                Arguments.of("ls", List.of("/bin/ls", "-lR", "/etc/apt")),
                Arguments.of("echo", List.of("/bin/echo", "hello", "world")),
                Arguments.of("cat", List.of("/bin/cat", "/etc/os-release")),
                Arguments.of("sh", List.of("/bin/sh", "-c", "echo hi; cd /tmp; pwd")),
                Arguments.of("sh", List.of("/bin/sh", "-c", "x=$(echo y); /bin/true && echo $x")),
                Arguments.of("python3", List.of("/usr/bin/python3", "-c", "print(6 * 7)")));
    }

    @ParameterizedTest(name = "policies/{0}.json runs {1}")
    @MethodSource("runs")
    void shippedPolicy(String policy, List<String> cmd) {
        Probes.assumeFeature(java.nio.file.Files.isExecutable(java.nio.file.Path.of(cmd.get(0))),
                cmd.get(0) + " is not installed");
        List<String> sandboxed = new java.util.ArrayList<>(List.of("--policy", policy, "--exec"));
        sandboxed.addAll(cmd);
        SandboxRun expected = bare(cmd.toArray(String[]::new));
        SandboxRun actual = run(sandboxed.toArray(String[]::new));
        assertEquals(expected.exit(), actual.exit(), actual::toString);
        assertEquals(expected.out(), actual.out());
        assertEquals(expected.err(), actual.err());
    }

    @org.junit.jupiter.api.Test
    @DisplayName("policies/cat.json copies stdin to stdout")
    void catStdin() {
        assertEquals("through the filter\n", runWithInput("through the filter\n", "--policy", "cat", "--exec",
                "/bin/cat").out());
    }
}

package dev.sandbox.cli;

import static dev.sandbox.cli.SandboxRun.bare;
import static dev.sandbox.cli.SandboxRun.run;
import static dev.sandbox.cli.SandboxRun.runWithInput;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sandbox.testing.Probes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every shipped policy runs its program in static mode with the same output as a bare run. */
class PolicyFilesTest {
    @BeforeAll
    static void kernel() {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
    }

    @ParameterizedTest(name = "policies/{0}.json runs {1} {2}")
    @CsvSource(delimiter = '|', textBlock = """
        ls   | /bin/ls   | /
        ls   | /bin/ls   | -la /usr/share/doc
        ls   | /bin/ls   | -lR /etc/apt
        echo | /bin/echo | hello world
        cat  | /bin/cat  | /etc/os-release
        """)
    void shippedPolicy(String policy, String program, String args) {
        String[] argv = args.split(" ");
        String[] cmd = new String[argv.length + 1];
        cmd[0] = program;
        System.arraycopy(argv, 0, cmd, 1, argv.length);
        String[] sandboxed = new String[cmd.length + 3];
        sandboxed[0] = "--policy";
        sandboxed[1] = policy;
        sandboxed[2] = "--exec";
        System.arraycopy(cmd, 0, sandboxed, 3, cmd.length);
        SandboxRun expected = bare(cmd);
        SandboxRun actual = run(sandboxed);
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

package dev.sandbox.cli;

import static dev.sandbox.cli.SandboxRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.launch.Supervisor;
import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A violation anywhere in the tree is named (process, executable, syscall), without root and without the kernel log,
 * and the violator still dies as under SECCOMP_RET_KILL_PROCESS: of SIGSYS, as its parent sees it.
 */
class ViolationLiveTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void kernel() {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
        Probes.assumeFeature(Supervisor.available(), "this kernel has no seccomp user notification (Linux 5.0)");
    }

    private String blockMkdir() throws IOException {
        return Files.writeString(tmp.resolve("p.json"), "{\"mode\":\"block\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}")
                .toString();
    }

    @Test
    @DisplayName("a grandchild killed by the filter is named, and its parent sees it die of SIGSYS (159)")
    void grandchild() throws IOException {
        Path dir = tmp.resolve("d");
        SandboxRun r = run("--policy", blockMkdir(), "--exec", "/bin/sh", "-c", "mkdir " + dir + "; echo status $?");
        assertEquals("status 159\n", r.out(), r::toString);
        assertEquals(0, r.exit(), r::toString);
        assertFalse(Files.exists(dir));
        assertTrue(Pattern.compile("sandbox: policy violation in pid \\d+ \\(/usr/bin/mkdir\\): syscall mkdir, "
                + "killed by SIGSYS \\(not allowed by .*p.json\\)").matcher(r.err()).find(), r::toString);
    }

    @Test
    @DisplayName("the first violation is named; --verbose lists each")
    void verboseListsEach() throws IOException {
        String script = "for d in a b c; do mkdir " + tmp + "/$d; done";
        SandboxRun quiet = run("--policy", blockMkdir(), "--exec", "/bin/sh", "-c", script);
        assertEquals(1, count(quiet.err(), "policy violation in pid"), quiet::toString);
        assertTrue(quiet.err().contains("and 2 more policy violations (--verbose lists each)"), quiet::toString);
        SandboxRun loud = run("--verbose", "--policy", blockMkdir(), "--exec", "/bin/sh", "-c", script);
        assertEquals(3, count(loud.err(), "policy violation in pid"), loud::toString);
    }

    private static int count(String s, String what) {
        return s.split(Pattern.quote(what), -1).length - 1;
    }

    @Test
    @DisplayName("the program itself: killed by SIGSYS, 159, with the syscall named also without root")
    void program() throws IOException {
        Path dir = tmp.resolve("d");
        SandboxRun r = run("--policy", blockMkdir(), "--exec", Probes.path("mkdir"), dir.toString());
        assertEquals(159, r.exit(), r::toString);
        assertTrue(r.err().contains("was killed by SIGSYS: policy violation (syscall mkdir is not allowed by"),
                r::toString);
        assertFalse(Files.exists(dir));
    }

    @Test
    @DisplayName("a program that catches SIGSYS still cannot handle the kill: its handler never runs")
    void caught() throws IOException {
        Path dir = tmp.resolve("d");
        SandboxRun r = run("--policy", blockMkdir(), "--exec", Probes.path("sigsys_catch"), dir.toString());
        assertEquals("", r.out(), r::toString);
        assertEquals(159, r.exit(), r::toString);
        assertTrue(r.err().contains("it catches, blocks or ignores SIGSYS"), r::toString);
        assertFalse(Files.exists(dir));
    }

    @Test
    @DisplayName("a thread's violation ends the whole process")
    void threads() throws IOException {
        Path dir = tmp.resolve("d");
        SandboxRun r = run("--policy", blockMkdir(), "--exec", Probes.path("threads_mkdir"), "4", dir.toString());
        assertEquals(159, r.exit(), r::toString);
        for (int i = 0; i < 4; i++) {
            assertFalse(Files.exists(Path.of(dir + "." + i)));
        }
        assertTrue(r.err().contains("syscall mkdir"), r::toString);
    }
}

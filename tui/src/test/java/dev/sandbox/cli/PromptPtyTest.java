package dev.sandbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.testing.Probes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The line prompt in a real terminal (tmux): a key answers, the answer takes effect, the policy records it. */
class PromptPtyTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void tmux() {
        Probes.assumeFeature(Tmux.available(), "tmux is not installed (apt-get install tmux)");
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
    }

    @Test
    @DisplayName("'y' allows: the directory is made and the saved policy contains mkdir")
    void yes() throws Exception {
        Path dir = tmp.resolve("made");
        Path saved = tmp.resolve("saved.json");
        try (Tmux t = Tmux.start(tmp, "--trace-block-dynamic", "--ui", "line", "--policy", LearnerLiveTest.baseWithoutMkdir(tmp), "--save",
                saved.toString(), "--exec", Probes.path("mkdir"), dir.toString())) {
            String screen = t.await(s -> s.contains("y allow always"), 30);
            assertTrue(screen.contains("[DYNAMIC] unknown syscall mkdir (83) from pid"), screen);
            assertTrue(screen.contains("mkdir(\"" + dir + "\", 0700)"), screen);
            t.keys("y");
            assertEquals(0, t.exitStatus(30));
            assertTrue(t.screen().contains("mkdir ok"), t.screen());
        }
        assertTrue(Files.isDirectory(dir));
        assertTrue(Files.readString(saved).contains("\"mkdir\""));
    }

    @Test
    @DisplayName("Enter is not an answer; 'n' blocks: EPERM, nothing made, mkdir not in the saved policy")
    void no() throws Exception {
        Path dir = tmp.resolve("refused");
        Path saved = tmp.resolve("saved.json");
        try (Tmux t = Tmux.start(tmp, "--trace-block-dynamic", "--ui", "line", "--policy", LearnerLiveTest.baseWithoutMkdir(tmp), "--save",
                saved.toString(), "--exec", Probes.path("mkdir"), dir.toString())) {
            t.await(s -> s.contains("y allow always"), 30);
            t.keys("\r");
            Thread.sleep(300);
            assertFalse(t.screen().contains("mkdir EPERM"), "Enter must not answer: " + t.screen());
            t.keys("n");
            assertEquals(0, t.exitStatus(30));
            assertTrue(t.screen().contains("mkdir EPERM"), t.screen());
        }
        assertFalse(Files.exists(dir));
        assertFalse(Files.readString(saved).contains("\"mkdir\","));
    }

    @Test
    @DisplayName("one 'this executable' answer covers 8 threads asking at once")
    void executableScope() throws Exception {
        Path dir = tmp.resolve("t");
        try (Tmux t = Tmux.start(tmp, "--trace-block-dynamic", "--ui", "line", "--policy", LearnerLiveTest.baseWithoutMkdir(tmp),
                "--save", tmp.resolve("s.json").toString(), "--exec", Probes.path("threads_mkdir"), "8",
                dir.toString())) {
            t.await(s -> s.contains("y allow always"), 30);
            t.keys("e");
            assertEquals(0, t.exitStatus(30));
            String screen = t.screen();
            assertEquals(1, screen.lines().filter(l -> l.contains("[DYNAMIC]")).count(), screen);
            assertEquals(8, screen.lines().filter(l -> l.matches("thread \\d mkdir ok")).count(), screen);
        }
        for (int i = 0; i < 8; i++) {
            assertTrue(Files.isDirectory(Path.of(dir + "." + i)));
        }
    }

    @Test
    @DisplayName("no answer with --timeout 1 blocks after about a second")
    void timeout() throws Exception {
        Path dir = tmp.resolve("late");
        try (Tmux t = Tmux.start(tmp, "--trace-block-dynamic", "--ui", "line", "--timeout", "1", "--policy", LearnerLiveTest.baseWithoutMkdir(tmp),
                "--save", tmp.resolve("s.json").toString(), "--exec", Probes.path("mkdir"), dir.toString())) {
            t.await(s -> s.contains("[DYNAMIC]"), 30);
            long start = System.nanoTime();
            String screen = t.await(s -> s.contains("mkdir EPERM"), 10);
            double waited = (System.nanoTime() - start) / 1e9;
            assertTrue(waited < 3.0, "blocked after " + waited + " s");
            assertTrue(screen.contains("no answer in 1 s: blocked (EPERM)"), screen);
            assertEquals(0, t.exitStatus(30));
        }
        assertFalse(Files.exists(dir));
    }
}

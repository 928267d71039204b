package dev.sandbox.cli;

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
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The screen UI in a real terminal (tmux): the program keeps the terminal, a question borrows it and gives it back,
 * everyday programs (a prompt with escape sequences, less, vi, top, a python REPL) work under the learner, Ctrl-C
 * reaches the program or ends the session, and nothing waits forever.
 */
class ScreenPtyTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void tmux() {
        Probes.assumeFeature(Tmux.available(), "tmux is not installed (apt-get install tmux)");
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
    }

    private static void need(String program) {
        Probes.assumeFeature(Files.isExecutable(Path.of(program)), program + " is not installed");
    }

    /** policies/base.json without {@code names}, so that using them asks. */
    private Path baseWithout(String... names) throws IOException {
        JsonObject base = JsonParser.parseString(Files.readString(Probes.root().resolve("policies/base.json")))
                .getAsJsonObject();
        Set<String> drop = Set.of(names);
        JsonArray kept = new JsonArray();
        base.getAsJsonArray("syscalls").forEach(s -> {
            if (!drop.contains(s.getAsString())) {
                kept.add(s);
            }
        });
        base.add("syscalls", kept);
        Path p = tmp.resolve("base-without-" + String.join("-", names) + ".json");
        Files.writeString(p, base.toString());
        return p;
    }

    private static JsonObject saved(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }

    private static boolean lists(JsonObject policy, String name) {
        for (var e : policy.getAsJsonArray("syscalls")) {
            if (e.getAsString().equals(name)) {
                return true;
            }
        }
        return false;
    }

    @Test
    @DisplayName("escape sequences and a partial line: the question comes and goes, the output stays, the session saves")
    void escapeSequencesAndPartialLines() throws Exception {
        need("/usr/bin/tput");
        Path dir = tmp.resolve("made");
        Path out = tmp.resolve("learned.json");
        String script = "printf 'first line\\n\\033(B\\033=\\033]0;a title\\007\\033[1mbold\\033[0m Name: '; "
                + "mkdir " + dir + "; echo; tput sgr0; tput bold; echo 'last line'";
        try (Tmux t = Tmux.start(tmp, 80, 24, "printf 'before the sandbox\\n';", "--trace-block-dynamic", "--ui",
                "screen", "--policy", baseWithout("mkdir", "mkdirat").toString(), "--save", out.toString(), "--exec",
                "/bin/sh", "-c", script)) {
            String q = t.await(s -> s.contains("unknown syscall mkdir (83)") && s.contains("Ctrl-C end it now"), 60);
            assertTrue(q.contains(" sandbox learning: /bin/sh -c"), q);
            assertTrue(q.contains("file, low risk: create a directory"), q);
            assertTrue(q.matches("(?s).*\\[#+ *\\] \\d+ s, then blocked \\(EPERM\\).*"), "countdown: " + q);
            assertFalse(q.contains("before the sandbox"), "the question has a screen of its own: " + q);
            t.keys("y");
            assertEquals(0, t.exitStatus(30));
            String after = t.screen();
            // the normal screen is back: what was printed before the question, the prompt it interrupted, the rest
            assertTrue(after.contains("before the sandbox\nfirst line\nbold Name:"), after);
            assertTrue(after.contains("\nlast line\n"), after);
            assertTrue(after.contains("sandbox: session: 1 question"), after);
            assertFalse(after.contains("unknown syscall"), after);
            assertFalse(t.alternateScreen());
        }
        assertTrue(Files.isDirectory(dir));
        assertTrue(lists(saved(out), "mkdir"));
    }

    @Test
    @DisplayName("less on a file: a question at its start, then less shows the file, q ends less and the session")
    void less() throws Exception {
        need("/usr/bin/less");
        Path file = tmp.resolve("numbers.txt");
        Files.writeString(file, IntStream.rangeClosed(1, 200).mapToObj(i -> "line " + i)
                .collect(Collectors.joining("\n", "", "\n")));
        Path out = tmp.resolve("less.json");
        try (Tmux t = Tmux.start(tmp, 80, 24, "printf 'before the sandbox\\n';", "--trace-block-dynamic", "--ui",
                "screen", "--policy", baseWithout("lseek").toString(), "--save", out.toString(), "--exec",
                "/usr/bin/less", file.toString())) {
            t.await(s -> s.contains("unknown syscall lseek (8)") && s.contains("Ctrl-C end it now"), 60);
            t.keys("y");
            t.await(s -> s.contains("line 1\nline 2\n") && s.contains("line 23"), 15);
            assertTrue(t.alternateScreen());
            t.keys(" "); // a page down: less still has the keys
            t.await(s -> s.contains("line 40"), 10);
            t.keys("q");
            assertEquals(0, t.exitStatus(30));
            String after = t.screen();
            assertTrue(after.startsWith("before the sandbox\n"), after);
            assertFalse(t.alternateScreen());
        }
        assertTrue(lists(saved(out), "lseek"));
    }

    @Test
    @DisplayName("vi: a question while it shows its full screen is drawn over it, then vi is told to redraw")
    void viFullScreen() throws Exception {
        need("/usr/bin/vi");
        viSession("");
    }

    @Test
    @DisplayName("vi on a terminal that cannot say which screen it shows: the session still works to the end")
    void viUnknownScreen() throws Exception {
        need("/usr/bin/vi");
        viSession("unset TMUX;");
    }

    private void viSession(String before) throws Exception {
        Path file = tmp.resolve("edited.txt");
        Path out = tmp.resolve("vi.json");
        try (Tmux t = Tmux.start(tmp, 80, 24, before, "--trace-block-dynamic", "--ui", "screen", "--policy",
                baseWithout("fsync", "fdatasync").toString(), "--save", out.toString(), "--exec", "/usr/bin/vi",
                "-u", "NONE", "-N", "-n", file.toString())) {
            t.await(s -> s.contains("~"), 60);
            t.keys("ihello from vi");
            t.press("Escape");
            t.keys(":w");
            t.press("Enter");
            t.await(s -> s.contains("unknown syscall fsync (74)") && s.contains("Ctrl-C end it now"), 15);
            t.keys("y");
            // redrawn after the answer (SIGWINCH): the text is back and vi still has the keys
            t.await(s -> s.contains("hello from vi") && !s.contains("unknown syscall"), 15);
            t.keys(":q");
            t.press("Enter");
            assertEquals(0, t.exitStatus(30));
        }
        assertEquals("hello from vi\n", Files.readString(file));
        assertTrue(lists(saved(out), "fsync"));
    }

    @Test
    @DisplayName("top runs under the learner and q quits it")
    void top() throws Exception {
        need("/usr/bin/top");
        try (Tmux t = Tmux.start(tmp, 80, 24, "", "--trace-block-dynamic", "--ui", "screen", "--timeout", "30",
                "--policy", "base", "--save", tmp.resolve("top.json").toString(), "--exec", "/usr/bin/top", "-d",
                "1")) {
            long deadline = System.nanoTime() + 60_000_000_000L;
            String s = t.screen();
            while (!s.contains("load average") || s.contains("unknown syscall")) {
                if (s.contains("unknown syscall") && s.contains("Ctrl-C end it now")) {
                    t.keys("y");
                }
                assertTrue(System.nanoTime() < deadline, s);
                Thread.sleep(300);
                s = t.screen();
            }
            t.keys("q");
            assertEquals(0, t.exitStatus(30));
        }
    }

    @Test
    @DisplayName("a python REPL: its prompt, a question, Ctrl-C goes to python (KeyboardInterrupt), it exits")
    void pythonRepl() throws Exception {
        need("/usr/bin/python3");
        Path dir = tmp.resolve("from-python");
        Path out = tmp.resolve("python.json");
        try (Tmux t = Tmux.start(tmp, 80, 24, "", "--trace-block-dynamic", "--ui", "screen", "--policy",
                baseWithout("mkdir", "mkdirat").toString(), "--save", out.toString(), "--exec", "/usr/bin/python3",
                "-q", "-S")) {
            t.await(s -> s.contains(">>>"), 30); // capture-pane drops trailing spaces
            t.keys("import os; os.mkdir('" + dir + "')");
            t.press("Enter");
            t.await(s -> s.contains("unknown syscall mkdir (83)") && s.contains("Ctrl-C end it now"), 15);
            t.keys("y");
            t.await(s -> s.replace("\n", "").contains("os.mkdir('" + dir + "')>>>"), 15);
            t.keys("while True: pass");
            t.press("Enter");
            t.press("Enter");
            Thread.sleep(500);
            t.press("C-c");
            t.await(s -> s.contains("KeyboardInterrupt"), 15);
            t.keys("raise SystemExit(0)");
            t.press("Enter");
            assertEquals(0, t.exitStatus(30));
        }
        assertTrue(Files.isDirectory(dir));
        assertTrue(lists(saved(out), "mkdir"));
    }

    @Test
    @DisplayName("Ctrl-C inside a question ends the session: 130, one line saying so, the policy saved as valid JSON")
    void ctrlCInQuestion() throws Exception {
        Path out = tmp.resolve("interrupted.json");
        try (Tmux t = Tmux.start(tmp, 80, 24, "", "--trace-block-dynamic", "--ui", "screen", "--policy",
                baseWithout("mkdir", "mkdirat").toString(), "--save", out.toString(), "--exec", Probes.path("mkdir"),
                tmp.resolve("never").toString())) {
            t.await(s -> s.contains("unknown syscall mkdir (83)") && s.contains("Ctrl-C end it now"), 60);
            t.press("C-c");
            assertEquals(130, t.exitStatus(30));
            String after = t.joined();
            assertTrue(after.contains("sandbox: you ended the session at the question about mkdir: the traced programs "
                    + "were killed\n"), after);
            assertFalse(after.contains("interrupted by"), after);
            assertFalse(t.alternateScreen());
        }
        assertFalse(Files.exists(tmp.resolve("never")));
        JsonObject policy = saved(out);
        assertTrue(lists(policy, "write"), policy.toString());
        assertFalse(lists(policy, "mkdir"));
    }

    @Test
    @DisplayName("Ctrl-C while the program has the keys goes to the program; with --save the session still saves")
    void ctrlCToProgram() throws Exception {
        Path out = tmp.resolve("cat.json");
        try (Tmux t = Tmux.start(tmp, 80, 24, "", "--trace-block-dynamic", "--ui", "screen", "--policy", "base",
                "--save", out.toString(), "--exec", "/bin/cat")) {
            t.keys("typed to cat");
            t.press("Enter");
            t.await(s -> s.lines().filter(l -> l.equals("typed to cat")).count() == 2, 60);
            t.press("C-c");
            assertEquals(130, t.exitStatus(30));
            String after = t.screen();
            assertTrue(after.contains("sandbox: /bin/cat was killed by SIGINT"), after);
            assertTrue(after.contains("sandbox: saved "), after);
        }
        assertTrue(lists(saved(out), "read"));
    }

    @Test
    @DisplayName("no --save and no key: every question times out, the save question too, and the command is shown")
    void nothingWaitsForever() throws Exception {
        Path suggested = Probes.root().resolve("mkdir.json");
        Files.deleteIfExists(suggested);
        try (Tmux t = Tmux.start(tmp, 80, 24, "", "--trace-block-dynamic", "--ui", "screen", "--timeout", "2",
                "--policy", baseWithout("mkdir", "mkdirat").toString(), "--exec", Probes.path("mkdir"),
                tmp.resolve("late").toString())) {
            // two questions of 2 s each: the sandbox ends well within the wait
            assertEquals(0, t.exitStatus(60));
            String after = t.joined();
            assertTrue(after.contains("mkdir EPERM"), "the program's last line stays: " + after);
            assertTrue(after.matches("(?s).*sandbox: save the learned policy \\(\\d+ syscalls\\) to mkdir.json\\? \\[y/N\\] "
                    + "no answer in 2 s: no\n.*"), after);
            assertTrue(after.contains("sandbox: not saved; to keep what a run learns: sandbox --trace-block-dynamic "
                    + "--ui screen --timeout 2 --policy "), after);
        }
        assertFalse(Files.exists(suggested));
        assertFalse(Files.exists(tmp.resolve("late")));
    }
}

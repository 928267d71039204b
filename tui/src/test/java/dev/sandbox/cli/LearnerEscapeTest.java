package dev.sandbox.cli;

import static dev.sandbox.cli.SandboxRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attacks on the learner, each a probe under the real learner in both modes (fast: seccomp-assisted with an allowlist
 * base; --full: every syscall stops), observing effects: a directory that must not exist, an errno, a process that
 * must be gone. CI runs these as root and again as an unprivileged user.
 */
class LearnerEscapeTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void kernel() {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
    }

    private SandboxRun learn(String mode, String onUnknown, String... command) throws IOException {
        return learn(mode, onUnknown, List.of(), command);
    }

    private SandboxRun learn(String mode, String onUnknown, List<String> options, String... command)
            throws IOException {
        return run(learnArgs(mode, onUnknown, LearnerLiveTest.baseWithoutMkdir(tmp), options, command)
                .toArray(String[]::new));
    }

    /** The sandbox's arguments for learning {@code command} in {@code mode} ("fast" or "--full") over {@code base}. */
    private static List<String> learnArgs(String mode, String onUnknown, String base, List<String> options,
            String... command) {
        List<String> args = new ArrayList<>(List.of("--trace-block-dynamic", "--on-unknown", onUnknown, "--policy",
                base));
        args.addAll(options);
        args.add(mode.equals("fast") ? "--fast" : "--full");
        args.add("--exec");
        args.addAll(List.of(command));
        return args;
    }

    @ParameterizedTest(name = "mode {0}")
    @ValueSource(strings = {"fast", "--full"})
    @DisplayName("clone(CLONE_UNTRACED): the child is traced all the same, and its mkdir is refused")
    void untracedClone(String mode) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("d"));
        SandboxRun r = learn(mode, "block", Probes.path("untraced_clone"), dir.toString());
        assertTrue(r.out().contains("untraced-child mkdir EPERM\n"), r::toString);
        assertFalse(Files.exists(dir.resolve("child")));
        assertEquals(0, r.exit(), r::toString);
    }

    @ParameterizedTest(name = "mode {0}")
    @ValueSource(strings = {"fast", "--full"})
    @DisplayName("clone(CLONE_UNTRACED): a child left behind does not outlive the sandbox")
    void untracedCloneOutlives(String mode) throws IOException, InterruptedException {
        Path dir = Files.createDirectory(tmp.resolve("d"));
        SandboxRun r = learn(mode, "block", Probes.path("untraced_clone"), dir.toString(), "linger");
        String line = r.out().lines().filter(l -> l.startsWith("child ")).findFirst().orElseThrow(
                () -> new AssertionError(r.toString()));
        long pid = Long.parseLong(line.substring(6).trim());
        // The sandbox has exited: nothing of the program may be running (a zombie waiting for init has ended).
        assertFalse(running(pid), "child " + pid + " still running after the sandbox exited");
        Thread.sleep(1500);
        assertFalse(Files.exists(dir.resolve("child")), "the child made its mkdir after the sandbox ended");
    }

    /** Whether the process exists and is not a zombie (state Z in /proc/PID/stat). */
    static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    @ParameterizedTest(name = "mode {0}")
    @ValueSource(strings = {"fast", "--full"})
    @DisplayName("clone3 gets ENOSYS while learning (its flags are in memory another thread could rewrite)")
    void clone3(String mode) throws IOException {
        SandboxRun r = learn(mode, "allow", Probes.path("raw_syscall"), "435", "0", "0");
        assertEquals("syscall ENOSYS\n", r.out(), r::toString);
        SandboxRun i386 = learn(mode, "allow", Probes.path("int80_syscall"), "435", "0", "0");
        assertEquals("int80 ENOSYS\n", i386.out(), i386::toString);
    }

    @ParameterizedTest(name = "mode {0}")
    @ValueSource(strings = {"fast", "--full"})
    @DisplayName("i386 ptrace and io_uring_setup are above the ceiling, whichever ABI they come through")
    void ceilingOnEveryAbi(String mode) throws IOException {
        Path saved = tmp.resolve("saved.json");
        // i386 26 = ptrace(PTRACE_TRACEME), 425 = io_uring_setup(1, NULL)
        SandboxRun p = learn(mode, "allow", List.of("--save", saved.toString()), Probes.path("int80_syscall"), "26",
                "0");
        assertEquals("int80 EPERM\n", p.out(), p::toString);
        SandboxRun u = learn(mode, "allow", Probes.path("int80_syscall"), "425", "1", "0");
        assertEquals("int80 EPERM\n", u.out(), u::toString);
        String json = Files.readString(saved);
        assertFalse(JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("syscalls").toString()
                .contains("ptrace"), json);
    }

    @ParameterizedTest(name = "mode {0}")
    @ValueSource(strings = {"fast", "--full"})
    @DisplayName("a program's own seccomp listener is refused, so USER_NOTIF cannot out-rank the learner")
    void seccompListener(String mode) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("d"));
        SandboxRun r = learn(mode, "block", Probes.path("seccomp_listener"), dir.toString());
        assertTrue(r.out().startsWith("listener EPERM\n"), r::toString);
        assertTrue(r.out().contains("mkdir EPERM\n"), r::toString);
        assertFalse(Files.exists(dir.resolve("m")));
        assertTrue(r.err().contains("refused a seccomp listener"), r::toString);
    }

    @ParameterizedTest(name = "mode {0}")
    @ValueSource(strings = {"fast", "--full"})
    @DisplayName("the program cannot open the sandbox's memory or fds (as root: once it lacks CAP_SYS_PTRACE)")
    void tracerMemory(String mode) throws IOException {
        List<String> args = new ArrayList<>();
        if (Probes.isRoot()) {
            // A root program with every capability may ptrace anything (docs/threat-model.md); without them it is
            // held like any other user's program.
            args.addAll(List.of("setpriv", "--bounding-set=-all", "--inh-caps=-all"));
        }
        args.addAll(SandboxRun.command(learnArgs(mode, "allow", LearnerLiveTest.baseWithoutMkdir(tmp), List.of(),
                Probes.path("proc_mem")).toArray(String[]::new)));
        SandboxRun r = SandboxRun.exec(args);
        assertEquals("parent-mem EACCES\nparent-fd EACCES\n", r.out(), r::toString);
    }

    @ParameterizedTest(name = "mode {0}")
    @ValueSource(strings = {"fast", "--full"})
    @DisplayName("time() through the vsyscall page is seen, saved, and then allowed by the enforcer")
    void vsyscall(String mode) throws IOException {
        Path saved = tmp.resolve("v.json");
        String base = tmp.resolve("no-time.json").toString();
        String json = Files.readString(Path.of(LearnerLiveTest.baseWithoutMkdir(tmp)))
                .replace("\"time\",", "").replace("\"gettimeofday\",", "");
        Files.writeString(Path.of(base), json);
        SandboxRun learned = run(learnArgs(mode, "allow", base, List.of("--no-families", "--save", saved.toString()),
                Probes.path("vsyscall_time")).toArray(String[]::new));
        Probes.assumeFeature(learned.exit() != 77, "this kernel maps no vsyscall page");
        assertEquals("vsyscall-time ok\nvsyscall-gettimeofday ok\n", learned.out(), learned::toString);
        String syscalls = JsonParser.parseString(Files.readString(saved)).getAsJsonObject()
                .getAsJsonArray("syscalls").toString();
        assertTrue(syscalls.contains("\"time\"") && syscalls.contains("\"gettimeofday\""), syscalls);
        SandboxRun enforced = run("--policy", saved.toString(), "--exec", Probes.path("vsyscall_time"));
        assertEquals(0, enforced.exit(), enforced::toString);
        assertEquals(learned.out(), enforced.out());
    }

    @Test
    @DisplayName("after a kill decision no task runs again: 16 workers x 100 children, 20 times, no mkdir gets through")
    void killRace() throws IOException {
        for (int rep = 0; rep < 20; rep++) {
            Path dir = Files.createDirectory(tmp.resolve("k" + rep));
            SandboxRun r = learn(rep % 2 == 0 ? "fast" : "--full", "kill", Probes.path("kill_race"), dir.toString(),
                    "16", "100");
            assertEquals(137, r.exit(), r::toString);
            try (Stream<Path> made = Files.list(dir)) {
                List<Path> escaped = made.toList();
                assertTrue(escaped.isEmpty(), "repetition " + rep + ": " + escaped.size() + " mkdir calls got "
                        + "through after the kill: " + r);
            }
            assertTrue(r.err().contains("and every process it started"), r::toString);
        }
    }
}

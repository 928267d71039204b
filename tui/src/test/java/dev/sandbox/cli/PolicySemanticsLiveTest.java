package dev.sandbox.cli;

import static dev.sandbox.cli.SandboxRun.bare;
import static dev.sandbox.cli.SandboxRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.policy.Action;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.testing.Probes;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Learn, save, enforce: what the learner saves is enforced the way learning treated the program, under the real
 * kernel. Refusals stay refusals (families, merges), every block is an EPERM, the ceiling holds on every entry,
 * savers say what they did and do not lose each other's work, and special files are never read as policies.
 */
class PolicySemanticsLiveTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void kernel() {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
    }

    private static Policy load(Path p) {
        return new PolicyLoader(w -> { }).load(p);
    }

    private static SyscallRef s(String text) {
        return SyscallRef.parse(text);
    }

    /** base.json with mkdirat but without mkdir: the sibling of mkdir is allowed by the base. */
    private String baseWithMkdiratOnly() throws IOException {
        JsonObject base = JsonParser.parseString(Files.readString(Probes.root().resolve("policies/base.json")))
                .getAsJsonObject();
        JsonArray kept = new JsonArray();
        base.getAsJsonArray("syscalls").forEach(e -> {
            if (!e.getAsString().equals("mkdir")) {
                kept.add(e);
            }
        });
        base.add("syscalls", kept);
        assertTrue(kept.contains(new com.google.gson.JsonPrimitive("mkdirat")));
        return Files.writeString(tmp.resolve("base-mkdirat.json"), base.toString()).toString();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--full", "--fast"})
    @DisplayName("families never re-grant a refusal: a refused mkdir is EPERM under the enforcer though mkdirat is allowed")
    void familiesKeepRefusal(String mode) throws IOException {
        Path dir = tmp.resolve("d");
        Path saved = tmp.resolve("p.json");
        SandboxRun learn = run("--trace-block-dynamic", mode, "--on-unknown", "block", "--policy",
                baseWithMkdiratOnly(), "--save", saved.toString(), "--exec", Probes.path("mkdir"), dir.toString());
        assertEquals("mkdir EPERM\n", learn.out(), learn::toString);
        Policy p = load(saved);
        assertFalse(p.lists(s("mkdir")), p::toString);
        assertEquals(Action.EPERM, p.actionFor(s("mkdir")));
        SandboxRun enforced = run("--policy", saved.toString(), "--exec", Probes.path("mkdir"), dir.toString());
        assertEquals("mkdir EPERM\n", enforced.out(), enforced::toString);
        assertEquals(0, enforced.exit(), "refused, not killed: " + enforced);
        assertFalse(Files.exists(dir));
    }

    @Test
    @DisplayName("the everyday command saves what the program used, not the base; --fast says it saves base + allowed")
    void savesWhatWasUsed() throws IOException {
        Path full = tmp.resolve("full.json");
        Path fast = tmp.resolve("fast.json");
        SandboxRun a = run("--trace-block-dynamic", "--policy", "base", "--no-families", "--save", full.toString(),
                "--exec", "/bin/ls", "/");
        assertEquals(0, a.exit(), a::toString);
        Policy used = load(full);
        assertTrue(used.syscalls().size() < 60, "ls uses a few dozen syscalls, saved " + used.syscalls().size());
        for (String never : new String[] {"setuid", "setgid", "capset", "pidfd_getfd"}) {
            assertFalse(used.lists(s(never)), never + " was never made by ls");
        }
        assertTrue(a.err().contains("sandbox: saved " + used.syscalls().size() + " allowed syscalls to " + full),
                a::toString);
        SandboxRun b = run("--trace-block-dynamic", "--fast", "--policy", "base", "--no-families", "--save",
                fast.toString(), "--exec", "/bin/ls", "/");
        assertEquals(0, b.exit(), b::toString);
        Policy all = load(fast);
        assertTrue(all.syscalls().size() > 200, "fast mode saves the base: " + all.syscalls().size());
        assertTrue(b.err().contains("allowed syscalls = "), b::toString);
        assertTrue(b.err().contains("from the base policy (fast mode cannot tell which of them the program used; "
                + "learn without --fast to save only those) + "), b::toString);
    }

    @Test
    @DisplayName("a question that timed out is saved as an EPERM rule, and the enforcer answers EPERM too")
    void timeoutIsEperm() throws Exception {
        Probes.assumeFeature(Tmux.available(), "tmux is not installed (apt-get install tmux)");
        Path dir = tmp.resolve("d");
        Path saved = tmp.resolve("p.json");
        try (Tmux t = Tmux.start(tmp, "--trace-block-dynamic", "--ui", "line", "--timeout", "1", "--policy",
                LearnerLiveTest.baseWithoutMkdir(tmp), "--save", saved.toString(), "--exec", Probes.path("mkdir"),
                dir.toString())) {
            assertEquals(0, t.exitStatus(30));
            assertTrue(t.screen().contains("mkdir EPERM"), t.screen());
        }
        Policy p = load(saved);
        assertEquals(Action.EPERM, p.ruleFor(s("mkdir")), p::toString);
        SandboxRun enforced = run("--policy", saved.toString(), "--exec", Probes.path("mkdir"), dir.toString());
        assertEquals("mkdir EPERM\n", enforced.out(), enforced::toString);
        assertEquals(0, enforced.exit());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"full", "fast"})
    @DisplayName("i386 ptrace (int $0x80) is refused by the ceiling with --on-unknown allow, and not saved as allowed")
    void i386Ceiling(String mode) throws IOException {
        String bareOut = bare(Probes.path("int80_syscall"), "26", "16", "999999").out();
        Probes.assumeFeature(bareOut.equals("int80 ESRCH\n"), "no IA32 emulation here: " + bareOut);
        Path saved = tmp.resolve("p.json");
        String[] how = mode.equals("fast") ? new String[] {"--fast", "--policy", "base"} : new String[] {"--full"};
        String[] args = Stream.of(new String[] {"--trace-block-dynamic", "--on-unknown", "allow"}, how,
                new String[] {"--save", saved.toString(), "--exec", Probes.path("int80_syscall"), "26", "16",
                    "999999"}).flatMap(Stream::of).toArray(String[]::new);
        SandboxRun r = run(args);
        assertEquals("int80 EPERM\n", r.out(), r::toString);
        assertTrue(r.err().contains("i386:ptrace is above the ceiling"), r::toString);
        Policy p = load(saved);
        assertFalse(p.lists(s("i386:ptrace")));
        assertEquals(Action.EPERM, p.ruleFor(s("i386:ptrace")));
        SandboxRun without = run("--trace-block-dynamic", "--on-unknown", "allow", "--no-ceiling", "--exec",
                Probes.path("int80_syscall"), "26", "16", "999999");
        assertEquals("int80 ESRCH\n", without.out(), "without the ceiling it runs: " + without);
    }

    @Test
    @DisplayName("--save replaces and says so; --into merges and says what was new")
    void saveAndInto() throws IOException {
        Path p = tmp.resolve("p.json");
        SandboxRun one = run("--trace-block-dynamic", "--on-unknown", "allow", "--into", p.toString(), "--exec",
                Probes.path("raw_syscall"), "39");
        assertTrue(one.err().contains("sandbox: saved a new policy to " + p), one::toString);
        SandboxRun two = run("--trace-block-dynamic", "--on-unknown", "allow", "--into", p.toString(), "--exec",
                Probes.path("raw_syscall"), "102");
        assertTrue(two.err().contains("sandbox: merged into " + p + ": "), two::toString);
        assertTrue(two.err().contains("1 new syscall (getuid) in run 2"), two::toString);
        assertTrue(load(p).lists(s("getpid")) && load(p).lists(s("getuid")));
        SandboxRun three = run("--trace-block-dynamic", "--on-unknown", "allow", "--save", p.toString(), "--exec",
                Probes.path("raw_syscall"), "39");
        assertTrue(three.err().contains("(replaced the previous policy, which allowed "), three::toString);
        assertFalse(load(p).lists(s("getuid")), "--save replaces");
        assertEquals(1, load(p).meta().runs().size());
    }

    @Test
    @DisplayName("concurrent savers: two --into merge both results; a --save that was overtaken saves beside")
    void concurrentSaves() throws Exception {
        Path p = tmp.resolve("p.json");
        Process slow = SandboxRun.start("--trace-block-dynamic", "--on-unknown", "allow", "--into", p.toString(),
                "--exec", Probes.path("late_marker"), "2", tmp.resolve("m1").toString());
        SandboxRun quick = run("--trace-block-dynamic", "--on-unknown", "allow", "--into", p.toString(), "--exec",
                Probes.path("raw_syscall"), "102");
        SandboxRun slowRun = SandboxRun.finish(slow, 60);
        assertEquals(0, quick.exit(), quick::toString);
        assertEquals(0, slowRun.exit(), slowRun::toString);
        Policy merged = load(p);
        assertTrue(merged.lists(s("getuid")), "the quick run's syscall: " + merged);
        assertTrue(merged.lists(s("clone")) || merged.lists(s("fork")), "the slow run's fork: " + merged);
        assertEquals(2, merged.meta().runs().size());

        Path q = tmp.resolve("q.json");
        Process overtaken = SandboxRun.start("--trace-block-dynamic", "--on-unknown", "allow", "--save", q.toString(),
                "--exec", Probes.path("late_marker"), "2", tmp.resolve("m2").toString());
        Thread.sleep(1000); // let it start: its --save target is absent when its program starts
        SandboxRun first = run("--trace-block-dynamic", "--on-unknown", "allow", "--save", q.toString(), "--exec",
                Probes.path("raw_syscall"), "102");
        SandboxRun second = SandboxRun.finish(overtaken, 60);
        assertTrue(first.err().contains("saved "), first::toString);
        assertTrue(second.err().contains(q + " was written by someone else while this program ran: not replaced"),
                second::toString);
        assertTrue(load(q).lists(s("getuid")), "the first result is kept");
        try (Stream<Path> files = Files.list(tmp)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().matches("q\\.\\d+\\.json")),
                    "the second result is beside it");
        }
    }

    @Test
    @DisplayName("an unwritable or missing --save directory is refused before the program runs")
    void unwritableSave() throws IOException {
        Path dir = tmp.resolve("made");
        SandboxRun missing = run("--trace-block-dynamic", "--on-unknown", "allow", "--save",
                tmp.resolve("nope/p.json").toString(), "--exec", Probes.path("mkdir"), dir.toString());
        assertEquals(125, missing.exit(), missing::toString);
        assertEquals("sandbox: --save " + tmp.resolve("nope/p.json") + ": no such directory: " + tmp.resolve("nope")
                + "\n", missing.err());
        assertFalse(Files.exists(dir), "the program never ran");
        if (!Probes.isRoot()) {
            Path ro = Files.createDirectory(tmp.resolve("ro"));
            ro.toFile().setWritable(false);
            SandboxRun denied = run("--trace-block-dynamic", "--on-unknown", "allow", "--save",
                    ro.resolve("p.json").toString(), "--exec", Probes.path("mkdir"), dir.toString());
            assertEquals(125, denied.exit(), denied::toString);
            assertTrue(denied.err().contains("cannot write in " + ro + ": Permission denied"), denied::toString);
            assertFalse(Files.exists(dir));
        }
    }

    @Test
    @DisplayName("a FIFO or /dev/zero as a policy is refused at once, with a sentence, not a hang or a stack trace")
    void specialFiles() throws Exception {
        Path fifo = tmp.resolve("fifo.json");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        for (String policy : new String[] {fifo.toString(), "/dev/zero"}) {
            SandboxRun r = SandboxRun.finish(SandboxRun.start("--policy", policy, "--exec", "/bin/true"), 20);
            assertEquals(125, r.exit(), r::toString);
            assertEquals("sandbox: policy " + policy + ": is not a regular file (a device, FIFO or socket); a policy "
                    + "is read only from a regular file\n", r.err());
            SandboxRun check = SandboxRun.finish(SandboxRun.start("policy", "check", policy), 20);
            assertEquals(125, check.exit(), check::toString);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"x32", "no-syscall", "i386-unnamed"})
    @DisplayName("an x32 call or a number that is no syscall kills the program while learning, as the enforcer does")
    void foreignKilledBoth(String what) throws IOException {
        String[] cmd = switch (what) {
            case "x32" -> new String[] {Probes.path("x32_getpid")};
            case "no-syscall" -> new String[] {Probes.path("raw_syscall"), "2147483648"};
            default -> new String[] {Probes.path("int80_syscall"), "1000"};
        };
        if (what.startsWith("i386")) {
            String bareOut = bare(Probes.path("int80_syscall"), "1000").out();
            Probes.assumeFeature(bareOut.equals("int80 ENOSYS\n"), "no IA32 emulation here: " + bareOut);
        }
        Path saved = tmp.resolve("p.json");
        String[] learnArgs = Stream.of(new String[] {"--trace-block-dynamic", "--on-unknown", "allow", "--save",
                saved.toString(), "--exec"}, cmd).flatMap(Stream::of).toArray(String[]::new);
        SandboxRun learn = run(learnArgs);
        assertEquals(137, learn.exit(), learn::toString);
        assertEquals("", learn.out(), "it made no syscall after that one: " + learn);
        assertTrue(learn.err().contains("the enforcer kills a program that makes it, and so does the learner"),
                learn::toString);
        SandboxRun enforced = run(Stream.of(new String[] {"--policy", saved.toString(), "--exec"}, cmd)
                .flatMap(Stream::of).toArray(String[]::new));
        assertEquals(159, enforced.exit(), enforced::toString);
        assertEquals("", enforced.out(), enforced::toString);
    }

    @Test
    @DisplayName("an unnamed syscall number the program used is saved as its number and enforced as learned")
    void numbers() throws IOException {
        Path saved = tmp.resolve("p.json");
        SandboxRun learn = run("--trace-block-dynamic", "--on-unknown", "allow", "--save", saved.toString(), "--exec",
                Probes.path("raw_syscall"), "1000");
        assertEquals("syscall ENOSYS\n", learn.out(), learn::toString);
        assertTrue(load(saved).lists(s("1000")), Files.readString(saved));
        SandboxRun enforced = run("--policy", saved.toString(), "--exec", Probes.path("raw_syscall"), "1000");
        assertEquals("syscall ENOSYS\n", enforced.out(), enforced::toString);
        assertEquals(0, enforced.exit());
        assertEquals(0, run("policy", "check", saved.toString()).exit());
        SandboxRun strict = run("policy", "check", "--strict", saved.toString());
        assertEquals(1, strict.exit(), "a number no table names cannot be judged: " + strict);
    }
}

package dev.sandbox.cli;

import static dev.sandbox.cli.SandboxRun.bare;
import static dev.sandbox.cli.SandboxRun.run;
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
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the learner does beyond its peers, each shown on real programs and probes. */
class LearnerPlusLiveTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void kernel() {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
    }

    private static JsonObject json(Path p) throws IOException {
        return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
    }

    private static List<String> syscalls(JsonObject policy) {
        return policy.getAsJsonArray("syscalls").asList().stream().map(e -> e.getAsString()).toList();
    }

    @Test
    @DisplayName("a refused mkdir is EPERM under the learner and, from the saved policy, under the enforcer too")
    void refusalSurvives() throws IOException {
        Path dir = tmp.resolve("d");
        Path saved = tmp.resolve("p.json");
        SandboxRun learn = run("--trace-block-dynamic", "--on-unknown", "block", "--policy",
                LearnerLiveTest.baseWithoutMkdir(tmp), "--save", saved.toString(), "--exec", Probes.path("mkdir"),
                dir.toString());
        assertEquals("mkdir EPERM\n", learn.out(), learn::toString);
        JsonObject p = json(saved);
        assertFalse(syscalls(p).contains("mkdir"));
        assertEquals("[\"mkdir\"]", p.getAsJsonArray("rules").get(0).getAsJsonObject().get("syscalls").toString());
        SandboxRun enforced = run("--policy", saved.toString(), "--exec", Probes.path("mkdir"), dir.toString());
        assertEquals(0, enforced.exit(), enforced::toString);
        assertEquals("mkdir EPERM\n", enforced.out());
        assertFalse(Files.exists(dir));
    }

    @Test
    @DisplayName("provenance names the executable that made each syscall first and who decided")
    void provenance() throws IOException {
        Path saved = tmp.resolve("p.json");
        run("--trace-block-dynamic", "--on-unknown", "allow", "--policy", LearnerLiveTest.baseWithoutMkdir(tmp),
                "--save", saved.toString(), "--exec", Probes.path("mkdir"), tmp.resolve("d").toString());
        JsonObject mkdir = json(saved).getAsJsonObject("metadata").getAsJsonObject("provenance")
                .getAsJsonObject("mkdir");
        assertEquals(Path.of(Probes.path("mkdir")).toRealPath().toString(), mkdir.get("first_executable").getAsString());
        assertEquals("--on-unknown", mkdir.get("decided_by").getAsString());
        assertEquals(1, mkdir.get("calls").getAsInt());
        assertTrue(mkdir.has("first_seen") && mkdir.has("first_pid"), mkdir::toString);
    }

    @Test
    @DisplayName("the audit file has one valid JSON object per decision line, and survives SIGTERM")
    void audit() throws Exception {
        Path audit = tmp.resolve("audit.jsonl");
        Process p = SandboxRun.start("--trace-block-dynamic", "--on-unknown", "allow", "--audit", audit.toString(),
                "--exec", Probes.path("late_marker"), "2", tmp.resolve("marker").toString());
        new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine();
        new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
        assertEquals(143, SandboxRun.finish(p, 30).exit());
        List<String> lines = Files.readAllLines(audit);
        assertTrue(lines.size() > 5, "only " + lines.size() + " lines");
        for (String line : lines) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            for (String key : List.of("time", "pid", "executable", "syscall", "arch", "call", "decision", "scope",
                    "decided_by")) {
                assertTrue(o.has(key), key + " missing in " + line);
            }
        }
        // "started" reached us, so its write was decided, and logged, before SIGTERM was sent
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"call\":\"write(1, ")), lines::toString);
    }

    @Test
    @DisplayName("the ceiling refuses ptrace even with --on-unknown allow, and the saved policy never has it")
    void ceiling() throws IOException {
        Path saved = tmp.resolve("p.json");
        SandboxRun r = run("--trace-block-dynamic", "--on-unknown", "allow", "--save", saved.toString(), "--exec",
                Probes.path("raw_syscall"), "101", "0");
        assertEquals("syscall EPERM\n", r.out(), r::toString);
        assertTrue(r.err().contains("ptrace is above the ceiling"), r::toString);
        assertFalse(syscalls(json(saved)).contains("ptrace"));
        // ptrace fails with EPERM anyway in a traced process; keyctl shows the ceiling is what refuses
        SandboxRun keyctl = run("--trace-block-dynamic", "--on-unknown", "allow", "--exec",
                Probes.path("raw_syscall"), "250", "9999");
        assertEquals("syscall EPERM\n", keyctl.out(), keyctl::toString);
        SandboxRun without = run("--trace-block-dynamic", "--on-unknown", "allow", "--no-ceiling", "--exec",
                Probes.path("raw_syscall"), "250", "9999");
        assertEquals(bare(Probes.path("raw_syscall"), "250", "9999").out(), without.out(), without::toString);
        assertFalse(without.out().contains("EPERM"), without::toString);
    }

    @Test
    @DisplayName("families: learning openat also allows open, unless --no-families")
    void families() throws IOException {
        Path with = tmp.resolve("with.json");
        Path without = tmp.resolve("without.json");
        run("--trace-block-dynamic", "--on-unknown", "allow", "--full", "--save", with.toString(), "--exec",
                "/bin/cat", "/etc/hostname");
        run("--trace-block-dynamic", "--on-unknown", "allow", "--full", "--no-families", "--save", without.toString(),
                "--exec", "/bin/cat", "/etc/hostname");
        assertTrue(syscalls(json(with)).contains("openat") && syscalls(json(with)).contains("open"));
        assertFalse(syscalls(json(without)).contains("open"));
        SandboxRun ok = run("--policy", with.toString(), "--exec", Probes.path("open_legacy"), "/etc/hostname");
        assertEquals("open ok\n", ok.out(), ok::toString);
        assertEquals(159, run("--policy", without.toString(), "--exec", Probes.path("open_legacy"), "/etc/hostname")
                .exit());
    }

    @Test
    @DisplayName("a syscall newer than the policy's known_up_to gets ENOSYS instead of the kill")
    void newerSyscalls() throws IOException {
        Path saved = tmp.resolve("p.json");
        run("--trace-block-dynamic", "--on-unknown", "allow", "--full", "--save", saved.toString(), "--exec",
                Probes.path("raw_syscall"), "39");
        JsonObject p = json(saved);
        p.addProperty("known_up_to", "statx"); // 332: as if learned on an older machine
        Path older = Files.writeString(tmp.resolve("older.json"), p.toString());
        // 451 is cachestat (Linux 6.5): newer than statx, never learned
        SandboxRun r = run("--policy", older.toString(), "--exec", Probes.path("raw_syscall"), "451", "-1");
        assertEquals("syscall ENOSYS\n", r.out(), r::toString);
        assertEquals(0, r.exit());
        p.remove("known_up_to");
        Path plain = Files.writeString(tmp.resolve("plain.json"), p.toString());
        assertEquals(159, run("--policy", plain.toString(), "--exec", Probes.path("raw_syscall"), "451", "-1").exit());
    }

    @Test
    @DisplayName("verify: identical for /bin/ls; different, naming the syscall, when one it needs is removed")
    void verify() throws IOException {
        Path saved = tmp.resolve("ls.json");
        SandboxRun learn = run("--trace-block-dynamic", "--on-unknown", "allow", "--save", saved.toString(),
                "--verify", "--exec", "/bin/ls", "/");
        assertEquals(0, learn.exit(), learn::toString);
        assertTrue(learn.err().contains("identical: /bin/ls / exits 0 under the policy"), learn::toString);
        // the test reads the sandbox's stdout through a pipe: the program's output was never in the sandbox's hands
        assertTrue(learn.err().contains("stdout was a pipe while learning: its output could not be read back"),
                learn::toString);
        JsonObject p = json(saved);
        JsonArray kept = new JsonArray();
        p.getAsJsonArray("syscalls").forEach(e -> {
            if (!e.getAsString().equals("getdents64")) {
                kept.add(e);
            }
        });
        p.add("syscalls", kept);
        Path broken = Files.writeString(tmp.resolve("broken.json"), p.toString());
        SandboxRun v = run("verify", "--policy", broken.toString());
        assertEquals(1, v.exit(), v::toString);
        assertTrue(v.err().contains("different: /bin/ls /: exit status 159, learned 0 (killed by SIGSYS: policy "
                + "violation at syscall getdents64)"), v::toString);
    }

    @Test
    @DisplayName("learning again into the same policy merges, and a second run of the same command adds nothing")
    void severalRuns() throws IOException {
        Path policy = tmp.resolve("ls.json");
        SandboxRun first = run("--trace-block-dynamic", "--on-unknown", "allow", "--into", policy.toString(),
                "--exec", "/bin/ls", "/");
        assertEquals(0, first.exit(), first::toString);
        SandboxRun second = run("--trace-block-dynamic", "--on-unknown", "allow", "--save", policy.toString(),
                "--exec", "/bin/ls", "/");
        assertTrue(second.err().contains("no new syscalls in run 2"), second::toString);
        SandboxRun third = run("--trace-block-dynamic", "--on-unknown", "allow", "--into", policy.toString(),
                "--exec", "/bin/ls", "/");
        assertTrue(third.err().contains("no new syscalls in run 3; no new syscalls in the last 2 runs"),
                third::toString);
        assertEquals(3, json(policy).getAsJsonObject("metadata").getAsJsonArray("runs").size());
    }
}

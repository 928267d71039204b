package dev.sandbox.cli;

import static dev.sandbox.cli.SandboxRun.bare;
import static dev.sandbox.cli.SandboxRun.run;
import static dev.sandbox.cli.SandboxRun.runWithInput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The enforcer against the real kernel: the sandbox command runs C probes under real seccomp filters and the tests
 * look at what happened (a directory created or not, the errno a probe saw, the exit status).
 */
class EnforcerLiveTest {
    /** Enough for a dynamically linked probe to start, print and exit, plus getpid. */
    static final String PROBE_BASE = "\"execve\",\"brk\",\"arch_prctl\",\"mmap\",\"mprotect\",\"munmap\",\"read\","
            + "\"write\",\"exit_group\",\"openat\",\"close\",\"fstat\",\"newfstatat\",\"pread64\",\"access\","
            + "\"set_tid_address\",\"set_robust_list\",\"rseq\",\"prlimit64\",\"getrandom\",\"futex\",\"getpid\"";

    @TempDir
    Path tmp;

    @BeforeAll
    static void kernel() {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
    }

    private String policy(String json) throws IOException {
        Path p = Files.createTempFile(tmp, "policy", ".json");
        Files.writeString(p, json);
        return p.toString();
    }

    private String blockMkdir(String action) throws IOException {
        return policy("{\"mode\":\"block\",\"action\":\"" + action + "\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
    }

    @Test
    @DisplayName("an allowed program prints what it prints bare, and its arguments arrive verbatim")
    void sameOutputAsBare() throws IOException {
        String allowAll = policy("{\"mode\":\"block\",\"syscalls\":[]}");
        SandboxRun ls = run("--policy", allowAll, "--exec", "/bin/ls", "-la", "/usr/share/doc");
        assertEquals(bare("/bin/ls", "-la", "/usr/share/doc").out(), ls.out());
        assertEquals(0, ls.exit(), ls::toString);
        SandboxRun echo = run("--policy", allowAll, "--exec", "/bin/echo", "--verbose", "a  b", "--policy");
        assertEquals("--verbose a  b --policy\n", echo.out());
        assertEquals("", echo.err(), "nothing of the sandbox's own without --verbose");
    }

    @Test
    @DisplayName("stdin reaches the program; its exit code and death by signal come back")
    void passthrough() throws IOException {
        String allowAll = policy("{\"mode\":\"block\",\"syscalls\":[]}");
        assertEquals("line one\nline two\n", runWithInput("line one\nline two\n", "--policy", allowAll, "--exec",
                "/bin/cat").out());
        assertEquals(42, run("--policy", allowAll, "--exec", Probes.path("die"), "exit", "42").exit());
        assertEquals(128 + 10, run("--policy", allowAll, "--exec", Probes.path("die"), "10").exit());
    }

    @Test
    @DisplayName("kill action: a refused mkdir ends the program with 159 and the directory is never made")
    void killAction() throws IOException {
        Path dir = tmp.resolve("made-by-probe");
        SandboxRun r = run("--policy", blockMkdir("kill"), "--exec", Probes.path("mkdir"), dir.toString());
        assertEquals(159, r.exit(), r::toString);
        assertFalse(Files.exists(dir));
        assertTrue(r.err().contains("was killed by SIGSYS: policy violation"), r::toString);
        // named by the supervisor where the kernel has seccomp user notification, else by the kernel log (root)
        if (dev.sandbox.launch.Supervisor.available() || Probes.isRoot()) {
            assertTrue(r.err().contains("syscall mkdir is not allowed"), r::toString);
        }
    }

    @Test
    @DisplayName("errno action: the probe sees EPERM (or the errno asked for) and carries on")
    void errnoAction() throws IOException {
        Path dir = tmp.resolve("d");
        SandboxRun r = run("--policy", blockMkdir("errno"), "--exec", Probes.path("mkdir"), dir.toString());
        assertEquals("mkdir EPERM\n", r.out(), r::toString);
        assertEquals(0, r.exit());
        assertFalse(Files.exists(dir));
        String eacces = policy("{\"mode\":\"block\",\"errno\":\"EACCES\",\"syscalls\":[\"mkdir\"]}");
        assertEquals("mkdir EACCES\n", run("--policy", eacces, "--exec", Probes.path("mkdir"), dir.toString()).out());
    }

    @Test
    @DisplayName("block mode refuses exactly the listed syscalls")
    void blockModeExact() throws IOException {
        Path dir = tmp.resolve("allowed");
        String blockRmdir = policy("{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"rmdir\"]}");
        SandboxRun r = run("--policy", blockRmdir, "--exec", Probes.path("mkdir"), dir.toString());
        assertEquals("mkdir ok\n", r.out(), r::toString);
        assertTrue(Files.isDirectory(dir));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        int $0x80 mkdir (i386 39) is killed although x86_64 39 (getpid) is allowed | int80_mkdir
        an x32 getpid is killed although x86_64 getpid is allowed                  | x32_getpid
        """)
    void foreignArch(String what, String probe) throws IOException {
        String allow = policy("{\"mode\":\"allow\",\"syscalls\":[" + PROBE_BASE + "]}");
        Path dir = tmp.resolve("i386-dir");
        SandboxRun r = run("--policy", allow, "--exec", Probes.path(probe), dir.toString());
        assertEquals(159, r.exit(), r::toString);
        assertEquals("", r.out(), "the probe must not get to report anything");
        assertFalse(Files.exists(dir));
    }

    @Test
    @DisplayName("int $0x80 is killed in block mode too, where every x86_64 call is allowed")
    void foreignArchBlockMode() throws IOException {
        Path dir = tmp.resolve("i386-dir");
        SandboxRun r = run("--policy", blockMkdir("errno"), "--exec", Probes.path("int80_mkdir"), dir.toString());
        assertEquals(159, r.exit(), r::toString);
        assertFalse(Files.exists(dir));
    }

    @Test
    @DisplayName("forked children and exec'd programs inherit the filter")
    void inheritance() throws IOException {
        Path dir = tmp.resolve("child-dir");
        SandboxRun fork = run("--policy", blockMkdir("errno"), "--exec", Probes.path("fork_mkdir"), dir.toString());
        assertEquals("child_mkdir EPERM\nchild_exit 0\n", fork.out(), fork::toString);
        SandboxRun exec = run("--policy", blockMkdir("errno"), "--exec", Probes.path("vfork_exec"),
                Probes.path("mkdir"), dir.toString());
        assertEquals("mkdir EPERM\nchild_exit 0\n", exec.out(), exec::toString);
        assertFalse(Files.exists(dir));
    }

    @Test
    @DisplayName("inside, /proc/self/status shows Seccomp: 2 and NoNewPrivs: 1")
    void procStatus() throws IOException {
        SandboxRun r = run("--policy", blockMkdir("kill"), "--exec", Probes.path("status"));
        assertEquals("NoNewPrivs:\t1\nSeccomp:\t2\n", r.out(), r::toString);
    }

    @Test
    @DisplayName("a static program runs under policies/minimal.json")
    void minimalPolicy() {
        SandboxRun r = run("--policy", "minimal", "--exec", Probes.path("static_hello"));
        assertEquals("hello from a static program\n", r.out(), r::toString);
        assertEquals(0, r.exit());
    }

    @Test
    @DisplayName("a missing program is 127, a non-executable one 126, both with a sentence")
    void launchFailures() throws IOException {
        String allowAll = policy("{\"mode\":\"block\",\"syscalls\":[]}");
        SandboxRun missing = run("--policy", allowAll, "--exec", "/no/such/program");
        assertEquals(127, missing.exit());
        assertEquals("sandbox: cannot execute /no/such/program: No such file or directory\n", missing.err());
        assertEquals(127, run("--policy", allowAll, "--exec", "no-such-program-in-path").exit());
        Path text = Files.writeString(tmp.resolve("not-executable"), "hello");
        SandboxRun denied = run("--policy", allowAll, "--exec", text.toString());
        assertEquals(126, denied.exit());
        assertEquals("sandbox: cannot execute " + text + ": Permission denied\n", denied.err());
    }

    @Test
    @DisplayName("a policy that refuses execve is refused before anything starts")
    void execveRefused() throws IOException {
        Path marker = tmp.resolve("marker");
        SandboxRun r = run("--policy", policy("{\"mode\":\"allow\",\"syscalls\":[\"read\"]}"), "--exec",
                Probes.path("mkdir"), marker.toString());
        assertEquals(125, r.exit());
        assertTrue(r.err().contains("refuses execve"), r::toString);
        assertFalse(Files.exists(marker));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        not JSON             | {mode: allow}                                        | not valid JSON
        not an object        | ["read"]                                             | must be a JSON object
        missing mode         | {"syscalls": ["read"]}                               | missing "mode"
        wrong mode           | {"mode": "deny", "syscalls": []}                     | "mode" must be "allow" or "block"
        syscalls not a list  | {"mode": "block", "syscalls": "mkdir"}               | "syscalls" must be a list
        unknown syscall      | {"mode": "block", "syscalls": ["mkdri"]}             | unknown syscall "mkdri" (did you mean "mkdir"?)
        unknown key          | {"mode": "block", "syscalls": [], "extra": 1}        | unknown key "extra"
        unknown action       | {"mode": "block", "action": "maybe", "syscalls": []} | unknown action "maybe"
        unknown errno        | {"mode": "block", "errno": "ENOPE", "syscalls": []}  | unknown errno "ENOPE"
        empty file           | ''                                                   | file is empty
        """)
    void badPolicyNeverRuns(String what, String json, String expected) throws IOException {
        Path marker = tmp.resolve("marker");
        SandboxRun r = run("--policy", policy(json), "--exec", Probes.path("mkdir"), marker.toString());
        assertEquals(125, r.exit(), r::toString);
        assertTrue(r.err().startsWith("sandbox: policy "), r::toString);
        assertTrue(r.err().contains(expected), r::toString);
        assertFalse(r.err().contains("Exception"), "no stack trace: " + r);
        assertFalse(Files.exists(marker), "the program must not run");
    }

    @Test
    @DisplayName("an oversized or missing policy file is refused and the program never runs")
    void badPolicyFiles() throws IOException {
        Path marker = tmp.resolve("marker");
        Path big = tmp.resolve("big.json");
        Files.write(big, new byte[(1 << 20) + 1]);
        SandboxRun r = run("--policy", big.toString(), "--exec", Probes.path("mkdir"), marker.toString());
        assertEquals(125, r.exit());
        assertTrue(r.err().contains("larger than 1 MiB"), r::toString);
        SandboxRun none = run("--policy", tmp.resolve("none.json").toString(), "--exec", Probes.path("mkdir"),
                marker.toString());
        assertEquals(125, none.exit());
        assertTrue(none.err().contains("No such file or directory"), none::toString);
        assertFalse(Files.exists(marker));
    }

    @Test
    @DisplayName("--verbose says what the sandbox did on stderr and leaves stdout to the program")
    void verbose() throws IOException {
        SandboxRun r = run("--verbose", "--policy", blockMkdir("errno"), "--exec", "/bin/echo", "hi");
        assertEquals("hi\n", r.out());
        assertTrue(r.err().contains("block mode, 2 syscalls, refused calls get errno EPERM"), r::toString);
        assertTrue(r.err().matches("(?s).*seccomp filter: \\d+ BPF instructions.*"), r::toString);
        assertTrue(r.err().matches("(?s).*started /bin/echo as pid \\d+.*exited with status 0.*"), r::toString);
    }

    @Test
    @DisplayName("SIGTERM to the sandbox reaches the program, and the sandbox exits 143 when it dies of it")
    void signalForwarding() throws Exception {
        String allowAll = policy("{\"mode\":\"block\",\"syscalls\":[]}");
        Process p = SandboxRun.start("--verbose", "--policy", allowAll, "--exec", "/bin/sleep", "30");
        ProcessHandle sleep = SandboxRun.awaitChild(p, "sleep"); // the program runs
        new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
        SandboxRun r = SandboxRun.finish(p, 20);
        assertEquals(143, r.exit(), r::toString);
        assertFalse(sleep.isAlive());
    }

    @Test
    @DisplayName("--help and --version work; a missing --exec or unknown option is 125")
    void commandLine() {
        SandboxRun help = run("--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("--exec PROGRAM"), help::toString);
        assertTrue(run("--version").out().startsWith("sandbox "));
        assertEquals(125, run("--policy", "ls").exit());
        SandboxRun unknown = run("--frobnicate", "--exec", "/bin/true");
        assertEquals(125, unknown.exit());
        assertTrue(unknown.err().startsWith("sandbox: Unknown option: '--frobnicate'"), unknown::toString);
    }
}

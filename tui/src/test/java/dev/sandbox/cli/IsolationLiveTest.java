package dev.sandbox.cli;

import static dev.sandbox.cli.SandboxRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sandbox.isolation.KernelFiles;
import dev.sandbox.isolation.Landlock;
import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Escape attempts from inside the isolation, each a run of the {@code escape} probe through the real sandbox command,
 * as root and as an unprivileged user (CI runs both). What the probe reports is the kernel's answer.
 */
class IsolationLiveTest {
    @TempDir
    Path tmp;

    private static String allowAll;

    @BeforeAll
    static void kernel(@TempDir Path dir) throws IOException {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
        Path p = dir.resolve("allow-all.json");
        Files.writeString(p, "{\"mode\":\"block\",\"syscalls\":[]}");
        allowAll = p.toString();
        Probes.assumeFeature(userNamespaces(), "user namespaces are not available to this user "
                + "(sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone)");
    }

    /** Whether this user can create a user namespace (util-linux unshare, the same kernel check). */
    private static boolean userNamespaces() {
        try {
            Process p = new ProcessBuilder("unshare", "--user", "true").redirectErrorStream(true).start();
            return p.waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static SandboxRun sandbox(String... args) {
        List<String> all = new ArrayList<>(List.of("--policy", allowAll));
        all.addAll(List.of(args));
        return run(all.toArray(String[]::new));
    }

    private static String escape() {
        return Probes.path("escape");
    }

    @Test
    @DisplayName("a write to a --ro-bind fails with EROFS and the file is unchanged")
    void readOnlyBind() throws IOException {
        Path f = Files.writeString(tmp.resolve("keep"), "original");
        SandboxRun r = sandbox("--ro-bind", "/", "/", "--exec", escape(), "write", f.toString());
        assertEquals("write EROFS\n", r.out(), r::toString);
        assertEquals("original", Files.readString(f));
        SandboxRun rw = sandbox("--ro-bind", "/", "/", "--bind", tmp.toString(), "--exec", escape(), "write",
                f.toString());
        assertEquals("write ok\n", rw.out(), "a --bind on top is writable: " + rw);
    }

    @Test
    @DisplayName("from a pid namespace a host pid can be neither signalled nor seen in /proc")
    void pidNamespace() {
        String host = Long.toString(ProcessHandle.current().pid());
        SandboxRun r = sandbox("--unshare", "pid", "--exec", escape(), "kill", host);
        assertEquals("kill ESRCH\nproc ENOENT\n", r.out(), r::toString);
        SandboxRun bare = sandbox("--exec", escape(), "kill", host);
        assertEquals("kill ok\nproc ok\n", bare.out(), "without the namespace the same probe reaches us: " + bare);
    }

    @Test
    @DisplayName("the program is pid 2 under the namespace's init, and its exit status and signal reach the sandbox")
    void pidInitRelaysStatus() {
        SandboxRun r = sandbox("--unshare", "pid", "--exec", "/bin/sh", "-c", "echo $$; exit 7");
        assertEquals("2\n", r.out(), r::toString);
        assertEquals(7, r.exit());
        SandboxRun killed = sandbox("--unshare", "pid", "--exec", "/bin/sh", "-c", "kill -TERM $$");
        assertEquals(128 + 15, killed.exit(), killed::toString);
    }

    @Test
    @DisplayName("--net none: a TCP connect to a listener on the host's 127.0.0.1 fails; the socket is refused")
    void netNone() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String port = Integer.toString(server.getLocalPort());
            SandboxRun host = sandbox("--exec", escape(), "connect", port);
            assertEquals("connect ok\n", host.out(), "the listener is reachable bare: " + host);
            SandboxRun none = sandbox("--net", "none", "--exec", escape(), "connect", port);
            assertEquals("socket EAFNOSUPPORT\n", none.out(), none::toString);
            // The namespace alone (no socket rule): only loopback, where nothing listens.
            SandboxRun ns = sandbox("--unshare", "net", "--exec", escape(), "connect", port);
            assertEquals("connect ECONNREFUSED\n", ns.out(), ns::toString);
        }
    }

    @Test
    @DisplayName("mount and a new mount namespace are refused inside: the capabilities are gone")
    void mountAgain() {
        SandboxRun r = sandbox("--unshare-all", "--exec", escape(), "mount");
        assertTrue(r.out().contains("mount EPERM\n"), r::toString);
        assertTrue(r.out().contains("unshare-mount EPERM\n"), r::toString);
    }

    @Test
    @DisplayName("/proc/self/status shows the asked CapBnd, NoNewPrivs 1 and Seccomp 2; uid and gid as asked")
    void statusAsAsked() {
        SandboxRun r = sandbox("--unshare-all", "--user", "#0", "--group", "#0", "--cap-add", "CAP_NET_BIND_SERVICE",
                "--exec", escape(), "status");
        assertTrue(r.out().startsWith("uid 0 gid 0 "), r::toString);
        assertTrue(r.out().contains("CapBnd:\t0000000000000400\n"), r::toString);
        assertTrue(r.out().contains("CapEff:\t0000000000000400\n"), r::toString);
        assertTrue(r.out().contains("NoNewPrivs:\t1\n"), r::toString);
        assertTrue(r.out().contains("Seccomp:\t2\n"), r::toString);
        SandboxRun none = sandbox("--unshare", "user", "--exec", escape(), "status");
        assertTrue(none.out().contains("CapBnd:\t0000000000000000\n"), "--cap-drop ALL by default: " + none);
        assertTrue(none.out().contains("CapAmb:\t0000000000000000\n"), none::toString);
    }

    @Test
    @DisplayName("a setuid-root binary regains nothing: no capabilities, the caller's uid")
    void setuidRegainsNothing() throws IOException, InterruptedException {
        assumeTrue(Probes.isRoot(), "making a setuid-root binary needs root");
        Path copy = tmp.resolve("escape-setuid");
        Files.copy(Path.of(escape()), copy);
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(0, new ProcessBuilder("chmod", "4755", copy.toString()).start().waitFor());
        SandboxRun r = sandbox("--user", "#65534", "--group", "#65534", "--exec", copy.toString(), "status");
        assertTrue(r.out().startsWith("uid 65534 gid 65534 groups 0\n"), r::toString);
        assertTrue(r.out().contains("CapEff:\t0000000000000000\n"), r::toString);
        assertTrue(r.out().contains("CapPrm:\t0000000000000000\n"), r::toString);
    }

    @Test
    @DisplayName("after pivot_root the old root is unreachable: a host file outside the binds does not exist")
    void oldRootGone() throws IOException {
        Path secret = Files.writeString(tmp.resolve("secret"), "x");
        List<String> args = new ArrayList<>(systemBinds());
        args.addAll(List.of("--exec", escape(), "read", secret.toString()));
        SandboxRun r = sandbox(args.toArray(String[]::new));
        assertEquals("read ENOENT\n", r.out(), r::toString);
        args.set(args.size() - 1, "/oldroot");
        assertEquals("read ENOENT\n", sandbox(args.toArray(String[]::new)).out());
    }

    /** Read-only binds of what a dynamically linked probe needs, and the probe's own directory. */
    private static List<String> systemBinds() {
        List<String> a = new ArrayList<>();
        for (String d : new String[] {"/usr", "/lib", "/lib64", "/bin", Probes.dir().toString()}) {
            if (Files.exists(Path.of(d))) {
                a.addAll(List.of("--ro-bind", d));
            }
        }
        return a;
    }

    @Test
    @DisplayName("nothing is left mounted on the host after a run with a new root")
    void nothingLeftMounted() throws IOException {
        String before = KernelFiles.read(Path.of("/proc/self/mountinfo"));
        // A tmpfs on /mnt, not /tmp: one on /tmp would hide a checkout (the tests' working directory) under /tmp.
        SandboxRun r = sandbox("--unshare-all", "--ro-bind", "/", "/", "--tmpfs", "/mnt", "--dev", "/dev", "--exec",
                "/bin/true");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(before, KernelFiles.read(Path.of("/proc/self/mountinfo")));
    }

    @Test
    @DisplayName("--memory: allocating past the limit kills the program, reported as the memory limit")
    void memoryLimit() {
        SandboxRun r = sandbox("--memory", "32M", "--exec", escape(), "alloc", "256");
        if (!Probes.isRoot()) {
            // No delegated cgroup for this user here: refused before the program starts, with what to do.
            assertEquals(125, r.exit(), r::toString);
            assertTrue(r.err().contains("cgroup"), r::toString);
            assertFalse(r.out().contains("alloc"), r::toString);
            SandboxRun best = sandbox("--memory", "32M", "--best-effort", "--exec", escape(), "alloc", "8");
            assertEquals("alloc ok\n", best.out(), "--best-effort runs without the limit: " + best);
            assertTrue(best.err().contains("sandbox: warning: ") && best.err().contains("running without --memory"),
                    best::toString);
            return;
        }
        assertEquals(128 + 9, r.exit(), r::toString);
        assertTrue(r.err().contains("killed: memory limit 32M reached"), r::toString);
        assertEquals(Set.of(), leftoverCgroups(), "the cgroup is removed afterwards");
    }

    @Test
    @DisplayName("--pids: forking past the limit fails with EAGAIN, and the sandbox says so")
    void pidsLimit() {
        assumeTrue(Probes.isRoot(), "cgroup limits need root here (no delegated cgroup v2 subtree)");
        SandboxRun r = sandbox("--pids", "8", "--exec", escape(), "fork", "20");
        assertTrue(r.out().startsWith("fork EAGAIN after "), r::toString);
        assertTrue(r.err().contains("pids limit 8 reached"), r::toString);
        assertEquals(Set.of(), leftoverCgroups(), "the cgroup is removed afterwards");
    }

    /** Our sandbox-* cgroups still present in any hierarchy we are in. */
    private static Set<String> leftoverCgroups() {
        Set<String> left = new java.util.TreeSet<>();
        try (var walk = Files.walk(Path.of("/sys/fs/cgroup"), 6)) {
            walk.filter(p -> p.getFileName() != null && p.getFileName().toString().startsWith("sandbox-"))
                    .forEach(p -> left.add(p.toString()));
        } catch (IOException | java.io.UncheckedIOException e) {
            // an unreadable corner of the tree: only our own directories matter
        }
        return left;
    }

    @Test
    @DisplayName("Landlock: --fs-ro reads but does not run, --fs-exec runs")
    void landlockExec() throws IOException {
        Probes.assumeFeature(Landlock.abi() > 0, "Landlock: " + Landlock.unavailabilityCause());
        Path dir = Files.createDirectories(tmp.resolve("ro"));
        Path prog = dir.resolve("t");
        Files.copy(Path.of("/bin/true"), prog);
        prog.toFile().setExecutable(true);
        String script = "cat " + prog + " >/dev/null && echo read-ok; " + prog + " 2>/dev/null; echo exit=$?";
        List<String> base = List.of("--fs-exec", "/usr", "--fs-exec", "/lib", "--fs-exec", "/lib64", "--fs-rw",
                "/dev/null");
        List<String> ro = new ArrayList<>(base);
        ro.addAll(List.of("--fs-ro", dir.toString(), "--exec", "/bin/sh", "-c", script));
        SandboxRun r = sandbox(ro.toArray(String[]::new));
        assertEquals("read-ok\nexit=126\n", r.out(), r::toString);
        List<String> ex = new ArrayList<>(base);
        ex.addAll(List.of("--fs-exec", dir.toString(), "--exec", "/bin/sh", "-c", script));
        SandboxRun e = sandbox(ex.toArray(String[]::new));
        assertEquals("read-ok\nexit=0\n", e.out(), e::toString);
    }

    @Test
    @DisplayName("Landlock: a read outside the --fs-ro trees and a write in readonly mode fail with EACCES")
    void landlock() throws IOException {
        Probes.assumeFeature(Landlock.abi() > 0, "Landlock: " + Landlock.unavailabilityCause());
        Path f = Files.writeString(tmp.resolve("data"), "x");
        List<String> args = new ArrayList<>();
        for (String d : new String[] {"/usr", "/lib", "/lib64", Probes.dir().toString()}) {
            args.addAll(List.of("--fs-exec", d));
        }
        args.addAll(List.of("--exec", escape(), "read", f.toString()));
        SandboxRun r = sandbox(args.toArray(String[]::new));
        assertEquals("read EACCES\n", r.out(), r::toString);
        args.set(args.size() - 2, "write");
        args.addAll(args.size() - 4, List.of("--fs-rw", tmp.toString()));
        SandboxRun rw = sandbox(args.toArray(String[]::new));
        assertEquals("write ok\n", rw.out(), "--fs-rw allows writing beneath it: " + rw);
        SandboxRun ro = sandbox("--fs-mode", "readonly", "--exec", escape(), "write", f.toString());
        assertEquals("write EACCES\n", ro.out(), ro::toString);
        SandboxRun ws = sandbox("--fs-mode", "workspace-write", "--workspace", tmp.toString(), "--exec", escape(),
                "write", f.toString());
        assertEquals("write ok\n", ws.out(), ws::toString);
    }

    @Test
    @DisplayName("--rlimit sets soft and hard limits the program sees")
    void rlimit() {
        SandboxRun r = sandbox("--rlimit", "nofile=64:128", "--exec", "/bin/sh", "-c", "ulimit -Sn; ulimit -Hn");
        assertEquals("64\n128\n", r.out(), r::toString);
    }

    @Test
    @DisplayName("--audit in an enforced run: a start line with the settings, a violation line, an end line")
    void audit() throws IOException {
        Path log = tmp.resolve("audit.jsonl");
        Path policy = Files.writeString(tmp.resolve("no-getpid.json"), "{\"mode\":\"block\",\"syscalls\":"
                + "[\"getpid\"]}");
        SandboxRun r = run("--policy", policy.toString(), "--audit", log.toString(), "--unshare", "pid,net",
                "--rlimit", "nofile=64", "--exec", Probes.path("raw_syscall"), "39");
        assertEquals(128 + 31, r.exit(), r::toString);
        List<com.google.gson.JsonObject> lines = new ArrayList<>();
        for (String l : Files.readAllLines(log)) {
            lines.add(com.google.gson.JsonParser.parseString(l).getAsJsonObject());
        }
        assertEquals(List.of("start", "violation", "end"), lines.stream().map(o -> o.get("event").getAsString())
                .toList(), lines::toString);
        com.google.gson.JsonObject start = lines.get(0);
        assertTrue(start.get("namespaces").toString().contains("\"pid\""), start::toString);
        assertEquals("64", start.getAsJsonObject("limits").get("nofile").getAsString(), start::toString);
        assertEquals("getpid", lines.get(1).get("syscall").getAsString(), lines::toString);
        assertTrue(r.err().contains("(syscall getpid is not allowed by"), "the supervisor names the program's own "
                + "violation inside the pid namespace (pid 2 there): " + r);
        com.google.gson.JsonObject end = lines.get(2);
        assertEquals(159, end.get("exit").getAsInt());
        assertEquals("SIGSYS", end.get("signal").getAsString());
        assertTrue(end.has("wall_ms") && end.has("user_ms"), end::toString);
    }

    @Test
    @DisplayName("the violation supervisor names a grandchild inside a user namespace, and inside a pid namespace")
    void supervisorInside() throws IOException {
        Path policy = Files.writeString(tmp.resolve("no-mkdir.json"), "{\"mode\":\"block\",\"syscalls\":"
                + "[\"mkdir\",\"mkdirat\"]}");
        Path dir = tmp.resolve("d");
        // user,mount: a sync socket and the report pipe side by side; all: the supervisor is a child of pid 1 there.
        for (String ns : new String[] {"user,mount", "all"}) {
            List<String> args = new ArrayList<>(List.of("--policy", policy.toString()));
            args.addAll(ns.equals("all") ? List.of("--unshare-all", "--ro-bind", "/", "/", "--bind", tmp.toString())
                    : List.of("--unshare", ns));
            args.addAll(List.of("--exec", "/bin/sh", "-c", "mkdir " + dir + "; echo status $?"));
            SandboxRun r = run(args.toArray(String[]::new));
            assertEquals("status 159\n", r.out(), ns + ": " + r);
            assertEquals(0, r.exit(), ns + ": " + r);
            assertFalse(Files.exists(dir), ns);
            assertTrue(java.util.regex.Pattern.compile("sandbox: policy violation in pid \\d+ \\(/usr/bin/mkdir\\): "
                    + "syscall mkdir, killed by SIGSYS").matcher(r.err()).find(), ns + ": " + r);
        }
    }

    @Test
    @DisplayName("a bind of a missing path is refused before the program starts, naming the path")
    void missingBindSource() {
        SandboxRun r = sandbox("--bind", "/nonexistent/sandbox-test", "--exec", "/bin/true");
        assertEquals(125, r.exit(), r::toString);
        assertTrue(r.err().contains("--bind /nonexistent/sandbox-test: No such file or directory"), r::toString);
    }

    @Test
    @DisplayName("learning inside the isolation: the program's calls are learned, the sandbox's setup is not")
    void learnInside() throws IOException {
        Path save = tmp.resolve("learned.json");
        SandboxRun r = run("--trace-block-dynamic", "--on-unknown", "allow", "--save", save.toString(), "--verify",
                "--unshare-all", "--ro-bind", "/", "/", "--exec", escape(), "status");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.err().contains(": identical: "), "--verify runs in the same isolation (a bare run would show "
                + "other capabilities): " + r);
        assertTrue(r.out().contains("NoNewPrivs:\t1\n"), r::toString);
        String learned = Files.readString(save);
        for (String setup : new String[] {"\"mount\"", "\"pivot_root\"", "\"unshare\"", "\"capset\"",
            "\"umount2\"", "\"sethostname\"", "\"setresuid\""}) {
            assertFalse(learned.contains(setup), setup + " is the sandbox's, not the program's: " + learned);
        }
        SandboxRun enforced = sandbox("--unshare-all", "--ro-bind", "/", "/", "--exec", escape(), "status");
        SandboxRun again = run("--policy", save.toString(), "--unshare-all", "--ro-bind", "/", "/", "--exec",
                escape(), "status");
        assertEquals(enforced.out(), again.out(), "the learned policy runs the program in the same isolation");
    }

    @Test
    @DisplayName("a nested user and mount namespace cannot remount the read-only root, uncover a mount or write")
    void nestedNamespaceCannotUndoMounts() throws IOException {
        // Not under the --tmpfs. That goes on /mnt, not /tmp, which would hide a checkout (the probes) under /tmp.
        Path f = Files.createTempFile(Path.of("target").toAbsolutePath(), "keep", "");
        try {
            Files.writeString(f, "original");
            SandboxRun r = sandbox("--unshare-all", "--ro-bind", "/", "/", "--tmpfs", "/mnt", "--exec", escape(),
                    "nested", f.toString(), "/mnt");
            // EINVAL: the kernel locked /mnt on top of the rest when it copied the mounts (MNT_LOCKED).
            assertEquals("remount EPERM\numount EINVAL\nwrite EROFS\n", r.out(), r::toString);
            assertEquals("original", Files.readString(f));
        } finally {
            Files.delete(f);
        }
    }

    @Test
    @DisplayName("the program cannot move itself out of its limited cgroup: the cgroup trees are read-only")
    void cgroupStaysPut() throws IOException {
        assumeTrue(Probes.isRoot(), "cgroup limits need root here (no delegated cgroup v2 subtree)");
        String procs = hierarchyRootProcs("pids");
        assumeTrue(procs != null, "no cgroup v1 pids hierarchy here");
        SandboxRun r = sandbox("--pids", "16", "--exec", escape(), "join", procs);
        assertTrue(r.out().startsWith("join EROFS\n"), r::toString);
        assertTrue(r.out().lines().anyMatch(l -> l.contains(":pids:/") && l.contains("sandbox-")),
                "still in its own pids cgroup: " + r);
        SandboxRun bare = sandbox("--rlimit", "nofile=64", "--exec", escape(), "join", "/proc/self/nonexistent");
        assertTrue(bare.out().startsWith("join ENOENT\n"), "the probe reports what open says: " + bare);
    }

    /** FILE cgroup.procs at the root of the cgroup v1 hierarchy holding this controller, from our mountinfo. */
    private static String hierarchyRootProcs(String controller) throws IOException {
        for (String line : KernelFiles.read(Path.of("/proc/self/mountinfo")).split("\n")) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (dash > 4 && dash + 3 < f.length && f[dash + 1].equals("cgroup") && f[3].equals("/")
                    && List.of(f[dash + 3].split(",")).contains(controller)) {
                return f[4] + "/cgroup.procs";
            }
        }
        return null;
    }

    @Test
    @DisplayName("TIOCSTI (typing into the terminal the sandbox was started from) is refused with EPERM")
    void noTerminalInjection() {
        SandboxRun bare = run("--policy", allowAll, "--exec", escape(), "tiocsti");
        String legacy = KernelFiles.readOrNull(Path.of("/proc/sys/dev/tty/legacy_tiocsti"));
        if (legacy == null || legacy.trim().equals("1")) {
            assertEquals("tiocsti ok\n", bare.out(), "the kernel allows it without isolation: " + bare);
        }
        SandboxRun r = sandbox("--unshare", "user", "--exec", escape(), "tiocsti");
        assertEquals("tiocsti EPERM\n", r.out(), r::toString);
    }

    @Test
    @DisplayName("a background process the program leaves behind dies with the pid namespace")
    void nothingOutlivesThePidNamespace() throws IOException, InterruptedException {
        String marker = "4242." + ProcessHandle.current().pid();
        SandboxRun r = sandbox("--unshare", "pid", "--exec", "/bin/sh", "-c", "setsid sleep " + marker
                + " </dev/null >/dev/null 2>&1 & echo started");
        assertEquals("started\n", r.out(), r::toString);
        List<ProcessHandle> left = ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("")
                .contains(marker)).toList();
        left.forEach(ProcessHandle::destroyForcibly);
        assertEquals(List.of(), left.stream().map(p -> p.info().commandLine().orElse("")).toList());
    }

    @Test
    @DisplayName("another process's /proc/PID/root (the host's file system) cannot be read from inside")
    void noHostThroughProc() throws IOException, InterruptedException {
        Path secret = Files.writeString(tmp.resolve("secret"), "x");
        String viaProc = "/proc/" + ProcessHandle.current().pid() + "/root" + secret;
        Process bare = new ProcessBuilder(escape(), "read", viaProc).redirectErrorStream(true).start();
        assertEquals("read ok\n", new String(bare.getInputStream().readAllBytes()), "outside the sandbox the probe "
                + "reaches it");
        bare.waitFor();
        List<String> args = new ArrayList<>(systemBinds());
        args.addAll(List.of("--ro-bind", "/proc", "/proc", "--exec", escape(), "read", viaProc));
        SandboxRun r = sandbox(args.toArray(String[]::new));
        assertEquals("read EACCES\n", r.out(), "the host's /proc bound in, the sandbox's own process: " + r);
    }

    @Test
    @DisplayName("--root DIR is /, writable; --proc is the pid namespace's; --dev has the usual nodes and no others")
    void rootProcDev() throws IOException {
        Path root = Files.createDirectory(tmp.resolve("root"));
        List<String> args = new ArrayList<>(List.of("--root", root.toString()));
        args.addAll(systemBinds());
        args.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--exec", "/bin/sh", "-c",
                "echo made > /marker && ls /dev | tr '\\n' ' ' && echo && echo $$ && echo x > /dev/null && echo null ok"));
        SandboxRun r = sandbox(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r::toString);
        assertEquals("made\n", Files.readString(root.resolve("marker")), "the file landed in DIR: " + r);
        assertEquals("fd full null random shm stderr stdin stdout tty urandom zero \n2\nnull ok\n", r.out(),
                r::toString);
    }

    @Test
    @DisplayName("--cpus sets the cgroup's CPU quota the program runs under")
    void cpusLimit() throws IOException {
        assumeTrue(Probes.isRoot(), "cgroup limits need root here (no delegated cgroup v2 subtree)");
        String v1 = hierarchyRootProcs("cpu");
        String script = v1 != null
                ? "p=$(awk -F: '{n=split($2,c,\",\"); for(i=1;i<=n;i++) if(c[i]==\"cpu\") print $3}' /proc/self/cgroup); d="
                        + Path.of(v1).getParent() + "$p; cat $d/cpu.cfs_quota_us $d/cpu.cfs_period_us"
                : "p=$(sed -n 's/^0:://p' /proc/self/cgroup); cat /sys/fs/cgroup$p/cpu.max";
        SandboxRun r = sandbox("--cpus", "0.5", "--exec", "/bin/sh", "-c", script);
        assertEquals(v1 != null ? "50000\n100000\n" : "50000 100000\n", r.out(), r::toString);
        assertEquals(Set.of(), leftoverCgroups(), "the cgroup is removed afterwards");
    }
}

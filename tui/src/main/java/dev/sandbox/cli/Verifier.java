package dev.sandbox.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.isolation.Isolation;
import dev.sandbox.jna.LibC;
import dev.sandbox.jna.NativeCallException;
import dev.sandbox.jna.Posix;
import dev.sandbox.launch.Capture;
import dev.sandbox.launch.Argv;
import dev.sandbox.launch.Launcher;
import dev.sandbox.launch.RawArgs;
import dev.sandbox.launch.RawPath;
import dev.sandbox.launch.StaticRun;
import dev.sandbox.launch.Stdio;
import dev.sandbox.learn.Decider;
import dev.sandbox.learn.LearnedPolicy;
import dev.sandbox.learn.OnUnknown;
import dev.sandbox.policy.Mode;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.Printable;
import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.policy.PolicyResolver;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.trace.Tracer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The fidelity check: re-runs the command a learned policy recorded, under the static filter, with the same kinds of
 * stdin, stdout and stderr as the learning run (metadata.stdio: a regular file, a pipe, a terminal, /dev/null), and
 * compares the outcome with the one recorded: the exit status, and the output where the learning run's could be
 * read back (a regular file), as a unified diff. When the program is killed, names the syscall: from the
 * supervisor or the kernel log, else by running it once more under the tracer with the policy as its base.
 */
final class Verifier {
    static final int DIFFERENT = 1;
    private static final String[] STREAMS = {"stdin", "stdout", "stderr"};

    record Report(boolean identical, List<String> differences) {}

    private final PrintStream err;
    private Isolation isolation = Isolation.none();

    Verifier(PrintStream err) {
        this.err = err;
    }

    /** Verifies inside the isolation the program was learned in (--verify after a learning run with it). */
    Verifier isolation(Isolation isolation) {
        this.isolation = isolation;
        return this;
    }

    Report verify(String policyArg) {
        Path file = RawArgs.representable(RawPath.bytes(policyArg)) ? PolicyResolver.resolve(policyArg)
                : RawPath.forReading(RawPath.of(policyArg));
        return verify(file, RawPath.show(policyArg));
    }

    Report verify(Path file, String shown) {
        PolicyArg.Loaded loaded = PolicyArg.loaded(file, shown, SandboxCommand.sayTo(err));
        Policy policy = loaded.policy();
        JsonObject meta = policy.metadata();
        if (!meta.has("program") || !meta.has("outcome")) {
            throw new SandboxException("policy " + shown + " records no learning run to compare with (it needs "
                    + "metadata.program and metadata.outcome, written by --trace-block-dynamic --save)",
                    ExitCodes.REFUSED);
        }
        Argv command = command(meta);
        String cwd = meta.has("cwd") ? meta.get("cwd").getAsString() : null;
        JsonObject expected = meta.getAsJsonObject("outcome");
        List<String> notes = new ArrayList<>();
        if (cwd != null && !java.nio.file.Files.isDirectory(Path.of(cwd))) {
            // A policy learned in another checkout or on another machine: the run is still worth comparing.
            notes.add("the learning run's working directory " + Printable.escape(cwd) + " is not here: running in "
                    + "the current directory");
            cwd = null;
        }
        Stdio.Kind[] kinds = kinds(meta, expected);
        Streams streams = new Streams();
        StaticRun.Outcome got;
        try {
            streams.open(kinds, meta, notes);
            // A verified policy is about to be enforced: leave it compiled in the cache for sandbox-run.
            StaticRun run = SandboxCommand.cacheCompiled(new StaticRun(Launcher.installed(), SandboxCommand.QUIET,
                    SandboxCommand.QUIET), loaded, SandboxCommand.QUIET).isolation(isolation);
            got = run.execute(policy, command, cwd, streams.fds());
        } finally {
            streams.spawned();
        }
        Stdio.Written[] outputs = streams.finish();

        List<String> differences = new ArrayList<>();
        List<String> diffs = new ArrayList<>();
        int wantExit = expected.get("exit_status").getAsInt();
        int gotExit = got.policyKill() ? 128 + LibC.SIGSYS : got.status().sandboxExitCode();
        if (gotExit != wantExit) {
            String why = "";
            if (got.policyKill()) {
                String syscall = got.killedSyscall() != null ? got.killedSyscall() : traceFirstRefusal(policy,
                        command, cwd);
                why = " (killed by SIGSYS: policy violation" + (syscall != null ? " at syscall " + syscall : "")
                        + ")";
            } else if (got.status().signaled()) {
                why = " (" + got.status().describe() + ")";
            }
            differences.add("exit status " + gotExit + ", learned " + wantExit + why);
        }
        for (var v : got.violations()) {
            notes.add("policy violation in " + v.describe());
        }
        for (int fd = 1; fd < 3; fd++) {
            compare(STREAMS[fd], kinds[fd], expected, outputs[fd], differences, diffs, notes);
        }
        String what = command.display();
        if (differences.isEmpty()) {
            err.println("sandbox: verify " + shown + ": identical: " + what + " exits " + gotExit
                    + (expected.has("stdout_sha256") ? ", same stdout" : "")
                    + (expected.has("stderr_sha256") ? ", same stderr" : "") + " under the policy");
        } else {
            err.println("sandbox: verify " + shown + ": different: " + what + ": "
                    + String.join("; ", differences));
            for (String d : diffs) {
                err.print(d);
            }
        }
        for (String n : notes) {
            err.println("sandbox: verify: " + n);
        }
        return new Report(differences.isEmpty(), differences);
    }

    /** The recorded command: its exact bytes when the arguments were not all text. */
    static Argv command(JsonObject meta) {
        if (meta.has("argv_base64")) {
            List<byte[]> raw = new ArrayList<>();
            for (JsonElement a : meta.getAsJsonArray("argv_base64")) {
                raw.add(Base64.getDecoder().decode(a.getAsString()));
            }
            return Argv.ofBytes(raw);
        }
        List<String> argv = new ArrayList<>();
        argv.add(meta.get("program").getAsString());
        if (meta.has("args")) {
            for (JsonElement a : meta.getAsJsonArray("args")) {
                argv.add(a.getAsString());
            }
        }
        return Argv.of(argv);
    }

    /**
     * The kinds the learning run had. A policy learned before metadata.stdio was recorded had its outputs hashed
     * through a pipe when they were not a terminal.
     */
    static Stdio.Kind[] kinds(JsonObject meta, JsonObject expected) {
        JsonObject stdio = meta.has("stdio") ? meta.getAsJsonObject("stdio") : new JsonObject();
        Stdio.Kind[] kinds = new Stdio.Kind[3];
        for (int fd = 0; fd < 3; fd++) {
            Stdio.Kind k = stdio.has(STREAMS[fd]) ? Stdio.Kind.parse(stdio.get(STREAMS[fd]).getAsString()) : null;
            if (k == null) {
                k = fd == 0 ? Stdio.Kind.NULL : expected.has(STREAMS[fd] + "_sha256") ? Stdio.Kind.PIPE
                        : Stdio.Kind.TERMINAL;
            }
            kinds[fd] = k;
        }
        return kinds;
    }

    private static void compare(String stream, Stdio.Kind kind, JsonObject expected, Stdio.Written got,
            List<String> differences, List<String> diffs, List<String> notes) {
        String key = stream + "_sha256";
        if (!expected.has(key)) {
            if (kind != Stdio.Kind.NULL && kind != Stdio.Kind.CLOSED) {
                notes.add(stream + " was a " + kind.label() + " while learning: its output could not be read back, "
                        + "so it is not compared");
            }
            return;
        }
        if (got == null) {
            notes.add(stream + ": the output of this run could not be read back, so it is not compared");
            return;
        }
        if (expected.get(key).getAsString().equals(got.sha256())) {
            return;
        }
        long wantBytes = expected.has(stream + "_bytes") ? expected.get(stream + "_bytes").getAsLong() : -1;
        differences.add(stream + " differs (" + (wantBytes >= 0 ? wantBytes + " bytes learned, " : "")
                + got.bytes() + " bytes now)");
        String learned = expected.has(stream + "_text") ? expected.get(stream + "_text").getAsString() : null;
        if (learned != null && got.text() != null) {
            diffs.add(UnifiedDiff.diff(learned, got.text(), stream + " while learning", stream + " under the policy"));
        } else {
            notes.add(stream + ": no diff shown (only text up to " + Stdio.MAX_TEXT / 1024 + " KiB is kept)");
        }
    }

    /** The program's fds for the verify run, of the kinds the learning run had, and what came out of them. */
    private static final class Streams {
        private final int[] fds = {-1, -1, -1};
        private final List<Integer> ours = new ArrayList<>();
        private final Capture[] captures = new Capture[3];
        private final Path[] files = new Path[3];
        private int ptyMaster = -1;
        private int ptySlave = -1;

        int[] fds() {
            return fds;
        }

        void open(Stdio.Kind[] kinds, JsonObject meta, List<String> notes) {
            for (int fd = 0; fd < 3; fd++) {
                Stdio.Kind k = kinds[fd];
                switch (k) {
                    case FILE -> fds[fd] = fd == 0 ? input(meta, notes) : output(fd);
                    case PIPE, SOCKET -> {
                        if (k == Stdio.Kind.SOCKET) {
                            notes.add(STREAMS[fd] + " was a socket while learning; verify uses a pipe");
                        }
                        if (fd == 0) {
                            int[] p = Launcher.pipe();
                            Launcher.closeQuietly(p[1]); // an empty stdin: EOF at once
                            fds[0] = keep(p[0]);
                        } else {
                            captures[fd] = Capture.pipe(STREAMS[fd]);
                            fds[fd] = captures[fd].childFd();
                        }
                    }
                    case TERMINAL -> fds[fd] = pty();
                    case CLOSED -> fds[fd] = Launcher.CLOSED;
                    default -> fds[fd] = keep(Launcher.above(Posix.open("/dev/null", LibC.O_RDWR | LibC.O_CLOEXEC)));
                }
            }
        }

        private int keep(int fd) {
            ours.add(fd);
            return fd;
        }

        /** The file the learning run read, when it is still there; else an empty one. */
        private int input(JsonObject meta, List<String> notes) {
            JsonObject stdio = meta.has("stdio") ? meta.getAsJsonObject("stdio") : new JsonObject();
            if (stdio.has("stdin_path")) {
                try {
                    return keep(Launcher.above(Posix.open(stdio.get("stdin_path").getAsString(),
                            LibC.O_RDONLY | LibC.O_CLOEXEC)));
                } catch (NativeCallException e) {
                    notes.add("stdin was " + stdio.get("stdin_path").getAsString() + " while learning; it is gone, "
                            + "so verify gives an empty file");
                }
            }
            try {
                Path empty = Files.createTempFile("sandbox-verify-stdin", "");
                files[0] = empty;
                return keep(Launcher.above(Posix.open(empty.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC)));
            } catch (IOException e) {
                throw new SandboxException("cannot make a file for verify's stdin: " + e.getMessage(),
                        ExitCodes.REFUSED);
            }
        }

        private int output(int fd) {
            try {
                Path f = Files.createTempFile("sandbox-verify-" + STREAMS[fd], "");
                files[fd] = f;
                return keep(Launcher.above(Posix.open(f.toString(), LibC.O_RDWR | LibC.O_CLOEXEC)));
            } catch (IOException e) {
                throw new SandboxException("cannot make a file for verify's " + STREAMS[fd] + ": " + e.getMessage(),
                        ExitCodes.REFUSED);
            }
        }

        /** One pseudo-terminal for every stream that was a terminal; its output is drained, not compared. */
        private int pty() {
            if (ptySlave >= 0) {
                return ptySlave;
            }
            try {
                int m = Launcher.above(Posix.posix_openpt(LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC));
                Posix.grantpt(m);
                Posix.unlockpt(m);
                String name = Posix.ptsname(m);
                ptyMaster = m;
                ptySlave = keep(Launcher.above(Posix.open(name, LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC)));
                captures[0] = Capture.reading(m, "terminal");
                // ^D: a program that reads the terminal sees the end of its input instead of waiting for a person
                Posix.write(m, new byte[] {4}, 1);
                return ptySlave;
            } catch (NativeCallException e) {
                throw new NativeCallException("opening a pseudo-terminal for verify", e.errno());
            }
        }

        /** After the spawn (or a failed one): only the program holds its ends. */
        void spawned() {
            for (int fd : ours) {
                Launcher.closeQuietly(fd);
            }
            ours.clear();
            for (Capture c : captures) {
                if (c != null) {
                    c.spawned();
                }
            }
        }

        Stdio.Written[] finish() {
            Stdio.Written[] out = new Stdio.Written[3];
            for (int fd = 1; fd < 3; fd++) {
                if (captures[fd] != null) {
                    out[fd] = captures[fd].finish();
                } else if (files[fd] != null) {
                    try (SeekableByteChannel ch = Files.newByteChannel(files[fd])) {
                        out[fd] = Stdio.read(ch, 0);
                    } catch (IOException e) {
                        out[fd] = null;
                    }
                }
            }
            if (captures[0] != null) {
                captures[0].finish(); // the terminal's output, drained so the program never blocks on it
            }
            for (Path f : files) {
                if (f != null) {
                    try {
                        Files.deleteIfExists(f);
                    } catch (IOException e) {
                        // a temp file left behind is harmless
                    }
                }
            }
            return out;
        }
    }

    /** Runs the command under the tracer with the policy as its base; the first syscall it does not cover stops it. */
    private String traceFirstRefusal(Policy policy, Argv command, String cwd) {
        if (policy.mode() != Mode.ALLOW) {
            return null;
        }
        Decider decider = new Decider(policy, OnUnknown.KILL, null, line -> { });
        Tracer tracer = new Tracer(Launcher.installed(),
                new Tracer.Options(policy, Duration.ofSeconds(1), true, false, false, cwd),
                decider, null, new LearnedPolicy(), line -> { });
        tracer.isolation(isolation);
        int devnull = Posix.open("/dev/null", LibC.O_RDWR | LibC.O_CLOEXEC);
        try {
            tracer.outputs(devnull, devnull);
            SyscallRef at = tracer.run(command).killedAt();
            return at == null ? null : at.toString();
        } finally {
            Posix.close(devnull);
        }
    }
}

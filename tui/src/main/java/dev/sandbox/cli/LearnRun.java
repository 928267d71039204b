package dev.sandbox.cli;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.jna.LibC;
import dev.sandbox.launch.Argv;
import dev.sandbox.launch.Launcher;
import dev.sandbox.launch.RawArgs;
import dev.sandbox.launch.RawPath;
import dev.sandbox.launch.SignalForwarder;
import dev.sandbox.launch.Signals;
import dev.sandbox.launch.Stdio;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.sandbox.learn.AuditLog;
import dev.sandbox.learn.Decider;
import dev.sandbox.learn.LearnedPolicy;
import dev.sandbox.learn.OnUnknown;
import dev.sandbox.line.LinePrompter;
import dev.sandbox.screen.LearnScreen;
import dev.sandbox.screen.Tty;
import dev.sandbox.policy.Metadata;
import dev.sandbox.policy.Mode;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyFile;
import dev.sandbox.policy.Printable;
import dev.sandbox.prompt.Prompter;
import dev.sandbox.trace.Tracer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/** {@code --trace-block-dynamic}: wires the tracer, the decision chain, a prompter and the export together. */
final class LearnRun {
    private final SandboxCommand opts;
    private final Argv command;
    private final PrintStream err;
    /** Bytes the sandbox itself wrote to stderr: if any land during the run, stderr's range is not the program's. */
    private final long[] ownStderr = new long[1];

    LearnRun(SandboxCommand opts, Argv command, PrintStream err) {
        this.opts = opts;
        this.command = command;
        this.err = new PrintStream(new java.io.FilterOutputStream(err) {
            @Override
            public void write(int b) throws IOException {
                ownStderr[0]++;
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ownStderr[0] += len;
                out.write(b, off, len);
            }
        }, true);
    }

    int run() {
        Consumer<String> say = SandboxCommand.sayTo(err);
        OnUnknown onUnknown = OnUnknown.parse(opts.onUnknown);
        if (onUnknown == null) {
            throw new SandboxException("--on-unknown must be ask, allow, block or kill, not \"" + opts.onUnknown
                    + "\"", ExitCodes.REFUSED);
        }
        if (opts.timeout < 1) {
            throw new SandboxException("--timeout must be at least 1 second", ExitCodes.REFUSED);
        }
        if (!opts.ui.equals("line") && !opts.ui.equals("auto") && !opts.ui.equals("screen")) {
            throw new SandboxException("--ui must be line, screen or auto, not \"" + opts.ui + "\"",
                    ExitCodes.REFUSED);
        }
        if (opts.into != null) {
            if (opts.policy != null || opts.save != null) {
                throw new SandboxException("--into FILE already means --policy FILE --save FILE", ExitCodes.REFUSED);
            }
            if (java.nio.file.Files.exists(RawPath.forReading(opts.into))) {
                opts.policy = RawPath.forReading(opts.into).toString();
            }
        }
        if (opts.fast && opts.full) {
            throw new SandboxException("--fast and --full exclude each other", ExitCodes.REFUSED);
        }
        // Found before the program runs: a session must not be learned only to be lost at the end.
        Path saveTo = opts.into != null ? opts.into : opts.save;
        if (saveTo != null) {
            PolicyFile.checkWritable(RawPath.forReading(saveTo), opts.into != null ? "--into" : "--save");
        }
        PolicyFile.State before = saveTo == null ? PolicyFile.State.ABSENT
                : PolicyFile.State.of(RawPath.forReading(saveTo));
        Policy base = opts.policy == null ? null : opts.loadPolicy(say);
        if (opts.into != null && base != null && base.mode() != Mode.ALLOW) {
            throw new SandboxException("cannot merge a learned allowlist into " + RawPath.show(opts.into)
                    + ", a block-mode policy; save to another file", ExitCodes.REFUSED);
        }
        Policy ceiling = null;
        if (!opts.noCeiling) {
            String name = opts.ceiling != null ? opts.ceiling : "ceiling";
            try {
                ceiling = PolicyArg.load(name, say);
            } catch (SandboxException e) {
                throw new SandboxException("the learning ceiling: " + e.userMessage() + " (or learn with --no-ceiling)",
                        ExitCodes.REFUSED);
            }
            if (ceiling.mode() != Mode.BLOCK) {
                throw new SandboxException("the ceiling " + ceiling.source() + " must be a block-mode policy listing "
                        + "the syscalls that may never be allowed", ExitCodes.REFUSED);
            }
        }
        // Fast mode cannot see the syscalls its filter lets through, so it cannot save only what the program used:
        // it is never the default, only asked for with --fast (and then its save says base + allowed).
        boolean fast = base != null && base.mode() == Mode.ALLOW && opts.fast;
        if (opts.fast && !fast) {
            throw new SandboxException("--fast needs an allowlist base policy (--policy FILE with \"mode\": \"allow\")",
                    ExitCodes.REFUSED);
        }
        Policy filterBase = base;
        if (fast && ceiling != null) {
            // In fast mode the base allowlist never stops the tracer: ceiling syscalls must stop it anyway.
            filterBase = base.without(ceiling::refusesByIdentity);
        }
        AuditLog audit = null;
        if (opts.audit != null) {
            try {
                audit = new AuditLog(RawPath.forReading(opts.audit));
            } catch (IOException e) {
                throw new SandboxException("cannot open the audit file " + opts.audit + ": " + e.getMessage(),
                        ExitCodes.REFUSED);
            }
        }
        Launcher launcher = Launcher.installed();
        dev.sandbox.isolation.Isolation isolation = opts.isolation();
        // Everything that can refuse has been checked: only now may the screen take over the terminal.
        boolean terminal = LibC.isatty(0) == 1 && LibC.isatty(1) == 1;
        String term = System.getenv("TERM");
        // The screen borrows the alternate screen for each question: terminals without one get the line prompt.
        boolean capable = terminal && term != null && !term.isEmpty() && !term.equals("dumb")
                && !term.equals("linux") && !term.startsWith("vt");
        boolean screenUi = onUnknown == OnUnknown.ASK && (opts.ui.equals("screen") || opts.ui.equals("auto") && capable);
        if (opts.ui.equals("screen") && !terminal) {
            // Refuse rather than fall back: the person asked for a screen that cannot be shown here.
            throw new SandboxException("--ui screen needs a terminal on stdin and stdout", ExitCodes.REFUSED);
        }
        LinePrompter line = LinePrompter.open();
        Tty tty = null;
        LearnScreen learnScreen = null;
        Tracer[] tracerRef = new Tracer[1];
        if (screenUi) {
            tty = Tty.open();
            if (tty == null) {
                throw new SandboxException("cannot start the screen UI: no controlling terminal (try --ui line)",
                        ExitCodes.REFUSED);
            }
            // q or Ctrl-C inside a question ends the session as an interrupt does (exit 130), and says so
            learnScreen = LearnScreen.on(tty, command.display(), fast, () -> tracerRef[0].interrupt(LibC.SIGINT));
        }
        Prompter prompter = onUnknown != OnUnknown.ASK ? null : learnScreen != null ? learnScreen : line;
        Decider decider = new Decider(base, ceiling, onUnknown, prompter, say);
        LearnedPolicy learned = new LearnedPolicy();
        // Pinning makes each stop cheaper but the program then sees one CPU (nproc, sched_getaffinity) and may take
        // another path than it will under the enforcer: only when asked for.
        Tracer tracer = new Tracer(launcher,
                new Tracer.Options(filterBase, Duration.ofSeconds(opts.timeout), fast, opts.pin, opts.verbose, null,
                        ceiling),
                decider, prompter, learned, text -> err.println(text), audit);
        tracerRef[0] = tracer;
        tracer.isolation(isolation);
        if (opts.verbose) {
            say.accept("learning " + command.programName() + (base != null ? " with base policy " + base.source() : "")
                    + (fast ? " (fast mode: only syscalls outside the base allowlist stop)" : "")
                    + "; unknown syscalls: " + onUnknown.name().toLowerCase(java.util.Locale.ROOT));
        }
        // The program gets our fds 0, 1 and 2 as they are: a program that finds a pipe where its file was takes
        // another path (see Stdio). Only their kinds are recorded, and what it wrote to a regular file is read back
        // afterwards for verify. The screen UI leaves the terminal to the program too: it borrows it only while a
        // question is open.
        Stdio.Kind[] kinds = new Stdio.Kind[3];
        for (int fd = 0; fd < 3; fd++) {
            kinds[fd] = Stdio.kind(fd);
        }
        Stdio.Mark outMark = Stdio.Mark.before(1);
        Stdio.Mark errMark = Stdio.Mark.before(2);
        if (learnScreen != null) {
            tracer.feed(learnScreen);
        }
        // In the screen UI the program has the keys between questions, so a Ctrl-C there is the program's: the
        // kernel sends SIGINT to the whole foreground group, the program among it, and the sandbox lets it decide
        // (as strace -o does). If it dies of it, the session ends normally and the policy is saved.
        boolean programsCtrlC = learnScreen != null;
        SignalForwarder forwarder = SignalForwarder.install(sig -> {
            if (!(programsCtrlC && sig == LibC.SIGINT)) {
                tracer.interrupt(sig);
            }
        });
        Tracer.Result result;
        long ownBefore = ownStderr[0];
        boolean ownDuring;
        try {
            result = tracer.run(command);
        } finally {
            // In the screen UI the handler stays to the end: the program's Ctrl-C reached the sandbox too, and the
            // JVM may run the handler only now; the default one would exit at once, before the policy is saved.
            if (!programsCtrlC) {
                forwarder.uninstall();
            }
            ownDuring = ownStderr[0] != ownBefore;
            if (tty != null) {
                tty.close();
            }
        }
        String endedAt = learnScreen == null ? null : learnScreen.endedByPerson();
        report(result, endedAt);
        if (learnScreen != null) {
            say.accept("session: " + learnScreen.summary());
            if (learnScreen.wasUnavailable()) {
                say.accept("some questions could not take the terminal and were blocked");
            }
        }
        if (audit != null) {
            try {
                audit.close();
                RawPath.commit(opts.audit);
            } catch (IOException e) {
                say.accept("closing the audit file: " + e.getMessage());
            }
        }
        LearnedPolicy.Run run = new LearnedPolicy.Run(command.strings(), System.getProperty("os.version"), version(), base,
                fast, result.status() != null && !result.status().signaled() ? result.status().code() : null,
                ceiling, !opts.noFamilies);
        Policy fresh = learned.export(run, saveTo == null ? "learned policy" : RawPath.show(saveTo));
        Metadata.Builder meta = fresh.meta().toBuilder().cwd(System.getProperty("user.dir"));
        JsonObject extra = fresh.meta().extra().deepCopy();
        if (!command.utf8()) {
            // metadata.program/args are text; these are the exact bytes, for verify to run the same command
            JsonArray raw = new JsonArray();
            command.argv().forEach(a -> raw.add(java.util.Base64.getEncoder().encodeToString(a)));
            extra.add("argv_base64", raw);
        }
        JsonObject stdio = stdioKinds(kinds);
        if (kinds[0] == Stdio.Kind.FILE) {
            try {
                stdio.addProperty("stdin_path", java.nio.file.Files.readSymbolicLink(Path.of("/proc/self/fd/0"))
                        .toString());
            } catch (IOException | RuntimeException e) {
                // verify then gives an empty file
            }
        }
        extra.add("stdio", stdio);
        meta.extra(extra);
        // Each run says what its stdio was too: a policy learned over several runs (regenerate.sh learns every
        // invocation with output to a terminal, a pipe and a file) shows which kinds it has seen.
        java.util.List<Metadata.Run> runs = new java.util.ArrayList<>();
        for (Metadata.Run r : fresh.meta().runs()) {
            JsonObject runExtra = r.extra().deepCopy();
            runExtra.add("stdio", stdioKinds(kinds));
            runs.add(new Metadata.Run(r.date(), r.command(), r.newSyscalls(), runExtra));
        }
        meta.runs(runs);
        if (result.status() != null && result.interrupted() == 0 && result.killedAt() == null) {
            JsonObject written = new JsonObject();
            String outHash = written(written, "stdout", outMark);
            // The sandbox's own lines (a --verbose trace, a notice) may share the file: then the range is mixed.
            String errHash = written(written, "stderr", ownDuring ? null : errMark);
            meta.outcome(new Metadata.Outcome(result.status().sandboxExitCode(), outHash, errHash, written));
        }
        fresh = fresh.withMeta(meta.build());
        int size = fresh.syscalls().size();
        Path target = saveTo;
        if (target == null && prompter != null && line != null && (result.interrupted() == 0 || endedAt != null)) {
            Path suggested = RawPath.of(suggestedName(command.program()));
            if (line.confirm("sandbox: save the learned policy (" + size + " syscalls) to " + RawPath.show(suggested)
                    + (java.nio.file.Files.exists(RawPath.forReading(suggested)) ? ", replacing it" : "") + "?",
                    Duration.ofSeconds(opts.timeout))) {
                target = suggested;
                PolicyFile.checkWritable(RawPath.forReading(target), "saving to");
                before = PolicyFile.State.of(RawPath.forReading(target));
            } else {
                say.accept("not saved; to keep what a run learns: " + rerunWithSave(suggested));
            }
        }
        if (target != null) {
            new Saver(say).save(fresh, RawPath.forReading(target), opts.into != null, before, fast ? base : null);
            RawPath.commit(target);
            if (opts.verify) {
                Verifier.Report report = new Verifier(err).isolation(isolation).verify(RawPath.forReading(target),
                        RawPath.show(target));
                if (!report.identical()) {
                    return Verifier.DIFFERENT;
                }
            }
        } else if (opts.verify) {
            throw new SandboxException("--verify needs --save FILE", ExitCodes.REFUSED);
        }
        return result.exitCode();
    }

    private void report(Tracer.Result r, String endedAt) {
        if (endedAt != null) {
            err.println("sandbox: you ended the session at " + endedAt + ": the traced programs were killed");
        } else if (r.killedAt() != null) {
            err.println("sandbox: killed " + command.programName() + " and every process it started, at syscall "
                    + r.killedAt());
        } else if (r.interrupted() != 0) {
            err.println("sandbox: interrupted by " + Signals.name(r.interrupted())
                    + ": the traced programs were killed");
        } else if (r.status() != null && r.status().signaled()) {
            err.println("sandbox: " + command.programName() + " was " + r.status().describe());
        }
    }

    /** The command that learns again and saves: the sandbox's own options as given, with --save added. */
    private String rerunWithSave(Path file) {
        java.util.List<String> words = new java.util.ArrayList<>(java.util.List.of("sandbox"));
        words.addAll(opts.ownArgs);
        words.add("--save");
        words.add(file.toString());
        words.add("--exec");
        words.addAll(command.strings());
        StringBuilder b = new StringBuilder();
        for (String w : words) {
            b.append(b.length() == 0 ? "" : " ").append(w.matches("[A-Za-z0-9_./=:,+@%^-]+") ? w
                    : "'" + w.replace("'", "'\\''") + "'");
        }
        return b.toString();
    }

    /** "2 new syscalls (statx, getrandom); no new syscalls in the last 3 runs": tells when learning is done. */
    static String convergence(LearnedPolicy.Merged e) {
        String now = e.added().isEmpty() ? "no new syscalls"
                : e.added().size() + " new syscall" + (e.added().size() == 1 ? "" : "s") + " ("
                        + String.join(", ", e.added()) + ")";
        String streak = e.quietRuns() >= 2 ? "; no new syscalls in the last " + e.quietRuns() + " runs" : "";
        return now + " in run " + e.runs() + streak;
    }

    /**
     * metadata.stdio: what the program's fds 0, 1 and 2 were ("file", "pipe", "terminal", "null", "socket",
     * "device", "closed"), so that verify runs it with the same kinds.
     */
    static JsonObject stdioKinds(Stdio.Kind[] kinds) {
        JsonObject o = new JsonObject();
        String[] names = {"stdin", "stdout", "stderr"};
        for (int i = 0; i < 3; i++) {
            o.addProperty(names[i], kinds[i].label());
        }
        return o;
    }

    /**
     * What the run wrote to a regular file, for verify: its length and, when short, its text (into {@code outcome});
     * returns its hash, or null when it was not a regular file.
     */
    private static String written(JsonObject outcome, String stream, Stdio.Mark mark) {
        Stdio.Written w = mark == null ? null : mark.written();
        if (w == null) {
            return null;
        }
        outcome.addProperty(stream + "_bytes", w.bytes());
        if (w.text() != null) {
            outcome.addProperty(stream + "_text", w.text());
        }
        return w.sha256();
    }

    /** "ls.json" for /bin/ls: the program's last path element, as bytes. */
    private static byte[] suggestedName(byte[] program) {
        int slash = -1;
        for (int i = 0; i < program.length; i++) {
            if (program[i] == '/') {
                slash = i;
            }
        }
        byte[] base = java.util.Arrays.copyOfRange(program, slash + 1, program.length);
        byte[] out = java.util.Arrays.copyOf(base, base.length + 5);
        System.arraycopy(".json".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, out, base.length, 5);
        return out;
    }

    private static String version() {
        return Version.text();
    }
}

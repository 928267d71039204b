package dev.sandbox.cli;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.jna.LibC;
import dev.sandbox.launch.Capture;
import dev.sandbox.launch.Launcher;
import dev.sandbox.launch.SignalForwarder;
import dev.sandbox.launch.Signals;
import dev.sandbox.learn.AuditLog;
import dev.sandbox.learn.Decider;
import dev.sandbox.learn.LearnedPolicy;
import dev.sandbox.learn.OnUnknown;
import com.googlecode.lanterna.screen.Screen;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.DefaultTerminalFactory;
import dev.sandbox.line.LinePrompter;
import dev.sandbox.screen.LearnScreen;
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
import java.util.List;
import java.util.function.Consumer;

/** {@code --trace-block-dynamic}: wires the tracer, the decision chain, a prompter and the export together. */
final class LearnRun {
    private final SandboxCommand opts;
    private final List<String> command;
    private final PrintStream err;

    LearnRun(SandboxCommand opts, List<String> command, PrintStream err) {
        this.opts = opts;
        this.command = command;
        this.err = err;
    }

    int run() {
        Consumer<String> say = line -> err.println("sandbox: " + line);
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
            if (java.nio.file.Files.exists(opts.into)) {
                opts.policy = opts.into.toString();
            }
        }
        if (opts.fast && opts.full) {
            throw new SandboxException("--fast and --full exclude each other", ExitCodes.REFUSED);
        }
        // Found before the program runs: a session must not be learned only to be lost at the end.
        Path saveTo = opts.into != null ? opts.into : opts.save;
        if (saveTo != null) {
            PolicyFile.checkWritable(saveTo, opts.into != null ? "--into" : "--save");
        }
        PolicyFile.State before = saveTo == null ? PolicyFile.State.ABSENT : PolicyFile.State.of(saveTo);
        Policy base = opts.policy == null ? null : opts.loadPolicy(say);
        if (opts.into != null && base != null && base.mode() != Mode.ALLOW) {
            throw new SandboxException("cannot merge a learned allowlist into "
                    + Printable.escape(opts.into.toString()) + ", a block-mode policy; save to another file",
                    ExitCodes.REFUSED);
        }
        Policy ceiling = null;
        if (!opts.noCeiling) {
            String name = opts.ceiling != null ? opts.ceiling : "ceiling";
            Path file;
            try {
                file = dev.sandbox.policy.PolicyResolver.resolve(name);
            } catch (SandboxException e) {
                throw new SandboxException("the learning ceiling: " + e.userMessage() + " (or learn with --no-ceiling)",
                        ExitCodes.REFUSED);
            }
            ceiling = new dev.sandbox.policy.PolicyLoader(say).load(file);
            if (ceiling.mode() != Mode.BLOCK) {
                throw new SandboxException("the ceiling " + file + " must be a block-mode policy listing the syscalls "
                        + "that may never be allowed", ExitCodes.REFUSED);
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
                audit = new AuditLog(opts.audit);
            } catch (IOException e) {
                throw new SandboxException("cannot open the audit file " + opts.audit + ": " + e.getMessage(),
                        ExitCodes.REFUSED);
            }
        }
        Launcher launcher = Launcher.installed();
        // Everything that can refuse has been checked: only now may the screen take over the terminal.
        boolean terminal = LibC.isatty(0) == 1 && LibC.isatty(1) == 1;
        String term = System.getenv("TERM");
        boolean capable = terminal && term != null && !term.isEmpty() && !term.equals("dumb");
        boolean screenUi = onUnknown == OnUnknown.ASK && (opts.ui.equals("screen") || opts.ui.equals("auto") && capable);
        if (opts.ui.equals("screen") && !terminal) {
            // Refuse rather than fall back: the person asked for a screen that cannot be shown here.
            throw new SandboxException("--ui screen needs a terminal on stdin and stdout", ExitCodes.REFUSED);
        }
        LinePrompter line = LinePrompter.open();
        Screen screen = null;
        LearnScreen learnScreen = null;
        Tracer[] tracerRef = new Tracer[1];
        if (screenUi) {
            try {
                screen = new TerminalScreen(new DefaultTerminalFactory().setForceTextTerminal(true).createTerminal());
                screen.startScreen();
            } catch (IOException e) {
                throw new SandboxException("cannot start the screen UI: " + e.getMessage() + " (try --ui line)",
                        ExitCodes.REFUSED);
            }
            learnScreen = new LearnScreen(screen, String.join(" ", command), sig -> tracerRef[0].interrupt(sig));
        }
        Prompter prompter = onUnknown != OnUnknown.ASK ? null : learnScreen != null ? learnScreen : line;
        Decider decider = new Decider(base, ceiling, onUnknown, prompter, say);
        LearnedPolicy learned = new LearnedPolicy();
        // Pinning makes each stop cheaper but puts every thread of the program on one CPU: worth it only when
        // every syscall stops (full mode); in fast mode stops are rare and threads keep their parallelism.
        Tracer tracer = new Tracer(launcher,
                new Tracer.Options(filterBase, Duration.ofSeconds(opts.timeout), fast, !opts.noPin && !fast,
                        opts.verbose),
                decider, prompter, learned, text -> err.println(text), audit);
        tracerRef[0] = tracer;
        if (opts.verbose) {
            say.accept("learning " + command.get(0) + (base != null ? " with base policy " + base.source() : "")
                    + (fast ? " (fast mode: only syscalls outside the base allowlist stop)" : "")
                    + "; unknown syscalls: " + onUnknown.name().toLowerCase(java.util.Locale.ROOT));
        }
        // Outputs that are not a terminal pass through a hashing pipe, for the fidelity check (verify); a terminal
        // stays the program's own, since a program that sees a pipe instead behaves differently. In screen mode
        // the program runs on a pty of its own, shown in the output pane.
        Capture out = learnScreen != null || LibC.isatty(1) == 1 ? null
                : Capture.of(new java.io.FileOutputStream(java.io.FileDescriptor.out), "stdout");
        Capture errCapture = learnScreen != null || LibC.isatty(2) == 1 ? null
                : Capture.of(new java.io.FileOutputStream(java.io.FileDescriptor.err), "stderr");
        if (learnScreen != null) {
            tracer.terminal(learnScreen.programTerminal());
            tracer.feed(learnScreen);
        } else {
            tracer.outputs(out == null ? -1 : out.childFd(), errCapture == null ? -1 : errCapture.childFd());
        }
        SignalForwarder forwarder = SignalForwarder.install(tracer::interrupt);
        Tracer.Result result;
        String stdoutHash;
        String stderrHash;
        try {
            result = tracer.run(command);
        } finally {
            forwarder.uninstall();
            stdoutHash = out == null ? null : out.finish();
            stderrHash = errCapture == null ? null : errCapture.finish();
            if (learnScreen != null) {
                try {
                    learnScreen.close();
                    screen.stopScreen();
                } catch (IOException e) {
                    say.accept("closing the screen: " + e.getMessage());
                }
            }
        }
        report(result);
        if (audit != null) {
            try {
                audit.close();
            } catch (IOException e) {
                say.accept("closing the audit file: " + e.getMessage());
            }
        }
        LearnedPolicy.Run run = new LearnedPolicy.Run(command, System.getProperty("os.version"), version(), base,
                fast, result.status() != null && !result.status().signaled() ? result.status().code() : null,
                ceiling, !opts.noFamilies);
        Policy fresh = learned.export(run, saveTo == null ? "learned policy" : saveTo.toString());
        Metadata.Builder meta = fresh.meta().toBuilder().cwd(System.getProperty("user.dir"));
        if (result.status() != null && result.interrupted() == 0 && result.killedAt() == null) {
            meta.outcome(new Metadata.Outcome(result.status().sandboxExitCode(), stdoutHash, stderrHash));
        }
        fresh = fresh.withMeta(meta.build());
        Path target = saveTo;
        if (target == null && prompter != null && line != null && result.interrupted() == 0) {
            Path suggested = Path.of(Path.of(command.get(0)).getFileName() + ".json");
            if (line.confirm("sandbox: save the learned policy (" + fresh.syscalls().size() + " syscalls) to "
                    + Printable.escape(suggested.toString())
                    + (java.nio.file.Files.exists(suggested) ? ", replacing it" : "") + "?")) {
                target = suggested;
                PolicyFile.checkWritable(target, "saving to");
                before = PolicyFile.State.of(target);
            }
        }
        if (target != null) {
            new Saver(say).save(fresh, target, opts.into != null, before, fast ? base : null);
            if (opts.verify) {
                Verifier.Report report = new Verifier(err).verify(target.toString());
                if (!report.identical()) {
                    return Verifier.DIFFERENT;
                }
            }
        } else if (opts.verify) {
            throw new SandboxException("--verify needs --save FILE", ExitCodes.REFUSED);
        }
        return result.exitCode();
    }

    private void report(Tracer.Result r) {
        if (r.killedAt() != null) {
            err.println("sandbox: killed " + command.get(0) + " and every process it started, at syscall "
                    + r.killedAt());
        } else if (r.interrupted() != 0) {
            err.println("sandbox: interrupted by " + Signals.name(r.interrupted())
                    + ": the traced programs were killed");
        } else if (r.status() != null && r.status().signaled()) {
            err.println("sandbox: " + command.get(0) + " was " + r.status().describe());
        }
    }

    /** "2 new syscalls (statx, getrandom); no new syscalls in the last 3 runs": tells when learning is done. */
    static String convergence(LearnedPolicy.Merged e) {
        String now = e.added().isEmpty() ? "no new syscalls"
                : e.added().size() + " new syscall" + (e.added().size() == 1 ? "" : "s") + " ("
                        + String.join(", ", e.added()) + ")";
        String streak = e.quietRuns() >= 2 ? "; no new syscalls in the last " + e.quietRuns() + " runs" : "";
        return now + " in run " + e.runs() + streak;
    }

    private static String version() {
        return Version.text();
    }
}

package dev.sandbox.cli;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.launch.Launcher;
import dev.sandbox.launch.SignalForwarder;
import dev.sandbox.launch.Signals;
import dev.sandbox.learn.Decider;
import dev.sandbox.learn.LearnedPolicy;
import dev.sandbox.learn.OnUnknown;
import dev.sandbox.line.LinePrompter;
import dev.sandbox.policy.Mode;
import dev.sandbox.policy.Policy;
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
        if (opts.ui.equals("screen")) {
            // Refuse rather than quietly fall back: the person asked for something this build cannot show.
            throw new SandboxException("--ui screen is not available in this build yet; use --ui line",
                    ExitCodes.REFUSED);
        }
        if (!opts.ui.equals("line") && !opts.ui.equals("auto")) {
            throw new SandboxException("--ui must be line, screen or auto, not \"" + opts.ui + "\"",
                    ExitCodes.REFUSED);
        }
        Policy base = opts.policy == null ? null : opts.loadPolicy(say);
        boolean fast = base != null && base.mode() == Mode.ALLOW && !opts.full;
        // Pinning makes each stop cheaper but puts every thread of the program on one CPU: worth it only when
        // every syscall stops (full mode); in fast mode stops are rare and threads keep their parallelism.
        LinePrompter prompter = onUnknown == OnUnknown.ASK ? LinePrompter.open() : null;
        Decider decider = new Decider(base, onUnknown, prompter, say);
        LearnedPolicy learned = new LearnedPolicy();
        Tracer tracer = new Tracer(Launcher.installed(),
                new Tracer.Options(base, Duration.ofSeconds(opts.timeout), fast, !opts.noPin && !fast,
                        opts.verbose),
                decider, prompter, learned, line -> err.println(line));
        if (opts.verbose) {
            say.accept("learning " + command.get(0) + (base != null ? " with base policy " + base.source() : "")
                    + (fast ? " (fast mode: only syscalls outside the base allowlist stop)" : "")
                    + "; unknown syscalls: " + onUnknown.name().toLowerCase(java.util.Locale.ROOT));
        }
        SignalForwarder forwarder = SignalForwarder.install(tracer::interrupt);
        Tracer.Result result;
        try {
            result = tracer.run(command);
        } finally {
            forwarder.uninstall();
        }
        report(result);
        LearnedPolicy.Run run = new LearnedPolicy.Run(command, System.getProperty("os.version"), version(), base,
                fast, result.status() != null && !result.status().signaled() ? result.status().code() : null);
        com.google.gson.JsonObject json = learned.toJson(run);
        int size = json.getAsJsonArray("syscalls").size();
        Path target = opts.save;
        if (target == null && prompter != null && result.interrupted() == 0) {
            Path suggested = Path.of(Path.of(command.get(0)).getFileName() + ".json");
            if (prompter.confirm("sandbox: save the learned policy (" + size + " syscalls) to " + suggested + "?")) {
                target = suggested;
            }
        }
        if (target != null) {
            save(json, learned.denied().size(), target, say);
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

    private void save(com.google.gson.JsonObject json, int denied, Path target, Consumer<String> say) {
        try {
            LearnedPolicy.save(json, target);
        } catch (IOException e) {
            throw new SandboxException("cannot save the learned policy to " + target + ": " + e.getMessage(),
                    ExitCodes.REFUSED);
        }
        say.accept("saved " + json.getAsJsonArray("syscalls").size() + " allowed syscalls to " + target
                + (denied > 0 ? " (" + denied + " denied, listed in its metadata)" : ""));
    }

    private static String version() {
        try {
            return new Version().getVersion()[0].split(" ")[1];
        } catch (Exception e) {
            return "unknown";
        }
    }
}

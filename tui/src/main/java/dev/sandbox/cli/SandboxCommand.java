package dev.sandbox.cli;

import dev.sandbox.cache.CompiledPolicy;
import dev.sandbox.cache.PolicyCache;
import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.launch.Argv;
import dev.sandbox.launch.Launcher;
import dev.sandbox.launch.RawArgs;
import dev.sandbox.launch.RawPath;
import dev.sandbox.launch.StaticRun;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.policy.PolicyResolver;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "sandbox", mixinStandardHelpOptions = true, versionProvider = Version.class,
        sortOptions = false,
        customSynopsis = "sandbox [OPTIONS] --exec PROGRAM [ARGS...]",
        description = {
            "Runs PROGRAM under a syscall policy: enforced by a seccomp filter in the kernel (--policy), or learned",
            "interactively under ptrace (--trace-block-dynamic). Everything after PROGRAM is passed to it verbatim.",
            ""},
        footer = {"",
            "Exit status: the program's own; 128+N when it died of signal N (a policy kill is 159, SIGSYS);",
            "125 the sandbox refused (bad option or policy); 126 program not executable; 127 program not found."})
final class SandboxCommand implements Callable<Integer> {
    @Option(names = "--policy", paramLabel = "FILE|NAME",
            description = "Policy to enforce (or, when learning, the base policy). A NAME is looked up as NAME.json "
                    + "in ./policies, $XDG_CONFIG_HOME/sandbox/policies and /etc/sandbox/policies.")
    String policy;

    @Option(names = "--trace-block-dynamic", description = "Learn: trace PROGRAM and ask about every syscall the "
            + "base policy does not cover.")
    boolean learn;

    @Option(names = "--on-unknown", paramLabel = "ask|allow|block|kill", defaultValue = "ask",
            description = "While learning, what an uncovered syscall gets (default: ${DEFAULT-VALUE}).")
    String onUnknown;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "While learning, how long a question waits before it blocks (default: ${DEFAULT-VALUE}).")
    int timeout;

    @Option(names = "--save", paramLabel = "FILE", description = "While learning, write the learned policy here, "
            + "replacing the file (--into merges).")
    Path save;

    @Option(names = "--ui", paramLabel = "auto|screen|line", defaultValue = "auto",
            description = "How to ask while learning: a full-screen session, or a line prompt (default: "
                    + "${DEFAULT-VALUE}: the screen on a capable terminal, else the line prompt; no terminal: no UI).")
    String ui;

    @Option(names = "--into", paramLabel = "FILE", description = "While learning: use FILE as the base policy and "
            + "merge what this run learns into it (the same as --policy FILE --save FILE).")
    Path into;

    @Option(names = "--ceiling", paramLabel = "FILE|NAME", description = "While learning: syscalls that may never be "
            + "allowed, whatever the base, the answer or --on-unknown say (default: the shipped ceiling policy).")
    String ceiling;

    @Option(names = "--no-ceiling", description = "While learning: no ceiling at all.")
    boolean noCeiling;

    @Option(names = "--no-families", description = "While learning: save only the syscalls seen, not their siblings "
            + "(open/openat/openat2, stat/newfstatat/statx, ...).")
    boolean noFamilies;

    @Option(names = "--audit", paramLabel = "FILE", description = "Append JSON lines: while learning, one per decision "
            + "that was not a plain base-policy allow; when enforcing, the start (settings), each violation, the end "
            + "(status, resource use).")
    Path audit;

    @Option(names = "--verify", description = "While learning with --save: right after saving, run the program "
            + "again under the saved policy and report whether it behaves the same (see 'sandbox verify').")
    boolean verify;

    @Option(names = "--full", description = "While learning, trace every syscall (the default; kept for scripts).")
    boolean full;

    @Option(names = "--fast", description = "While learning with an allowlist base: a seccomp filter lets what the "
            + "base allows run without stopping. Faster, but the program's use of those syscalls is not seen, so a "
            + "saved policy lists the whole base plus what was allowed.")
    boolean fast;

    @Option(names = "--pin", description = "While learning, keep the tracer and the program on one CPU: each "
            + "syscall stop is several times cheaper, but the program sees one CPU (nproc, sched_getaffinity) and may "
            + "behave differently than it will under the enforcer.")
    boolean pin;

    @Option(names = "--verbose", description = "Say what the sandbox does, on stderr (while learning: every "
            + "syscall and its decision).")
    boolean verbose;

    @Mixin
    IsolationOptions isolation = new IsolationOptions();

    /** The sandbox's own arguments as given (before --exec), to show a command to run again. */
    java.util.List<String> ownArgs = java.util.List.of();
    /** What follows --exec, as bytes; null when there is none. */
    private final Argv command;
    private final PrintStream err;

    SandboxCommand(Argv command, PrintStream err) {
        this.command = command;
        this.err = err;
    }

    PrintStream err() {
        return err;
    }

    @Override
    public Integer call() {
        if (command == null) {
            throw new SandboxException("missing --exec PROGRAM (try 'sandbox --help')", ExitCodes.REFUSED);
        }
        Consumer<String> say = sayTo(err);
        Consumer<String> verboseSink = verbose ? say : line -> { };
        if (policy == null && isolation.profile != null) {
            // The profile is a policy too; loaded first, so its syscall errors come before its isolation errors.
            policy = isolation.profilePath().toString();
        }
        if (learn) {
            return new LearnRun(this, command, err).run();
        }
        if (policy == null) {
            throw new SandboxException("nothing to enforce: give --policy FILE (or --trace-block-dynamic to learn "
                    + "one)", ExitCodes.REFUSED);
        }
        dev.sandbox.isolation.Isolation iso = isolation();
        if (iso.isEmpty() && audit == null) {
            return enforce(policy, command, err, verbose);
        }
        PolicyArg.Loaded loaded = PolicyArg.loaded(policy, say);
        // The cached entry is the policy's plain plan (no isolation): what sandbox-run gives a plain run of it.
        StaticRun run = cacheCompiled(new StaticRun(Launcher.installed(), verboseSink, say, verbose), loaded,
                verboseSink).isolation(iso);
        if (audit == null) {
            return run.run(loaded.policy(), command);
        }
        try (dev.sandbox.launch.RunAudit log = new dev.sandbox.launch.RunAudit(audit)) {
            return run.audit(log).run(loaded.policy(), command);
        } catch (java.io.IOException e) {
            throw new SandboxException("cannot open the audit file " + audit + ": " + e.getMessage(),
                    ExitCodes.REFUSED);
        }
    }

    /** The isolation options over the profile's settings. */
    dev.sandbox.isolation.Isolation isolation() {
        Path file = isolation.profilePath();
        return isolation.build(file == null ? dev.sandbox.isolation.Isolation.none()
                : dev.sandbox.isolation.ProfileLoader.load(file, isolation.profile));
    }

    /**
     * A static run, which also leaves the compiled policy in the user's cache: the next run of the same policy file
     * can then start without a JVM (native/src/sandbox-run.c).
     */
    static int enforce(String policyArg, Argv command, PrintStream err, boolean verbose) {
        Consumer<String> say = sayTo(err);
        Consumer<String> verboseSink = verbose ? say : QUIET;
        // Quiet, what the cache entry needs that no native code does is done first: this thread would otherwise
        // wait for libseccomp, which Main.warmUp is loading on another (the first syscall name waits for it).
        PolicyArg.Loaded loaded = verbose ? PolicyArg.loaded(policyArg, say) : PolicyArg.loaded(policyArg, say, true);
        StaticRun run = new StaticRun(Launcher.installed(), verboseSink, say, verbose);
        if (verbose || loaded.bytes() == null) {
            // --verbose says where the entry went, in its place among the run's other lines
            return cacheCompiled(run, loaded, verboseSink).run(loaded.policy(), command);
        }
        // Quiet, the entry is written on a second thread while the program starts and runs: it takes as long as a
        // small program's whole run (the sentences rendered, and the names table on a new cache). The run waits for
        // it before returning, so the next run finds it.
        Store store = new Store(loaded);
        run.onCompiled(store);
        try {
            return run.run(loaded.policy(), command);
        } finally {
            store.await();
        }
    }

    /** Writes the cache entry of a quiet run on a thread of its own, and waits for it. */
    private static final class Store implements java.util.function.BiConsumer<Policy, StaticRun.Compiled>, Runnable {
        private final PolicyArg.Loaded loaded;
        private StaticRun.Compiled compiled;
        private Thread thread;

        Store(PolicyArg.Loaded loaded) {
            this.loaded = loaded;
        }

        @Override
        public void accept(Policy policy, StaticRun.Compiled c) {
            compiled = c;
            thread = new Thread(this, "sandbox-cache");
            thread.start();
        }

        @Override
        public void run() {
            cache(loaded, compiled, QUIET);
        }

        void await() {
            if (thread == null) {
                return;
            }
            boolean interrupted = false;
            for (;;) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // The lambdas of a static run are made here once, for enforce and for verify alike: a lambda's first use costs
    // a bootstrap unless the AppCDS archive holds it, and the archive is trained on a learning run that verifies.

    /** Lines for a person: "sandbox: ..." on err. */
    static Consumer<String> sayTo(PrintStream err) {
        return new PolicyArg.Say(err);
    }

    static final Consumer<String> QUIET = line -> { };

    /** Has {@code run} leave what it compiles in the cache, when the policy came from a file the cache can key. */
    static StaticRun cacheCompiled(StaticRun run, PolicyArg.Loaded loaded, Consumer<String> verbose) {
        if (loaded.bytes() != null) {
            run.onCompiled((p, compiled) -> cache(loaded, compiled, verbose));
        }
        return run;
    }

    Policy loadPolicy(Consumer<String> say) {
        return PolicyArg.load(policy, say);
    }

    /** Best effort: a cache that cannot be written costs the next run its JVM-free start, nothing else. */
    static void cache(PolicyArg.Loaded loaded, StaticRun.Compiled compiled, Consumer<String> verbose) {
        PolicyCache cache = PolicyCache.forUser();
        if (cache == null) {
            verbose.accept("not caching the compiled policy: neither XDG_CACHE_HOME nor HOME is set");
            return;
        }
        try {
            verbose.accept("compiled policy cached in " + cache.store(CompiledPolicy.of(loaded.bytes(), compiled,
                    loaded.warnings())));
        } catch (IOException | RuntimeException e) {
            verbose.accept("not caching the compiled policy: " + e.getMessage());
        }
    }
}

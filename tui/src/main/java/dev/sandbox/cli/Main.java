package dev.sandbox.cli;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.jna.JnaStart;
import dev.sandbox.jna.Posix;
import dev.sandbox.launch.Argv;
import dev.sandbox.launch.RawArgs;
import dev.sandbox.launch.RawPath;
import dev.sandbox.policy.PolicyException;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;

/**
 * Entry point: splits the command line at {@code --exec} (everything after the program name belongs to the program,
 * verbatim, so {@code --exec /bin/echo --verbose} prints "--verbose"), lets picocli parse the sandbox's own options,
 * and turns every {@link SandboxException} into {@code sandbox: <message>} and its exit code.
 */
public final class Main {
    /** native/src/recipe.h COMPILE_ARG: sandbox-run's compile of a policy it has no cache entry for. */
    static final String FRONT_COMPILE = "--sandbox-compile";

    /** The build's own step: writes the build entry (compiled.h) that sandbox-run uses until libseccomp changes. */
    static final String BUILD_ENTRY = "--sandbox-build-entry";

    private Main() {}

    /** Written whole and renamed, readable by everyone: other users' first runs use it too. */
    private static int buildEntry(java.nio.file.Path file, PrintStream err) {
        try {
            java.nio.file.Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            java.nio.file.Files.write(tmp, dev.sandbox.cache.CompiledPolicy.names().bytes());
            java.nio.file.Files.setPosixFilePermissions(tmp,
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return 0;
        } catch (java.io.IOException | RuntimeException e) {
            err.println("sandbox: cannot write the build entry " + file + ": " + e.getMessage());
            return ExitCodes.REFUSED;
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, RawArgs.of(args), System.err));
    }

    public static int run(String[] args, PrintStream err) {
        return run(args, RawArgs.encode(args), err);
    }

    /**
     * @param raw the same arguments as bytes ({@link RawArgs}): the program's are passed on as they are, and an
     *            option value no String can hold reaches picocli as a token that {@link RawPath} turns back
     */
    static int run(String[] args, List<byte[]> raw, PrintStream err) {
        if (args.length == 3 && args[0].equals(FRONT_COMPILE)) {
            // sandbox-run's first run of a policy (`--sandbox-compile HOME P`; HOME is the script's): compile only,
            // and with no native bindings (FrontCompile)
            return FrontCompile.run(RawArgs.representable(raw.get(2)) ? args[2] : RawPath.token(raw.get(2)), err);
        }
        if (args.length == 2 && args[0].equals(BUILD_ENTRY)) {
            return buildEntry(java.nio.file.Path.of(args[1]), err);
        }
        if (plainForm(args)) {
            // The form people repeat skips picocli: building its model by reflection costs more than the rest
            // of an enforcing start-up together.
            warmUp();
            try {
                String policy = RawArgs.representable(raw.get(1)) ? args[1] : RawPath.token(raw.get(1));
                return SandboxCommand.enforce(policy, Argv.ofBytes(raw.subList(3, args.length)), err, false);
            } catch (RuntimeException ex) {
                return report(ex, err, false);
            }
        }
        int split = Arrays.asList(args).indexOf("--exec");
        String[] own = split < 0 ? args.clone() : Arrays.copyOfRange(args, 0, split);
        for (int i = 0; i < own.length; i++) {
            if (!RawArgs.representable(raw.get(i))) {
                own[i] = RawPath.token(raw.get(i));
            }
        }
        Argv command = split < 0 || split + 1 >= args.length ? null
                : Argv.ofBytes(raw.subList(split + 1, args.length));

        SandboxCommand root = new SandboxCommand(command, err);
        root.ownArgs = List.of(own);
        CommandLine cl = new CommandLine(root);
        cl.registerConverter(java.nio.file.Path.class, RawPath::of);
        if (split < 0) {
            // Subcommands are registered only when no program is being run: picocli reflects over every
            // registered command at start-up, and an --exec run (the one whose start-up matters) needs none.
            for (Object sub : new Object[] {new VerifyCommand(), new PolicyCommand(), new EditCommand(),
                new CompileCommand(err), new CompletionCommand(), new ManCommand()}) {
                cl.addSubcommand(sub);
            }
        }
        cl.setOut(new java.io.PrintWriter(System.out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("sandbox: " + ex.getMessage());
            err.println("Try 'sandbox --help' for more information.");
            return ExitCodes.REFUSED;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> report(ex, err, root.verbose));
        return cl.execute(own);
    }

    /**
     * Starts JNA, libseccomp and libc on a second thread while this one reads and parses the policy: their
     * initialisation (the JDK's logging, JNA's type structures, the registration of every binding, the scan for the
     * newest syscall) is the largest part of an enforcing start-up, and none of it depends on the policy. It takes
     * the run's own order (libseccomp, then libc), so whatever fails there fails for the run as it always did, and
     * the run reports it; this thread reports nothing.
     */
    static void warmUp() {
        Thread t = new Thread(new WarmUp(), "sandbox-warm-up");
        t.setDaemon(true);
        t.start();
        // While that thread starts the JDK's logging (JNA logs), this one does JNA's next step that needs no
        // logging: it would wait for that thread soon anyway.
        JnaStart.readTypeLayout();
    }

    private static final class WarmUp implements Runnable {
        @Override
        public void run() {
            try {
                SyscallNames.highest(Arch.X86_64);
                Posix.getpid();
            } catch (RuntimeException | LinkageError e) {
                // met again, and reported, by the run itself
            }
        }
    }

    /**
     * Exactly {@code --policy P --exec PROGRAM [ARGS...]}, split where picocli's path splits (the first --exec),
     * with a P that picocli would take as it is (not an option, not an @file). native/src/sandbox-run.c
     * recognises the same form.
     */
    static boolean plainForm(String[] args) {
        return args.length >= 4 && args[0].equals("--policy") && args[2].equals("--exec") && !args[1].isEmpty()
                && args[1].charAt(0) != '-' && args[1].charAt(0) != '@' && !args[3].isEmpty();
    }

    /** The one renderer: a sentence for people, a stack trace only under --verbose or for a bug. */
    static int report(Exception ex, PrintStream err, boolean verbose) {
        if (ex instanceof SandboxException se) {
            err.println("sandbox: " + se.userMessage());
            if (se instanceof PolicyException pe && pe.excerpt() != null) {
                for (String line : pe.excerpt().split("\n")) {
                    err.println("    " + line);
                }
            }
            if (verbose) {
                ex.printStackTrace(err);
            }
            return se.exitCode();
        }
        err.println("sandbox: internal error: " + ex + " (please report this with the trace below)");
        ex.printStackTrace(err);
        return ExitCodes.REFUSED;
    }
}

package dev.sandbox.cli;

import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real `sandbox` command in a JVM of its own (the test JVM's classpath, the built launcher) and captures
 * what a person would see: stdout, stderr, exit status. ProcessBuilder is right here: it starts the sandbox, not a
 * tracee.
 */
public record SandboxRun(int exit, String out, String err) {
    public static SandboxRun run(String... args) {
        return runWithInput(null, args);
    }

    public static SandboxRun runWithInput(String stdin, String... args) {
        return runIn(Probes.root(), stdin, args);
    }

    /** Runs the sandbox with {@code dir} as its working directory (and the program's). */
    public static SandboxRun runIn(Path dir, String stdin, String... args) {
        try {
            Process p = startIn(dir, args);
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            return finish(p, 60);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Starts the sandbox in a session of its own (setsid), so it has no controlling terminal whatever the test runner
     * has: "no terminal" is then a fact, not an accident of how the tests were started.
     */
    public static Process start(String... args) throws IOException {
        return startIn(Probes.root(), args);
    }

    private static Process startIn(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("setsid"));
        cmd.addAll(command(args));
        return new ProcessBuilder(cmd).directory(dir.toFile()).start();
    }

    /** The command line that runs the sandbox from the test classpath. */
    public static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"),
                "-Dsandbox.launcher=" + Probes.launcher(), "-Dsandbox.home=" + Probes.root(),
                "dev.sandbox.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    public static SandboxRun finish(Process p, int seconds) throws InterruptedException {
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("sandbox did not finish within " + seconds + " s; stderr: " + err.getNow(""));
        }
        return new SandboxRun(p.exitValue(), out.join(), err.join());
    }

    /** Waits (up to 20 s) until {@code p} has a child whose command ends with {@code name}, and returns it. */
    public static ProcessHandle awaitChild(Process p, String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (p.children().noneMatch(c -> c.info().command().orElse("").endsWith(name))) {
            if (System.nanoTime() >= deadline) {
                throw new AssertionError(name + " never started");
            }
            Thread.sleep(20);
        }
        return p.children().findFirst().orElseThrow();
    }

    /** Runs a command line built by the test (e.g. {@link #command} behind a wrapper such as setpriv). */
    public static SandboxRun exec(List<String> cmd) {
        try {
            List<String> full = new ArrayList<>(List.of("setsid"));
            full.addAll(cmd);
            Process p = new ProcessBuilder(full).directory(Probes.root().toFile()).start();
            p.getOutputStream().close();
            return finish(p, 60);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs a command without the sandbox, for "same output as a bare run". */
    public static SandboxRun bare(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).directory(Probes.root().toFile()).start();
            p.getOutputStream().close();
            return finish(p, 60);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static CompletableFuture<String> drain(java.io.InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }

    private static String javaBin() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    @Override
    public String toString() {
        return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}

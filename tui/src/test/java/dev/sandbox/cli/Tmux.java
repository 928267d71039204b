package dev.sandbox.cli;

import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real terminal for interactive tests: the sandbox runs in a tmux pane (a pty, and its controlling terminal), keys
 * are typed with send-keys and the screen is read with capture-pane. A private server socket keeps it from touching
 * anyone's tmux.
 */
final class Tmux implements AutoCloseable {
    private static final java.util.concurrent.atomic.AtomicInteger SERVERS = new java.util.concurrent.atomic.AtomicInteger();
    /** A server per terminal: the last test's kill-server may still be running while the next one starts. */
    private final String socket = "sandbox-test-" + ProcessHandle.current().pid() + "-" + SERVERS.incrementAndGet();
    private final String session;
    private final Path exitFile;

    private Tmux(String session, Path exitFile) {
        this.session = session;
        this.exitFile = exitFile;
    }

    static boolean available() {
        try {
            return new ProcessBuilder("tmux", "-V").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Runs the sandbox with {@code args} in a new 200x50 pane; its exit status lands in a file. */
    static Tmux start(Path dir, String... args) throws IOException, InterruptedException {
        return start(dir, 200, 50, "", args);
    }

    /**
     * Runs the sandbox in a {@code cols}x{@code rows} pane, after {@code before} (shell words run first in the
     * pane, e.g. "printf 'earlier output\n';" or "unset TMUX;").
     */
    static Tmux start(Path dir, int cols, int rows, String before, String... args)
            throws IOException, InterruptedException {
        Path script = dir.resolve("run.sh");
        Path exitFile = dir.resolve("exit-status");
        StringBuilder cmd = new StringBuilder("cd " + quote(Probes.root().toString()) + " && " + before + " ");
        for (String a : SandboxRun.command(args)) {
            cmd.append(quote(a)).append(' ');
        }
        cmd.append("; echo $? > ").append(quote(exitFile.toString())).append("; sleep 600\n");
        Files.writeString(script, cmd.toString());
        Tmux t = new Tmux("learn", exitFile);
        t.tmux("new-session", "-d", "-s", t.session, "-x", Integer.toString(cols), "-y", Integer.toString(rows),
                "bash " + quote(script.toString()));
        return t;
    }

    String screen() throws IOException, InterruptedException {
        return capture("-p");
    }

    /** The screen with lines the terminal wrapped joined again (a message longer than the width is one line). */
    String joined() throws IOException, InterruptedException {
        return capture("-pJ");
    }

    private String capture(String flags) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("tmux", "-L", socket, "capture-pane", flags, "-t", session).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    /** Waits until the screen satisfies {@code ready}; returns the screen. */
    String await(Predicate<String> ready, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String s = screen();
        while (!ready.test(s)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the terminal never showed what was expected; it shows:\n" + s);
            }
            Thread.sleep(100);
            s = screen();
        }
        return s;
    }

    /** Whether the pane shows its alternate screen (a full-screen program's). */
    boolean alternateScreen() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("tmux", "-L", socket, "display-message", "-p", "-t", session,
                "#{alternate_on}").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return out.equals("1");
    }

    /** A named key as tmux spells it: Tab, Enter, C-d. */
    void press(String key) throws IOException, InterruptedException {
        tmux("send-keys", "-t", session, key);
    }

    void keys(String keys) throws IOException, InterruptedException {
        tmux("send-keys", "-t", session, "-l", keys);
    }

    /** The sandbox's exit status, waiting for it to end. */
    int exitStatus(int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!Files.exists(exitFile) || Files.readString(exitFile).isBlank()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the sandbox did not end; the terminal shows:\n" + screen());
            }
            Thread.sleep(100);
        }
        return Integer.parseInt(Files.readString(exitFile).trim());
    }

    @Override
    public void close() throws IOException {
        try {
            tmux("kill-server");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void tmux(String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("tmux", "-L", socket));
        cmd.addAll(List.of(args));
        new ProcessBuilder(cmd).redirectErrorStream(true).start().waitFor();
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}

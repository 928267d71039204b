package dev.sandbox.cli;

import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs native/target/sandbox-run as the sandbox script does ({@code sandbox-run --sandbox-front SCRIPT ARGS...}),
 * with a script of the test's choosing for the JVM path: the real one (the test classpath's Main), or one that only
 * says it was reached and exits {@link #JVM_REACHED}, so that a test knows which path ran.
 */
final class FrontRun {
    static final int JVM_REACHED = 99;
    static final String JVM_REACHED_MESSAGE = "sandbox-run went to the JVM path\n";

    private FrontRun() {}

    static Path front() {
        return Probes.launcher().resolveSibling("sandbox-run");
    }

    /** A script that runs the JVM path from the test classpath, as ./sandbox runs it from the jar. */
    static Path jvmScript(Path dir) throws IOException {
        StringBuilder sh = new StringBuilder("#!/bin/sh\n[ \"$1\" = --sandbox-jvm ] && shift\nexec");
        for (String word : SandboxRun.command()) {
            sh.append(" '").append(word.replace("'", "'\\''")).append('\'');
        }
        return script(dir.resolve("jvm.sh"), sh.append(" \"$@\"\n").toString());
    }

    /** A script that stands for the JVM path and only reports that it was reached. */
    static Path noJvmScript(Path dir) throws IOException {
        return script(dir.resolve("no-jvm.sh"), "#!/bin/sh\nprintf '" + JVM_REACHED_MESSAGE.replace("\n", "\\n")
                + "' >&2\nexit " + JVM_REACHED + "\n");
    }

    private static Path script(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }

    static List<String> command(Path script, String... args) {
        List<String> cmd = new ArrayList<>(List.of(front().toString(), "--sandbox-front", script.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static SandboxRun run(Path script, String... args) {
        return run(script, Map.of(), null, args);
    }

    /** @param env added to (or, with a null value, removed from) the test's environment */
    static SandboxRun run(Path script, Map<String, String> env, String stdin, String... args) {
        try {
            Process p = start(script, env, args);
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            return SandboxRun.finish(p, 60);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    static Process start(Path script, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("setsid"));
        cmd.addAll(command(script, args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Probes.root().toFile());
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        return pb.start();
    }
}

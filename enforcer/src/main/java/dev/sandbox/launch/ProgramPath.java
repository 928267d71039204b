package dev.sandbox.launch;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * execvp's search, done in Java so that the launcher execs one exact path and "not found" is known before anything
 * is spawned: a name with a slash is used as it is; otherwise each PATH entry is tried, and an entry that exists but
 * cannot be executed is remembered (execvp reports EACCES then, not ENOENT).
 */
public final class ProgramPath {
    private static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

    private ProgramPath() {}

    public static String resolve(String program) {
        if (program.isEmpty()) {
            throw new SandboxException("cannot execute '': No such file or directory", ExitCodes.NOT_FOUND);
        }
        if (program.contains("/")) {
            return program;
        }
        String path = System.getenv("PATH");
        if (path == null) {
            path = DEFAULT_PATH;
        }
        String denied = null;
        for (String dir : path.split(":", -1)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isRegularFile(candidate)) {
                if (Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
                if (denied == null) {
                    denied = candidate.toString();
                }
            }
        }
        if (denied != null) {
            return denied; // execve reports EACCES for it: the same answer execvp gives
        }
        throw new SandboxException(notInPath(program), ExitCodes.NOT_FOUND);
    }

    public static String notInPath(String program) {
        return "cannot execute " + program + ": not found in PATH";
    }
}

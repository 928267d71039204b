package dev.sandbox.launch;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.jna.Posix;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * execvp's search, done in Java so that the launcher execs one exact path and "not found" is known before anything
 * is spawned: a name with a slash is used as it is; otherwise each PATH entry is tried, and an entry that exists but
 * cannot be executed is remembered (execvp reports EACCES then, not ENOENT). Names and PATH are bytes: PATH is read
 * with getenv, not System.getenv, and files are looked at through their bytes ({@link RawPath}).
 */
public final class ProgramPath {
    private static final byte[] DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin".getBytes(StandardCharsets.US_ASCII);

    private ProgramPath() {}

    public static String resolve(String program) {
        return new String(resolve(program.getBytes(RawArgs.jnuCharset())), RawArgs.jnuCharset());
    }

    public static byte[] resolve(byte[] program) {
        if (program.length == 0) {
            throw new SandboxException("cannot execute '': No such file or directory", ExitCodes.NOT_FOUND);
        }
        for (byte b : program) {
            if (b == '/') {
                return program;
            }
        }
        byte[] denied = null;
        for (byte[] dir : entries(path())) {
            ByteArrayOutputStream candidate = new ByteArrayOutputStream();
            candidate.writeBytes(dir.length == 0 ? new byte[] {'.'} : dir);
            candidate.write('/');
            candidate.writeBytes(program);
            byte[] c = candidate.toByteArray();
            RawPath.Kind kind = RawPath.kind(c);
            if (kind == RawPath.Kind.EXECUTABLE) {
                return c;
            }
            if (kind == RawPath.Kind.FILE && denied == null) {
                denied = c;
            }
        }
        if (denied != null) {
            return denied; // execve reports EACCES for it: the same answer execvp gives
        }
        throw new SandboxException(notInPath(Argv.show(program)), ExitCodes.NOT_FOUND);
    }

    public static String notInPath(String program) {
        return "cannot execute " + program + ": not found in PATH";
    }

    private static byte[] path() {
        byte[] p = Posix.getenv("PATH");
        return p == null ? DEFAULT_PATH : p;
    }

    /** PATH split at ':' keeping empty entries (they mean the current directory). */
    static List<byte[]> entries(byte[] path) {
        List<byte[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= path.length; i++) {
            if (i == path.length || path[i] == ':') {
                out.add(Arrays.copyOfRange(path, start, i));
                start = i + 1;
            }
        }
        return out;
    }
}

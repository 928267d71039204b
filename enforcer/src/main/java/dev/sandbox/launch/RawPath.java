package dev.sandbox.launch;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibC;
import dev.sandbox.jna.NativeCallException;
import dev.sandbox.jna.Posix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * File names given on the command line are bytes too. A {@link Path} can hold only what the locale's charset can
 * (under {@code LANG=C}: ASCII), so a name it cannot hold is reached through the kernel instead: the file or its
 * directory is opened by its bytes and Java uses {@code /proc/self/fd/N}, a name that is always ASCII. A new file
 * whose own name cannot be held is written under a stand-in name in the right directory and renamed to its real
 * bytes by {@link #commit}.
 *
 * Main hands picocli a token ({@link #token}) for an argument the JVM could not decode; the option converters and
 * {@link #of(String)} turn it back into the bytes.
 */
public final class RawPath {
    /** What a path names, for the PATH search. */
    public enum Kind { MISSING, EXECUTABLE, FILE, OTHER }

    private static final String TOKEN = "\u0000sandbox-arg-";
    private static final List<byte[]> TOKENS = new CopyOnWriteArrayList<>();
    /** Stand-in path -> (directory fd, real name, the existing file or null), for {@link #commit}. */
    private static final Map<Path, Object[]> STAND_INS = new ConcurrentHashMap<>();
    /** Every path made for bytes a String cannot hold -> those bytes, for messages. */
    private static final Map<Path, byte[]> SHOWN = new ConcurrentHashMap<>();

    private RawPath() {}

    /** A String that stands for {@code raw} (an argument no String can hold) until {@link #bytes} is asked. */
    public static String token(byte[] raw) {
        TOKENS.add(raw.clone());
        return TOKEN + (TOKENS.size() - 1);
    }

    /** The bytes of an option value: the token's, or the String encoded as the JVM decoded it. */
    public static byte[] bytes(String arg) {
        if (arg.startsWith(TOKEN)) {
            return TOKENS.get(Integer.parseInt(arg.substring(TOKEN.length()))).clone();
        }
        return arg.getBytes(RawArgs.jnuCharset());
    }

    /** The option value for messages. */
    public static String show(String arg) {
        return Argv.show(bytes(arg));
    }

    /** A path for an existing file to read, or a file to create or replace: see the class comment. */
    public static Path of(String arg) {
        return of(bytes(arg));
    }

    public static Path of(byte[] raw) {
        if (RawArgs.representable(raw)) {
            return Path.of(new String(raw, RawArgs.jnuCharset()));
        }
        int slash = lastSlash(raw);
        byte[] dir = slash < 0 ? new byte[] {'.'} : slash == 0 ? new byte[] {'/'} : Arrays.copyOfRange(raw, 0, slash);
        byte[] name = Arrays.copyOfRange(raw, slash + 1, raw.length);
        int dirFd = openOrNull(dir, LibC.O_PATH | LibC.O_DIRECTORY | LibC.O_CLOEXEC);
        if (dirFd < 0) {
            // The directory is not there: say so with the name the person gave.
            throw new SandboxException("cannot use " + Argv.show(raw) + ": its directory does not exist",
                    ExitCodes.REFUSED);
        }
        Path fdDir = Path.of("/proc/self/fd/" + dirFd);
        if (RawArgs.representable(name)) {
            Path p = fdDir.resolve(new String(name, RawArgs.jnuCharset()));
            SHOWN.put(p, raw.clone());
            return p;
        }
        Path standIn = fdDir.resolve(".sandbox-" + ProcessHandle.current().pid() + "-" + STAND_INS.size());
        // If it exists, reading goes through the open file; writing goes to the stand-in, then commit().
        STAND_INS.put(standIn, new Object[] {dirFd, name, existing(raw)});
        SHOWN.put(standIn, raw.clone());
        return standIn;
    }

    private static Path existing(byte[] raw) {
        int fd = openOrNull(raw, LibC.O_PATH | LibC.O_CLOEXEC);
        return fd < 0 ? null : Path.of("/proc/self/fd/" + fd);
    }

    /** A path for messages: the bytes the person gave when {@code p} stands for them. */
    public static String show(Path p) {
        byte[] raw = SHOWN.get(p);
        return raw != null ? Argv.show(raw) : p.toString();
    }

    /**
     * For reading a path that {@link #of} gave: the existing file itself when the path is a stand-in for a name
     * no String can hold.
     */
    public static Path forReading(Path p) {
        Object[] s = STAND_INS.get(p);
        return s != null && s[2] != null ? (Path) s[2] : p;
    }

    /** After writing a stand-in: give the file its real name (an atomic rename in the same directory). */
    public static void commit(Path written) {
        Object[] s = STAND_INS.get(written);
        if (s == null || !Files.exists(written, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return; // not a stand-in, or the existing file was written in place
        }
        byte[] from = written.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try {
            Posix.renameat((int) s[0], from, (int) s[0], (byte[]) s[1]);
        } catch (NativeCallException e) {
            throw new SandboxException("cannot rename " + written + " to " + show(written) + ": "
                    + Errno.describe(e.errno()), ExitCodes.REFUSED);
        }
        s[2] = existing(SHOWN.get(written));
    }

    /** What {@code path} names, looked at through its bytes. */
    public static Kind kind(byte[] path) {
        int fd = openOrNull(path, LibC.O_PATH | LibC.O_CLOEXEC);
        if (fd < 0) {
            return Kind.MISSING;
        }
        try {
            Path p = Path.of("/proc/self/fd/" + fd);
            if (!Files.isRegularFile(p)) {
                return Kind.OTHER;
            }
            return Files.isExecutable(p) ? Kind.EXECUTABLE : Kind.FILE;
        } finally {
            Launcher.closeQuietly(fd);
        }
    }

    private static int openOrNull(byte[] path, int flags) {
        try {
            return Posix.open(path, flags);
        } catch (NativeCallException e) {
            return -1;
        }
    }

    private static int lastSlash(byte[] raw) {
        for (int i = raw.length - 1; i >= 0; i--) {
            if (raw[i] == '/') {
                return i;
            }
        }
        return -1;
    }
}

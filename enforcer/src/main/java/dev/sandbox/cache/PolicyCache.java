package dev.sandbox.cache;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * Where compiled policies are kept for sandbox-run: {@code $XDG_CACHE_HOME/sandbox}, else {@code ~/.cache/sandbox}
 * ($HOME, as sandbox-run reads it). The directory belongs to one user: it is made 0700, and one that is not a
 * directory of ours with no access for anybody else (a symlink, another owner, group or other bits) is left alone
 * and not written, as sandbox-run will not read it. Entries are written whole to a temporary file and renamed, so a
 * reader sees an old entry or a new one, never a part; two writers of the same entry write the same bytes.
 */
public final class PolicyCache {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");

    private static final java.util.concurrent.atomic.AtomicLong TEMP_COUNTER = new java.util.concurrent.atomic.AtomicLong();

    private final Path dir;

    PolicyCache(Path dir) {
        this.dir = dir;
    }

    /** The user's cache, or null when neither XDG_CACHE_HOME nor HOME is an absolute path. */
    public static PolicyCache forUser() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && xdg.startsWith("/")) {
            return new PolicyCache(Path.of(xdg, "sandbox"));
        }
        String home = System.getenv("HOME");
        if (home != null && home.startsWith("/")) {
            return new PolicyCache(Path.of(home, ".cache", "sandbox"));
        }
        return null;
    }

    public Path dir() {
        return dir;
    }

    /**
     * Stores {@code entry} unless an identical one is already there.
     *
     * @return the entry's file
     * @throws IOException with a sentence for people when the directory cannot be used or written
     */
    public Path store(CompiledPolicy entry) throws IOException {
        tooLarge(entry);
        ensureDirectory();
        Path file = write(entry.name(), entry.bytes());
        Path names = dir.resolve(HexFormat.of().formatHex(CompiledPolicy.namesKey()));
        if (!CompiledPolicy.currentNames(ours(names) ? Files.readAllBytes(names) : null)) {
            CompiledPolicy table = CompiledPolicy.names();
            write(table.name(), table.bytes());
        }
        return file;
    }

    /**
     * Stores {@code entry}, and {@code names} unless it is null: sandbox-run's first run, which has just read this
     * cache's names entry and found it current (null), or sent the names entry it needs.
     */
    public Path store(CompiledPolicy entry, CompiledPolicy names) throws IOException {
        tooLarge(entry);
        ensureDirectory();
        Path file = write(entry.name(), entry.bytes());
        if (names != null) {
            write(names.name(), names.bytes());
        }
        return file;
    }

    private static void tooLarge(CompiledPolicy entry) throws IOException {
        if (!entry.fits()) {
            throw new IOException("the compiled policy is too large for sandbox-run to read (its warnings?)");
        }
    }

    /** The file {@code name} with {@code bytes} in it, written unless it already holds them. */
    private Path write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        if (current(file, bytes)) {
            return file;
        }
        // Not Files.createTempFile: its SecureRandom initialises the JCA providers (tens of ms of a start-up). The
        // name only has to be unique among writers of this directory, which are all this user's processes.
        Path tmp = dir.resolve(".tmp-" + pid() + "-" + TEMP_COUNTER.incrementAndGet()
                + "-" + name);
        Files.deleteIfExists(tmp); // left by a process of the same pid that died before its rename
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_RW));
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename within " + dir + " atomically", e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        sweep();
        return file;
    }

    /**
     * Removes what writers that died before their rename left (a SIGKILL between the two): a temporary file of ours,
     * older than any write takes, whose writer's pid no longer exists here. The age also spares the files of live
     * writers in another pid namespace that shares this directory, whose pids mean nothing in our /proc.
     */
    private void sweep() {
        long old = System.currentTimeMillis() - STALE_MS;
        try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                int dash = n.indexOf('-', 5);
                boolean digits = n.startsWith(".tmp-") && dash > 5;
                for (int i = 5; digits && i < dash; i++) {
                    digits = n.charAt(i) >= '0' && n.charAt(i) <= '9'; // no streams: see FrontCompile
                }
                try {
                    if (digits && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
                            && Files.getLastModifiedTime(f, LinkOption.NOFOLLOW_LINKS).toMillis() < old
                            && !Files.exists(Path.of("/proc", n.substring(5, dash)))) {
                        Files.deleteIfExists(f);
                    }
                } catch (IOException | RuntimeException e) {
                    // this one stays; the others are still looked at
                }
            }
        } catch (IOException | RuntimeException e) {
            // tidying only: the entry is written
        }
    }

    /** A temporary file this old is no write in progress: writes take milliseconds. */
    static final long STALE_MS = 10 * 60 * 1000;

    /** Whether {@code file} already holds {@code bytes} and is ours alone. */
    private static boolean current(Path file, byte[] bytes) throws IOException {
        return ours(file) && Files.size(file) == bytes.length && Arrays.equals(Files.readAllBytes(file), bytes);
    }

    /** A regular file of ours that nobody else may write, as sandbox-run requires. */
    private static boolean ours(Path file) throws IOException {
        try {
            Map<String, Object> a = Files.readAttributes(file, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            return (Integer) a.get("uid") == euid() && (mode & 0022) == 0 && (mode & 0170000) == 0100000;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /**
     * The effective uid, from the kernel's status file rather than geteuid(2): a first run's compile JVM loads no
     * native bindings (JNA), and this is all the cache needs from them.
     */
    static int euid() throws IOException {
        int id = euid;
        if (id < 0) {
            id = statusField("Uid:", 1);
            euid = id;
        }
        return id;
    }

    private static volatile int euid = -1;

    /** This process's id, from the same file (ProcessHandle's first use starts threads and lambdas). */
    static long pid() throws IOException {
        return statusField("Pid:", 0);
    }

    /** Field {@code index} of the /proc/self/status line that starts with {@code key}: its numbers, by whitespace. */
    private static int statusField(String key, int index) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(key)) {
                java.util.StringTokenizer t = new java.util.StringTokenizer(line.substring(key.length()));
                for (int i = 0; i < index && t.hasMoreTokens(); i++) {
                    t.nextToken();
                }
                if (t.hasMoreTokens()) {
                    return Integer.parseInt(t.nextToken());
                }
            }
        }
        throw new IOException("/proc/self/status has no " + key + " line");
    }

    private void ensureDirectory() throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Path parent = dir.getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            }
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // another sandbox made it meanwhile: checked below like any other
            }
        }
        Map<String, Object> a = Files.readAttributes(dir, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        if ((mode & 0170000) != 0040000) {
            throw new IOException(dir + " is not a directory");
        }
        if ((Integer) a.get("uid") != euid()) {
            throw new IOException(dir + " belongs to another user");
        }
        if ((mode & 0077) != 0) {
            throw new IOException(dir + " is open to other users (mode " + Integer.toOctalString(mode & 0777)
                    + "; chmod 700 it to use it)");
        }
    }
}

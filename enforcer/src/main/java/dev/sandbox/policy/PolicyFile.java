package dev.sandbox.policy;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one writer of the policy format, and what goes with writing a policy file: the canonical JSON (keys in a fixed
 * order, syscalls sorted, rules grouped by action), an atomic replace, a lock for concurrent writers, and the check
 * that a target can be written before anything is run. {@link PolicyLoader} reads what this writes:
 * {@code load(write(p)).equals(p)} for every policy (PolicyFileTest).
 */
public final class PolicyFile {
    private PolicyFile() {}

    /** The policy in the file format. */
    public static JsonObject toJson(Policy p) {
        JsonObject root = new JsonObject();
        root.addProperty("mode", p.mode().label());
        if (p.action().kind() != Action.Kind.KILL) {
            root.addProperty("action", p.action().kind().label());
            if (p.action().kind() == Action.Kind.ERRNO) {
                errno(root, p.action().errno());
            }
        }
        root.add("syscalls", array(p.syscalls()));
        if (!p.rules().isEmpty()) {
            JsonArray rules = new JsonArray();
            for (Rule r : Policy.group(p.ruled())) {
                JsonObject rule = new JsonObject();
                rule.add("syscalls", array(r.syscalls()));
                rule.addProperty("action", r.action().kind().label());
                if (r.action().kind() == Action.Kind.ERRNO) {
                    errno(rule, r.action().errno());
                }
                rules.add(rule);
            }
            root.add("rules", rules);
        }
        if (p.knownUpTo() != null) {
            root.addProperty("known_up_to", p.knownUpTo());
        }
        if (p.isolation() != null) {
            root.add("isolation", p.isolation());
        }
        if (!p.meta().isEmpty()) {
            root.add("metadata", p.meta().toJson());
        }
        return root;
    }

    private static void errno(JsonObject o, int errno) {
        if (ErrnoName.named(errno)) {
            o.addProperty("errno", ErrnoName.of(errno));
        } else {
            o.addProperty("errno", errno);
        }
    }

    /** Sorted by their text form, the way a person reads and diffs them. */
    private static JsonArray array(Iterable<SyscallRef> refs) {
        Set<String> sorted = new TreeSet<>();
        refs.forEach(s -> sorted.add(s.toString()));
        JsonArray a = new JsonArray();
        sorted.forEach(a::add);
        return a;
    }

    /** The file's bytes: pretty-printed UTF-8 JSON and a final newline. */
    public static byte[] bytes(Policy p) {
        return (new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(toJson(p)) + "\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Writes {@code p} to {@code file} atomically: a temp file in the same directory, flushed to disk, renamed over
     * the target, and the directory flushed, so that whatever interrupts us the file is the old one or the new one,
     * never a part. What is written is first loaded back: nothing the loader would refuse is ever written.
     */
    public static void write(Policy p, Path file) throws IOException {
        byte[] bytes = bytes(p);
        new PolicyLoader(w -> { }).parse(bytes, file.toString());
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Set<PosixFilePermission> mode = PosixFilePermissions.fromString("rw-r--r--");
        try {
            // Keep the mode of the file being replaced (a policy someone made group-writable stays so).
            mode = Files.getPosixFilePermissions(target);
        } catch (NoSuchFileException e) {
            // a new file: a policy is not a secret
        }
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.setPosixFilePermissions(tmp, mode);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            // The rename lives in the directory: flush it too, or a crash can bring the old file back.
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException e) {
                // a file system that cannot flush a directory: the rename still happened
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Refuses, with the reason, a target that cannot be written: a missing directory, one we may not write in, a
     * target that is a directory or not a regular file. Called before the program runs, so that a learning session
     * is not lost at the end.
     */
    public static void checkWritable(Path file, String option) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        String shown = Printable.escape(file.toString());
        if (!Files.isDirectory(dir)) {
            throw new SandboxException(option + " " + shown + ": " + (Files.exists(dir) ? "not a directory: "
                    : "no such directory: ") + Printable.escape(dir.toString()), ExitCodes.REFUSED);
        }
        if (Files.exists(target) && !Files.isRegularFile(target)) {
            throw new SandboxException(option + " " + shown + ": " + (Files.isDirectory(target) ? "is a directory"
                    : "is not a regular file"), ExitCodes.REFUSED);
        }
        try {
            Files.deleteIfExists(Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp"));
        } catch (AccessDeniedException e) {
            throw new SandboxException(option + " " + shown + ": cannot write in " + Printable.escape(dir.toString())
                    + ": Permission denied", ExitCodes.REFUSED);
        } catch (FileSystemException e) {
            throw new SandboxException(option + " " + shown + ": cannot write in " + Printable.escape(dir.toString())
                    + ": " + (e.getReason() != null ? e.getReason() : e.getMessage()), ExitCodes.REFUSED);
        } catch (IOException e) {
            throw new SandboxException(option + " " + shown + ": cannot write in " + Printable.escape(dir.toString())
                    + ": " + e.getMessage(), ExitCodes.REFUSED);
        }
    }

    /**
     * An exclusive lock that serializes everyone who reads, merges and writes {@code file}: a lock on
     * {@code .NAME.lock} beside it (fcntl, so it is held per process and released if the process dies). The lock
     * file stays: removing it would race with the next writer opening it.
     */
    public static Lock lock(Path file) throws IOException {
        Path target = file.toAbsolutePath();
        Path lockFile = target.resolveSibling("." + target.getFileName() + ".lock");
        FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            return new Lock(ch, ch.lock());
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Held while a policy file is read, merged and written. */
    public static final class Lock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private Lock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() throws IOException {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }

    /**
     * What a file is now: its identity, size and modification time, or "absent". A saver remembers this before the
     * program runs and compares under the lock, to see whether someone else wrote the file meanwhile.
     */
    public record State(Object key, long size, long modified) {
        public static final State ABSENT = new State(null, -1, -1);

        public static State of(Path file) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                return new State(Objects.requireNonNullElse(a.fileKey(), "?"), a.size(),
                        a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS));
            } catch (IOException e) {
                return ABSENT;
            }
        }

        public boolean exists() {
            return key != null;
        }
    }
}

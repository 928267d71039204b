package dev.sandbox.launch;

import dev.sandbox.jna.LibC;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * What the program's fds 0, 1 and 2 are. The learner gives the program the sandbox's own fds, untouched (a program
 * that finds a pipe where a file was takes another path: {@code cat in > out} uses copy_file_range only onto a
 * file), and records only their kinds, so that {@code verify} can run the program with the same kinds. Output to a
 * regular file is hashed afterwards, from the byte range the run wrote ({@link Mark}); a pipe or a terminal cannot
 * be read back, so its output is not compared.
 */
public final class Stdio {
    /** The kinds, as the metadata spells them ({@link #label}). */
    public enum Kind {
        FILE, PIPE, TERMINAL, NULL, SOCKET, DEVICE, CLOSED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Kind parse(String label) {
            for (Kind k : values()) {
                if (k.label().equals(label)) {
                    return k;
                }
            }
            return null;
        }
    }

    /** S_IFMT and the types of <sys/stat.h>. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFIFO = 0010000;
    private static final int S_IFSOCK = 0140000;
    private static final int S_IFCHR = 0020000;
    /** /dev/null is character device 1:3 (Documentation/admin-guide/devices.txt). */
    private static final long DEV_NULL = (1L << 8) | 3;
    /** O_APPEND in <asm-generic/fcntl.h>, as /proc/self/fdinfo shows the flags (octal). */
    private static final int O_APPEND = 02000;

    /** The most of a written range kept as text in a learned policy, for verify's diff. */
    public static final int MAX_TEXT = 64 * 1024;

    private Stdio() {}

    /** What {@code fd} of this process is. */
    public static Kind kind(int fd) {
        if (fd <= 2 && Launcher.closedAtStart(fd)) {
            return Kind.CLOSED; // the /dev/null there stands in for the JVM (Launcher.closedAtStart)
        }
        Path p = Path.of("/proc/self/fd/" + fd);
        int mode;
        long rdev;
        try {
            mode = (Integer) Files.getAttribute(p, "unix:mode");
            rdev = (Long) Files.getAttribute(p, "unix:rdev");
        } catch (IOException | RuntimeException e) {
            return Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? Kind.DEVICE : Kind.CLOSED;
        }
        return switch (mode & S_IFMT) {
            case S_IFREG -> Kind.FILE;
            case S_IFIFO -> Kind.PIPE;
            case S_IFSOCK -> Kind.SOCKET;
            case S_IFCHR -> LibC.isatty(fd) == 1 ? Kind.TERMINAL : rdev == DEV_NULL ? Kind.NULL : Kind.DEVICE;
            default -> Kind.DEVICE;
        };
    }

    /** What a run wrote to a regular file: its SHA-256, its length and, when short UTF-8, the text. */
    public record Written(String sha256, long bytes, String text) {}

    /**
     * Where a regular file stood before the run: writes land from the file offset on, or at the end when the fd is
     * O_APPEND ({@code >>}). After the run, {@link #written} reads that range back through a fresh read-only open
     * of the same file, so a write-only fd does not matter.
     */
    public static final class Mark {
        private final int fd;
        private final long start;

        private Mark(int fd, long start) {
            this.fd = fd;
            this.start = start;
        }

        /** null when {@code fd} is not a regular file or its position cannot be read. */
        public static Mark before(int fd) {
            if (kind(fd) != Kind.FILE) {
                return null;
            }
            try {
                String info = Files.readString(Path.of("/proc/self/fdinfo/" + fd), StandardCharsets.US_ASCII);
                long pos = field(info, "pos:", 10);
                long flags = field(info, "flags:", 8);
                long start = (flags & O_APPEND) != 0 ? Files.size(Path.of("/proc/self/fd/" + fd)) : pos;
                return new Mark(fd, start);
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        public long start() {
            return start;
        }

        /** The range [start, end of file) now; null when the file cannot be read back (no read permission). */
        public Written written() {
            try (SeekableByteChannel ch = Files.newByteChannel(Path.of("/proc/self/fd/" + fd),
                    StandardOpenOption.READ)) {
                return read(ch, start);
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }

    /** Hashes what {@code ch} holds from {@code from} on, keeping the text when it is short UTF-8. */
    public static Written read(SeekableByteChannel ch, long from) throws IOException {
        MessageDigest sha = sha256();
        ch.position(from);
        ByteBuffer buf = ByteBuffer.allocate(65536);
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
        long total = 0;
        while (ch.read(buf) > 0) {
            buf.flip();
            byte[] chunk = new byte[buf.remaining()];
            buf.get(chunk);
            sha.update(chunk);
            if (total + chunk.length <= MAX_TEXT) {
                text.writeBytes(chunk);
            }
            total += chunk.length;
            buf.clear();
        }
        return written(sha, total, text.toByteArray());
    }

    static Written written(MessageDigest sha, long total, byte[] head) {
        String text = total <= MAX_TEXT && Argv.isUtf8(head) ? new String(head, StandardCharsets.UTF_8) : null;
        return new Written(HexFormat.of().formatHex(sha.digest()), total, text);
    }

    public static Written of(byte[] bytes) {
        MessageDigest sha = sha256();
        sha.update(bytes);
        return written(sha, bytes.length, bytes.length <= MAX_TEXT ? bytes : new byte[0]);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long field(String info, String name, int radix) {
        for (String line : info.split("\n")) {
            if (line.startsWith(name)) {
                return Long.parseLong(line.substring(name.length()).trim(), radix);
            }
        }
        throw new IllegalArgumentException("no " + name + " in fdinfo");
    }
}

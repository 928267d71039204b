package dev.sandbox.isolation;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads /proc, /sys and cgroup files. Not {@code Files.readString}: these files report size 0, and for such a file
 * the JDK returned only the first byte of /proc/sys/kernel/cap_last_cap ("4" for "40") here; a plain read to EOF is
 * right.
 */
public final class KernelFiles {
    private KernelFiles() {}

    public static String read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The file's text, or null when it cannot be read. */
    public static String readOrNull(Path file) {
        try {
            return read(file);
        } catch (IOException e) {
            return null;
        }
    }
}

package dev.sandbox.launch;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The command-line arguments as bytes. The JVM decodes argv with the locale's charset (sun.jnu.encoding): under
 * {@code LANG=C} every byte above 0x7f becomes U+FFFD, and no locale keeps bytes that are not valid in it. The
 * kernel's copy, /proc/self/cmdline, still has them: the JVM passes main() the last {@code args.length} words of
 * its own argv (JVM options and the main class or jar come first; {@code @argfiles} are expanded only before the
 * main class), so those words are ours. Each one is checked against the String the JVM made of it; if any
 * disagrees (an embedding caller, a JVM that rewrote its argv) the Strings are used, encoded as the JVM decoded them.
 */
public final class RawArgs {
    private RawArgs() {}

    public static List<byte[]> of(String[] args) {
        List<byte[]> raw = fromProc(args);
        return raw != null ? raw : encode(args);
    }

    /** The Strings encoded back with the charset the JVM decoded them with: exact for text valid in the locale. */
    public static List<byte[]> encode(String[] args) {
        Charset cs = jnuCharset();
        List<byte[]> out = new ArrayList<>(args.length);
        for (String a : args) {
            out.add(a.getBytes(cs));
        }
        return out;
    }

    /** The charset the JVM decodes argv, the environment and file names with. */
    public static Charset jnuCharset() {
        String name = System.getProperty("sun.jnu.encoding");
        try {
            return name == null ? Charset.defaultCharset() : Charset.forName(name);
        } catch (RuntimeException e) {
            return Charset.defaultCharset();
        }
    }

    /** Whether the JVM's Strings (and so java.nio.file.Path) can carry {@code bytes} unchanged. */
    public static boolean representable(byte[] bytes) {
        Charset cs = jnuCharset();
        String s = new String(bytes, cs);
        return Arrays.equals(s.getBytes(cs), bytes);
    }

    static List<byte[]> fromProc(String[] args) {
        byte[] cmdline;
        try {
            cmdline = Files.readAllBytes(Path.of("/proc/self/cmdline"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
        List<byte[]> words = split(cmdline);
        if (words.size() < args.length) {
            return null;
        }
        List<byte[]> tail = words.subList(words.size() - args.length, words.size());
        Charset cs = jnuCharset();
        for (int i = 0; i < args.length; i++) {
            if (!new String(tail.get(i), cs).equals(args[i])) {
                return null;
            }
        }
        return new ArrayList<>(tail);
    }

    /** NUL-terminated words; a last word without its NUL (a process that rewrote its cmdline) still counts. */
    static List<byte[]> split(byte[] cmdline) {
        List<byte[]> words = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < cmdline.length; i++) {
            if (cmdline[i] == 0) {
                words.add(Arrays.copyOfRange(cmdline, start, i));
                start = i + 1;
            }
        }
        if (start < cmdline.length) {
            words.add(Arrays.copyOfRange(cmdline, start, cmdline.length));
        }
        return words;
    }
}

package dev.sandbox.launch;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The program and its arguments as the bytes the person typed. An argument is not text: under {@code LANG=C} the
 * JVM decodes {@code café.txt} to "caf\uFFFD\uFFFD.txt", and bytes that are not UTF-8 have no String at all, so the
 * bytes are carried from /proc/self/cmdline ({@link RawArgs}) to execve untouched. Strings exist only to show them.
 */
public final class Argv {
    /** What the sandbox's messages are encoded with (System.err's charset). */
    private static final java.nio.charset.CharsetEncoder OUTPUT = outputCharset().newEncoder();

    private final List<byte[]> argv;

    private Argv(List<byte[]> argv) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a command needs a program");
        }
        List<byte[]> copy = new ArrayList<>(argv.size());
        for (byte[] a : argv) {
            copy.add(a.clone());
        }
        this.argv = List.copyOf(copy);
    }

    public static Argv ofBytes(List<byte[]> argv) {
        return new Argv(argv);
    }

    /** From text (a learned policy's metadata, tests): UTF-8, the encoding the metadata is written in. */
    public static Argv of(List<String> argv) {
        List<byte[]> bytes = new ArrayList<>(argv.size());
        for (String a : argv) {
            bytes.add(a.getBytes(StandardCharsets.UTF_8));
        }
        return new Argv(bytes);
    }

    /** argv[0]: the program as given (a name looked up in PATH, or a path). */
    public byte[] program() {
        return argv.get(0).clone();
    }

    /** Every argument including argv[0]; the arrays are copies. */
    public List<byte[]> argv() {
        List<byte[]> copy = new ArrayList<>(argv.size());
        for (byte[] a : argv) {
            copy.add(a.clone());
        }
        return copy;
    }

    public int size() {
        return argv.size();
    }

    /** Each argument as text when it is UTF-8, for metadata; {@link #utf8()} says whether that is exact. */
    public List<String> strings() {
        List<String> out = new ArrayList<>(argv.size());
        for (byte[] a : argv) {
            out.add(new String(a, StandardCharsets.UTF_8));
        }
        return out;
    }

    /** Whether every argument is valid UTF-8, so that {@link #strings()} loses nothing. */
    public boolean utf8() {
        for (byte[] a : argv) {
            if (!isUtf8(a)) {
                return false;
            }
        }
        return true;
    }

    /** The program as a person reads it (see {@link #show(byte[])}). */
    public String programName() {
        return show(argv.get(0));
    }

    /** The whole command line as a person reads it, space-separated. */
    public String display() {
        StringBuilder b = new StringBuilder();
        for (byte[] a : argv) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(show(a));
        }
        return b.toString();
    }

    /**
     * Bytes for a message: UTF-8 text as it is, every byte that is not part of valid UTF-8 as {@code \xNN}, and
     * control characters escaped, so that a file name cannot move the cursor or retitle the terminal.
     */
    public static String show(byte[] bytes) {
        StringBuilder b = new StringBuilder(bytes.length);
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        while (in.hasRemaining()) {
            out.clear();
            var r = dec.decode(in, out, true);
            out.flip();
            appendEscaped(b, out);
            if (r.isError()) {
                for (int i = 0; i < r.length(); i++) {
                    b.append(String.format("\\x%02x", in.get() & 0xff));
                }
            } else if (r.isUnderflow()) {
                break;
            }
        }
        return b.toString();
    }

    private static void appendEscaped(StringBuilder b, CharSequence s) {
        // a loop, not codePoints().forEach: a first run's compile JVM makes no lambda (PolicyArg says why)
        for (int i = 0; i < s.length(); ) {
            int c = Character.codePointAt(s, i);
            i += Character.charCount(c);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                switch (c) {
                    case '\n' -> b.append("\\n");
                    case '\t' -> b.append("\\t");
                    case '\r' -> b.append("\\r");
                    default -> b.append(String.format("\\x%02x", c));
                }
            } else if (c >= 0x80 && !OUTPUT.canEncode(new String(Character.toChars(c)))) {
                // our messages' charset (ASCII under LANG=C) has no such character: its bytes, not a '?'
                for (byte x : new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8)) {
                    b.append(String.format("\\x%02x", x & 0xff));
                }
            } else {
                b.appendCodePoint(c);
            }
        }
    }

    private static java.nio.charset.Charset outputCharset() {
        String name = System.getProperty("sun.stderr.encoding");
        try {
            return name != null ? java.nio.charset.Charset.forName(name) : java.nio.charset.Charset.defaultCharset();
        } catch (RuntimeException e) {
            return java.nio.charset.Charset.defaultCharset();
        }
    }

    static boolean isUtf8(byte[] a) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(a));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Argv c) || c.argv.size() != argv.size()) {
            return false;
        }
        for (int i = 0; i < argv.size(); i++) {
            if (!Arrays.equals(argv.get(i), c.argv.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (byte[] a : argv) {
            h = 31 * h + Arrays.hashCode(a);
        }
        return h;
    }

    @Override
    public String toString() {
        return display();
    }
}

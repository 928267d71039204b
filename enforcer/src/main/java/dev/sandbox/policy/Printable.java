package dev.sandbox.policy;

/**
 * Text from a policy file or from the traced program (a path, an executable's name, a syscall name someone typed)
 * is printed with its control characters escaped: a name holding ESC sequences must not move the cursor, recolour
 * or retitle the terminal of the person reading a message or a listing.
 */
public final class Printable {
    private Printable() {}

    /**
     * {@code s} with C0 and C1 controls, DEL and the bidirectional overrides written as {@code \xNN} /
     * {@code \}{@code uNNNN} (tab, newline and carriage return as {@code \t \n \r}); null stays "null".
     */
    public static String escape(String s) {
        if (s == null) {
            return "null";
        }
        int i = 0;
        while (i < s.length() && !unsafe(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 8).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!unsafe(c)) {
                b.append(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c <= 0xff) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b.toString();
    }

    private static boolean unsafe(char c) {
        return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e)
                || (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f || c == 0x061c;
    }

    /** For an excerpt under which a caret points: each unsafe character becomes one '?', so columns still line up. */
    public static String masked(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c != '\t' && unsafe(c) ? '?' : c);
        }
        return b.toString();
    }
}

package dev.sandbox.screen;

import java.util.ArrayList;
import java.util.List;

/**
 * Screen rows are drawn whole: every string is cut or padded to the width, so nothing of the last frame shows. Text
 * from outside (paths, a program's arguments, file names) may hold any character: controls are shown as \xNN, since
 * lanterna refuses to draw them and a terminal would obey them.
 */
final class Rows {
    private Rows() {}

    static String pad(String s, int cols) {
        if (cols <= 0) {
            return "";
        }
        s = printable(s);
        if (s.length() >= cols) {
            int cut = Character.isHighSurrogate(s.charAt(cols - 1)) ? cols - 1 : cols;
            return s.substring(0, cut);
        }
        return s + " ".repeat(cols - s.length());
    }

    static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                b.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                b.append('?');
            } else if (c == '\t') {
                b.append(' ');
            } else if (c < 0x20 || c >= 0x7f && c <= 0x9f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * Breaks {@code text} into lines of at most {@code width} columns, at spaces where it can and inside a word where
     * it must (a long path); at most {@code max} lines, the last one ending in "..." when text was left over.
     */
    static List<String> wrap(String text, int width, int max) {
        List<String> out = new ArrayList<>();
        String rest = printable(text);
        width = Math.max(4, width);
        while (!rest.isEmpty() && out.size() < max) {
            if (rest.length() <= width) {
                out.add(rest);
                rest = "";
                break;
            }
            int cut = rest.lastIndexOf(' ', width);
            if (cut <= width / 3) {
                cut = width; // no good space: break inside the word
                out.add(rest.substring(0, cut));
                rest = rest.substring(cut);
            } else {
                out.add(rest.substring(0, cut));
                rest = rest.substring(cut + 1);
            }
        }
        if (!rest.isEmpty() && !out.isEmpty()) {
            String last = out.get(out.size() - 1);
            out.set(out.size() - 1, (last.length() > width - 3 ? last.substring(0, width - 3) : last) + "...");
        }
        return out;
    }
}

package dev.sandbox.screen;

/** Screen rows are drawn whole: every string is cut or padded to the width, so nothing of the last frame shows. */
final class Rows {
    private Rows() {}

    static String pad(String s, int cols) {
        if (cols <= 0) {
            return "";
        }
        return s.length() >= cols ? s.substring(0, cols) : s + " ".repeat(cols - s.length());
    }
}

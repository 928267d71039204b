package dev.sandbox.isolation;

import java.util.Locale;

/** Byte counts as people write them: 256M, 1G, 512k, 4096 (K/M/G/T are powers of 1024). */
public final class Sizes {
    private Sizes() {}

    public static long parse(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        if (t.endsWith("B")) {
            t = t.substring(0, t.length() - 1);
        }
        long mult = 1;
        if (!t.isEmpty()) {
            char last = t.charAt(t.length() - 1);
            int shift = "KMGT".indexOf(last);
            if (shift >= 0) {
                mult = 1L << (10 * (shift + 1));
                t = t.substring(0, t.length() - 1);
            }
        }
        if (t.isEmpty() || !t.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("\"" + s + "\" is not a size (e.g. 256M)");
        }
        try {
            return Math.multiplyExact(Long.parseLong(t), mult);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("\"" + s + "\" is too large");
        }
    }
}

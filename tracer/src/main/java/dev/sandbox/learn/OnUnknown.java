package dev.sandbox.learn;

import java.util.Locale;

/** --on-unknown: what a syscall the base policy does not cover gets. */
public enum OnUnknown {
    ASK, ALLOW, BLOCK, KILL;

    public static OnUnknown parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}

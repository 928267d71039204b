package dev.sandbox.policy;

/** allow: only the listed syscalls run. block: the listed syscalls are refused, the rest run. */
public enum Mode {
    ALLOW, BLOCK;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

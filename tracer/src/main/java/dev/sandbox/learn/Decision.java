package dev.sandbox.learn;

import dev.sandbox.policy.ErrnoName;

/**
 * A verdict, who gave it, and how far it reaches.
 *
 * @param errno for a block: the error the call fails with (EPERM, or what a base policy's errno rule says)
 */
public record Decision(Verdict verdict, Source source, Scope scope, int errno) {
    public Decision(Verdict verdict, Source source, Scope scope) {
        this(verdict, source, scope, ErrnoName.EPERM);
    }

    public static Decision of(Verdict v, Source s) {
        return new Decision(v, s, Scope.ONCE);
    }

    /** Whether this answer holds beyond the one call. */
    public boolean remembered() {
        return scope != Scope.ONCE;
    }

    public String describe() {
        String what = switch (verdict) {
            case ALLOW -> "ALLOWED";
            case BLOCK -> "BLOCKED";
            case KILL -> "KILLED";
        };
        return what + (verdict == Verdict.BLOCK && errno != ErrnoName.EPERM ? " with " + ErrnoName.of(errno) : "")
                + " (" + source.label() + (remembered() ? ", " + scope.label() : "") + ")";
    }
}

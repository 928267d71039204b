package dev.sandbox.learn;

/** A verdict, who gave it, and how far it reaches. */
public record Decision(Verdict verdict, Source source, Scope scope) {
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
        return what + " (" + source.label() + (remembered() ? ", " + scope.label() : "") + ")";
    }
}

package dev.sandbox.learn;

/**
 * @param remembered whether this answer now holds for the rest of the session ("always")
 */
public record Decision(Verdict verdict, Source source, boolean remembered) {
    public static Decision of(Verdict v, Source s) {
        return new Decision(v, s, false);
    }

    public String describe() {
        String what = switch (verdict) {
            case ALLOW -> "ALLOWED";
            case BLOCK -> "BLOCKED";
            case KILL -> "KILLED";
        };
        return what + " (" + source.label() + (remembered ? ", always" : "") + ")";
    }
}

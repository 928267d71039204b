package dev.sandbox.isolation;

/**
 * One filesystem operation on the new root, in the order given: a bind (read-write or read-only) of a host path, or
 * a fresh tmpfs, proc or minimal /dev at {@code dst}.
 */
public record Mount(Kind kind, String src, String dst) {
    public enum Kind {
        BIND("--bind"), RO_BIND("--ro-bind"), TMPFS("--tmpfs"), PROC("--proc"), DEV("--dev");

        private final String option;

        Kind(String option) {
            this.option = option;
        }

        public String option() {
            return option;
        }
    }

    /** {@code SRC[:DST]} for binds (DST defaults to SRC), {@code DST} for the rest; paths must be absolute. */
    public static Mount parse(Kind kind, String arg) {
        if (kind == Kind.BIND || kind == Kind.RO_BIND) {
            int colon = arg.indexOf(':');
            String src = colon < 0 ? arg : arg.substring(0, colon);
            String dst = colon < 0 ? arg : arg.substring(colon + 1);
            return new Mount(kind, absolute(kind, src), absolute(kind, dst));
        }
        return new Mount(kind, null, absolute(kind, arg));
    }

    private static String absolute(Kind kind, String path) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException(kind.option() + " " + path + ": the path must be absolute");
        }
        String norm = java.nio.file.Path.of(path).normalize().toString();
        return norm;
    }

    public String describe() {
        return kind.option() + " " + (src == null ? dst : src.equals(dst) ? src : src + ":" + dst);
    }
}

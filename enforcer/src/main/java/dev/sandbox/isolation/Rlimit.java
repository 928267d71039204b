package dev.sandbox.isolation;

import java.util.List;
import java.util.Locale;

/** One {@code --rlimit NAME=SOFT[:HARD]}: a resource number (<sys/resource.h>) and two values. */
public record Rlimit(String name, int resource, long soft, long hard) {
    /** RLIM_INFINITY */
    public static final long INFINITY = -1L;
    /** Index = RLIMIT_* number. */
    static final List<String> NAMES = List.of("cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile",
            "memlock", "as", "locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime");

    /** HARD defaults to SOFT; values take K/M/G suffixes (powers of 1024) or "unlimited". */
    public static Rlimit parse(String arg) {
        int eq = arg.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException("--rlimit " + arg + ": expected NAME=SOFT[:HARD], e.g. nofile=256");
        }
        String name = arg.substring(0, eq).trim().toLowerCase(Locale.ROOT);
        if (name.startsWith("rlimit_")) {
            name = name.substring(7);
        }
        int resource = NAMES.indexOf(name);
        if (resource < 0) {
            throw new IllegalArgumentException("--rlimit " + arg + ": unknown limit \"" + name + "\" (one of "
                    + String.join(", ", NAMES) + ")");
        }
        String[] v = arg.substring(eq + 1).split(":", -1);
        if (v.length > 2) {
            throw new IllegalArgumentException("--rlimit " + arg + ": expected NAME=SOFT[:HARD]");
        }
        long soft = value(arg, v[0]);
        long hard = v.length == 2 ? value(arg, v[1]) : soft;
        if (hard != INFINITY && (soft == INFINITY || Long.compareUnsigned(soft, hard) > 0)) {
            throw new IllegalArgumentException("--rlimit " + arg + ": the soft limit is above the hard limit");
        }
        return new Rlimit(name, resource, soft, hard);
    }

    private static long value(String arg, String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.equals("unlimited") || t.equals("infinity")) {
            return INFINITY;
        }
        try {
            return Sizes.parse(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--rlimit " + arg + ": \"" + s + "\" is not a number or "
                    + "\"unlimited\"");
        }
    }

    public String describe() {
        return name + "=" + show(soft) + (soft == hard ? "" : ":" + show(hard));
    }

    private static String show(long v) {
        return v == INFINITY ? "unlimited" : Long.toString(v);
    }
}

package dev.sandbox.isolation;

import java.util.Locale;

/** The namespaces {@code --unshare} names, with their clone flags (<linux/sched.h>). */
public enum Namespace {
    USER(0x10000000),
    PID(0x20000000),
    MOUNT(0x00020000),
    NET(0x40000000),
    IPC(0x08000000),
    UTS(0x04000000),
    CGROUP(0x02000000);

    private final int cloneFlag;

    Namespace(int cloneFlag) {
        this.cloneFlag = cloneFlag;
    }

    public int cloneFlag() {
        return cloneFlag;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** "user", "pid", ..., also "mnt" and "network" as util-linux spells them; null when unknown. */
    public static Namespace parse(String word) {
        String w = word.trim().toLowerCase(Locale.ROOT);
        return switch (w) {
            case "mnt" -> MOUNT;
            case "network" -> NET;
            default -> {
                for (Namespace n : values()) {
                    if (n.label().equals(w)) {
                        yield n;
                    }
                }
                yield null;
            }
        };
    }
}

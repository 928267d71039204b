package dev.sandbox.isolation;

import java.util.List;
import java.util.Locale;

/** Capability names and numbers (<linux/capability.h>), for --cap-add / --cap-drop and the plan's masks. */
public final class Capabilities {
    /** Index = capability number. */
    static final List<String> NAMES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
            "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
            "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
            "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
            "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
            "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
            "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
            "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE");

    private Capabilities() {}

    /** The capability number of {@code CAP_X} (or {@code x}); -1 when unknown. */
    public static int number(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        if (!n.startsWith("CAP_")) {
            n = "CAP_" + n;
        }
        return NAMES.indexOf(n);
    }

    /** The names in a mask, lowest first, comma-separated; "none" for 0. */
    public static String names(long mask) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            if ((mask & (1L << i)) != 0) {
                b.append(b.length() == 0 ? "" : ",").append(i < NAMES.size() ? NAMES.get(i) : "cap" + i);
            }
        }
        return b.length() == 0 ? "none" : b.toString();
    }

    /** The kernel's highest capability number (/proc/sys/kernel/cap_last_cap), or the last we know. */
    public static int lastCap() {
        try {
            return Integer.parseInt(KernelFiles.read(java.nio.file.Path.of("/proc/sys/kernel/cap_last_cap")).trim());
        } catch (java.io.IOException | NumberFormatException e) {
            return NAMES.size() - 1;
        }
    }
}

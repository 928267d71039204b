package dev.sandbox.isolation;

import java.util.ArrayList;
import java.util.List;

/**
 * Landlock's filesystem rights (<linux/landlock.h>) and the kernel's ABI, probed once the way netty probes epoll: the
 * plan asks only for rights the ABI has, and {@link #unenforced} says in words what that leaves out.
 */
public final class Landlock {
    public static final long EXECUTE = 1L << 0;
    public static final long WRITE_FILE = 1L << 1;
    public static final long READ_FILE = 1L << 2;
    public static final long READ_DIR = 1L << 3;
    public static final long REMOVE_DIR = 1L << 4;
    public static final long REMOVE_FILE = 1L << 5;
    public static final long MAKE_CHAR = 1L << 6;
    public static final long MAKE_DIR = 1L << 7;
    public static final long MAKE_REG = 1L << 8;
    public static final long MAKE_SOCK = 1L << 9;
    public static final long MAKE_FIFO = 1L << 10;
    public static final long MAKE_BLOCK = 1L << 11;
    public static final long MAKE_SYM = 1L << 12;
    /** ABI 2 */
    public static final long REFER = 1L << 13;
    /** ABI 3 */
    public static final long TRUNCATE = 1L << 14;
    /** ABI 5 */
    public static final long IOCTL_DEV = 1L << 15;
    /** Rights that make sense on a file (a rule on a non-directory may hold only these). */
    public static final long FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV;

    private static volatile Integer abi;
    private static volatile String unavailable;

    private Landlock() {}

    /** The kernel's Landlock ABI version, or 0 when it has none ({@link #unavailabilityCause} says why). */
    public static int abi() {
        if (abi == null) {
            int got = dev.sandbox.jna.Posix.landlockAbi();
            if (got < 0) {
                unavailable = -got == dev.sandbox.jna.Errno.ENOSYS
                        ? "this kernel has no Landlock (Linux 5.13+ with CONFIG_SECURITY_LANDLOCK)"
                        : "Landlock is not enabled: add landlock to the lsm= boot parameter "
                        + "(cat /sys/kernel/security/lsm)";
                got = 0;
            }
            abi = got;
        }
        return abi;
    }

    public static String unavailabilityCause() {
        abi();
        return unavailable;
    }

    /** Every filesystem right the given ABI knows: the ruleset handles all of them, so what no rule grants is denied. */
    public static long handled(int abi) {
        long all = (MAKE_SYM << 1) - 1;
        if (abi >= 2) {
            all |= REFER;
        }
        if (abi >= 3) {
            all |= TRUNCATE;
        }
        if (abi >= 5) {
            all |= IOCTL_DEV;
        }
        return all;
    }

    /**
     * The rights an access level grants, within what the ABI handles: ro reads, exec reads and runs (as landrun's
     * --ro and --rox; running a dynamically linked program also needs exec on its loader's tree), rw does everything.
     */
    public static long rights(FsRule.Access access, int abi) {
        return switch (access) {
            case RO -> READ_FILE | READ_DIR;
            case EXEC -> EXECUTE | READ_FILE | READ_DIR;
            case RW -> handled(abi);
        };
    }

    /** What this ABI cannot restrict, one phrase each; empty when everything is enforced. */
    public static List<String> unenforced(int abi) {
        List<String> out = new ArrayList<>();
        if (abi < 2) {
            out.add("linking or renaming files between directories is always refused (ABI 2 allows it in rw trees)");
        }
        if (abi < 3) {
            out.add("truncating files outside the rw trees (ABI 3)");
        }
        if (abi < 5) {
            out.add("ioctl on device files (ABI 5)");
        }
        return out;
    }
}

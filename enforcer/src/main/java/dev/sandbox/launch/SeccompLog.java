package dev.sandbox.launch;

import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibC;
import dev.sandbox.jna.NativeCallException;
import dev.sandbox.jna.Posix;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names the syscall behind a seccomp kill without weakening the kill: the kernel logs every KILL_PROCESS action
 * (/proc/sys/kernel/seccomp/actions_logged) as an audit record, type 1326, that reaches the kernel log when no audit
 * daemon takes it. Reading /dev/kmsg needs CAP_SYSLOG when kernel.dmesg_restrict is 1, so this may find nothing.
 * The kernel's audit thread prints the record a moment after the kill, so an empty log is waited on for a while
 * (native/src/sandbox-run.c does the same).
 */
public final class SeccompLog {
    private static final Pattern RECORD = Pattern.compile("type=1326 .*?\\bpid=(\\d+)\\b.*?\\barch=([0-9a-f]+)\\b"
            + ".*?\\bsyscall=(\\d+)\\b");

    /** How long the audit record of a kill is waited for. */
    static final int WAIT_MS = 200;

    private SeccompLog() {}

    /** A syscall by its audit arch and number: "mkdir", "mkdir (i386)", or the numbers when the arch is foreign. */
    public static String name(int auditArch, long nr) {
        Arch arch = Arch.of(auditArch, nr);
        if (arch == null) {
            return unknownArch(Long.toString(nr), Integer.toHexString(auditArch));
        }
        return display(arch, SyscallNames.name(arch, (int) (arch == Arch.X86_64 ? nr : nr & ~Arch.X32_SYSCALL_BIT)));
    }

    /** The name of the syscall that got {@code pid} killed, or null when the log cannot be read or says nothing. */
    public static String killedSyscall(int pid) {
        int fd;
        try {
            fd = Posix.open("/dev/kmsg", LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        } catch (NativeCallException e) {
            return null;
        }
        String found = null;
        long deadline = System.nanoTime() + WAIT_MS * 1_000_000L;
        try {
            byte[] buf = new byte[8192];
            for (;;) {
                int n;
                try {
                    n = Posix.read(fd, buf, buf.length);
                } catch (NativeCallException e) {
                    if (e.errno() == Errno.EPIPE) {
                        continue; // /dev/kmsg: a record was overwritten while we read; go on with the next
                    }
                    long left = (deadline - System.nanoTime()) / 1_000_000L;
                    if (found == null && e.errno() == Errno.EAGAIN && left > 0
                            && waitReadable(fd, (int) left)) {
                        continue;
                    }
                    break; // EAGAIN: the end of the log
                }
                if (n <= 0) {
                    break;
                }
                String rec = new String(buf, 0, n, StandardCharsets.UTF_8);
                Matcher m = RECORD.matcher(rec);
                if (m.find() && Integer.parseInt(m.group(1)) == pid) {
                    found = name((int) Long.parseLong(m.group(2), 16), Long.parseLong(m.group(3)));
                }
            }
        } finally {
            try {
                Posix.close(fd);
            } catch (NativeCallException e) {
                // read-only fd: nothing was lost
            }
        }
        return found;
    }

    private static boolean waitReadable(int fd, int millis) {
        try {
            return Posix.pollIn(fd, millis);
        } catch (NativeCallException e) {
            return false;
        }
    }

    /** A syscall's name as a report shows it: the arch is said unless it is the native one. */
    public static String display(Arch arch, String name) {
        return arch == Arch.X86_64 ? name : name + " (" + arch.label() + ")";
    }

    public static String unknownArch(String nr, String auditHex) {
        return "syscall " + nr + " of arch 0x" + auditHex;
    }
}

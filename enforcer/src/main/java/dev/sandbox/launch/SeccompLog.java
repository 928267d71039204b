package dev.sandbox.launch;

import com.sun.jna.LastErrorException;
import dev.sandbox.jna.LibC;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names the syscall behind a seccomp kill without weakening the kill: the kernel logs every KILL_PROCESS action
 * (/proc/sys/kernel/seccomp/actions_logged) as an audit record, type 1326, that reaches the kernel log when no audit
 * daemon takes it. Reading /dev/kmsg needs CAP_SYSLOG when kernel.dmesg_restrict is 1, so this may find nothing.
 */
public final class SeccompLog {
    private static final Pattern RECORD = Pattern.compile("type=1326 .*?\\bpid=(\\d+)\\b.*?\\barch=([0-9a-f]+)\\b"
            + ".*?\\bsyscall=(\\d+)\\b");

    private SeccompLog() {}

    /** A syscall by its audit arch and number: "mkdir", "mkdir (i386)", or the numbers when the arch is foreign. */
    public static String name(int auditArch, long nr) {
        Arch arch = Arch.of(auditArch, nr);
        return arch == null ? "syscall " + nr + " of arch 0x" + Integer.toHexString(auditArch)
                : arch == Arch.X86_64 ? SyscallNames.name(arch, (int) nr)
                : SyscallNames.name(arch, (int) (nr & ~Arch.X32_SYSCALL_BIT)) + " (" + arch.label() + ")";
    }

    /** The name of the syscall that got {@code pid} killed, or null when the log cannot be read or says nothing. */
    public static String killedSyscall(int pid) {
        int fd;
        try {
            fd = LibC.open("/dev/kmsg", LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        } catch (LastErrorException e) {
            return null;
        }
        String found = null;
        try {
            byte[] buf = new byte[8192];
            for (;;) {
                long n;
                try {
                    n = LibC.read(fd, buf, buf.length);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == dev.sandbox.jna.Errno.EPIPE) {
                        continue; // /dev/kmsg: a record was overwritten while we read; go on with the next
                    }
                    break; // EAGAIN: the end of the log
                }
                if (n <= 0) {
                    break;
                }
                String rec = new String(buf, 0, (int) n, StandardCharsets.UTF_8);
                Matcher m = RECORD.matcher(rec);
                if (m.find() && Integer.parseInt(m.group(1)) == pid) {
                    found = name((int) Long.parseLong(m.group(2), 16), Long.parseLong(m.group(3)));
                }
            }
        } finally {
            try {
                LibC.close(fd);
            } catch (LastErrorException e) {
                // read-only fd: nothing was lost
            }
        }
        return found;
    }
}

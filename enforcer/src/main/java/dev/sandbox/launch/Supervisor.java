package dev.sandbox.launch;

import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibC;
import dev.sandbox.jna.NativeCallException;
import dev.sandbox.jna.Posix;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The sandbox's end of STEP_SECCOMP_NOTIFY. The filter sends each call the policy kills to a supervisor process the
 * launcher forked (native/src/launcher.c); it writes a record naming the thread, its executable and the syscall,
 * then kills the process. Here the records are read while the sandbox waits for its program, so that a violation
 * anywhere in the tree (the {@code cat} inside {@code make}) is named, without root and without the kernel log.
 *
 * The wait is a poll on a pidfd of the program and on the record pipe: the supervisor writes a record before it
 * kills, so once the program has ended every record that led to it is already in the pipe.
 */
public final class Supervisor {
    /** sizeof(struct notify_record) in plan.h */
    static final int RECORD_SIZE = 28;
    static final int NOTIFY_HELLO = 1;
    static final int NOTIFY_VIOLATION = 2;
    private static final int MAX_EXE = 4096;

    /** A refused syscall, as the supervisor saw it. */
    public record Violation(int pid, int tgid, String executable, int auditArch, int nr, int signal) {
        /** The syscall's name, with its arch when it is not x86_64. */
        public String syscall() {
            return SeccompLog.name(auditArch, nr);
        }

        /** "pid 4242 (/usr/bin/cat): copy_file_range, killed by SIGSYS" */
        public String describe() {
            return describe(Integer.toString(tgid), tgid != pid ? Integer.toString(pid) : null, executable,
                    syscall(), signal);
        }

        /** The same with every value as text (the compiled-policy cache keeps it with placeholders). */
        public static String describe(String tgid, String thread, String executable, String syscall, int signal) {
            String how = switch (signal) {
                case LibC.SIGSYS -> "killed by SIGSYS";
                case LibC.SIGKILL -> "killed by SIGKILL (it catches, blocks or ignores SIGSYS)";
                default -> "it had already ended";
            };
            return "pid " + tgid + (thread != null ? " (thread " + thread + ")" : "") + " (" + executable
                    + "): syscall " + syscall + ", " + how;
        }
    }

    private final int readFd;
    private int writeFd;
    private int supervisorPid = -1;
    private boolean reapable = true;
    private boolean eof;
    private byte[] pending = new byte[0];
    private final List<Violation> violations = new ArrayList<>();

    private Supervisor(int[] pipe) {
        this.readFd = pipe[0];
        this.writeFd = pipe[1];
    }

    /** Whether this kernel has seccomp user notification (Linux 5.0; SECCOMP_RET_USER_NOTIF). */
    public static boolean available() {
        try {
            // tokens without a regex: a first run's compile JVM asks this too, and a regex costs it milliseconds
            java.util.StringTokenizer t = new java.util.StringTokenizer(
                    Files.readString(Path.of("/proc/sys/kernel/seccomp/actions_avail")));
            while (t.hasMoreTokens()) {
                if (t.nextToken().equals("user_notif")) {
                    return true;
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    public static Supervisor open() {
        return new Supervisor(Launcher.pipe());
    }

    /** The write end, for {@link LaunchPlan#inherit}. */
    public int childEnd() {
        return writeFd;
    }

    /** After the spawn: only the launcher and its supervisor may hold the write end, or EOF never comes. */
    public void spawned() {
        if (writeFd >= 0) {
            Launcher.closeQuietly(writeFd);
            writeFd = -1;
        }
    }

    /**
     * The program runs in a pid namespace: the supervisor is a child of its init there (CLONE_PARENT from pid 2),
     * and the pids in its records are the namespace's, so its own pid is nothing we may wait for.
     */
    public void insidePidNamespace() {
        reapable = false;
    }

    public List<Violation> violations() {
        return List.copyOf(violations);
    }

    /** Waits for {@code pid} to end, collecting records meanwhile, and reaps it. */
    public ExitStatus waitFor(int pid) {
        spawned();
        int pidfd;
        try {
            pidfd = Posix.pidfdOpen(pid);
        } catch (NativeCallException e) {
            pidfd = -1; // Linux < 5.3: read records only after the exit
        }
        try {
            if (pidfd >= 0) {
                for (;;) {
                    short[] revents;
                    try {
                        revents = Posix.poll(new int[] {pidfd, eof ? -1 : readFd}, -1);
                    } catch (NativeCallException e) {
                        if (e.errno() == Errno.EINTR) {
                            continue;
                        }
                        throw e;
                    }
                    if (revents[1] != 0) {
                        drain(false);
                    }
                    if (revents[0] != 0) {
                        break;
                    }
                }
            }
            ExitStatus status = StaticRun.waitFor(pid);
            drain(true);
            return status;
        } finally {
            if (pidfd >= 0) {
                Launcher.closeQuietly(pidfd);
            }
        }
    }

    /** Ends reading; reaps the supervisor when it has gone (it stays while a process of the tree holds the filter). */
    public void close() {
        spawned();
        drain(true);
        Launcher.closeQuietly(readFd);
        if (eof && reapable && supervisorPid > 0) {
            try {
                Posix.waitpid(supervisorPid, 0); // it closed the pipe on its way out
            } catch (NativeCallException e) {
                // ECHILD: reaped already (a tracer's waitpid(-1)), or not our child
            }
        }
    }

    /** Reads what the pipe holds: once when {@code all} is false, until it is empty when true. */
    private void drain(boolean all) {
        if (eof) {
            return;
        }
        byte[] buf = new byte[65536];
        do {
            if (all && !readable()) {
                return;
            }
            int n;
            try {
                n = Posix.read(readFd, buf, buf.length);
            } catch (NativeCallException e) {
                if (e.errno() == Errno.EINTR) {
                    continue;
                }
                eof = true;
                return;
            }
            if (n <= 0) {
                eof = true;
                return;
            }
            byte[] joined = Arrays.copyOf(pending, pending.length + n);
            System.arraycopy(buf, 0, joined, pending.length, n);
            pending = parse(joined);
        } while (all);
    }

    private boolean readable() {
        try {
            return Posix.pollIn(readFd, 0);
        } catch (NativeCallException e) {
            return false;
        }
    }

    /** Takes the complete records off {@code data}; returns the rest. */
    byte[] parse(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        while (b.remaining() >= RECORD_SIZE) {
            int start = b.position();
            int kind = b.getInt();
            int pid = b.getInt();
            int tgid = b.getInt();
            int nr = b.getInt();
            int arch = b.getInt();
            int signal = b.getInt();
            int exeLen = b.getInt();
            if (exeLen < 0 || exeLen > MAX_EXE) {
                eof = true; // not our protocol: stop reading rather than guess
                return new byte[0];
            }
            if (b.remaining() < exeLen) {
                b.position(start);
                break;
            }
            byte[] exe = new byte[exeLen];
            b.get(exe);
            if (kind == NOTIFY_HELLO) {
                supervisorPid = pid;
            } else if (kind == NOTIFY_VIOLATION) {
                violations.add(new Violation(pid, tgid, exeLen == 0 ? "?" : Argv.show(exe), arch, nr, signal));
            }
        }
        return Arrays.copyOfRange(data, b.position(), data.length);
    }
}

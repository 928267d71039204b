package dev.sandbox.jna;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The glibc calls made outside the binding packages, with Java types only: no JNA type crosses this API. A failure
 * is a {@link NativeCallException} that names the call and carries errno ({@code open(/dev/tty): No such device or
 * address}). {@link LibC} is the raw binding underneath, with the error convention of each C function.
 *
 * <p>Not for the tracer's hot path: {@code trace.jna.Ptrace} reports errno there without an exception.
 */
public final class Posix {
    // <poll.h>: struct pollfd { int fd; short events; short revents; } (LayoutTest checks)
    public static final int SIZEOF_POLLFD = 8;
    public static final int POLLFD_FD = 0;
    public static final int POLLFD_EVENTS = 4;
    public static final int POLLFD_REVENTS = 6;
    // <asm-generic/termios.h>: struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; }
    public static final int SIZEOF_WINSIZE = 8;
    public static final int WINSIZE_ROW = 0;
    public static final int WINSIZE_COL = 2;
    // <sys/resource.h>: struct rusage { struct timeval ru_utime, ru_stime; long ru_maxrss (KiB); ... } (LayoutTest)
    public static final int SIZEOF_RUSAGE = 144;
    public static final int RUSAGE_RU_UTIME = 0;
    public static final int RUSAGE_RU_STIME = 16;
    public static final int RUSAGE_RU_MAXRSS = 32;
    public static final int RUSAGE_CHILDREN = -1;

    private Posix() {}

    public static int open(String path, int flags) {
        try {
            return LibC.open(path, flags);
        } catch (LastErrorException e) {
            throw LibC.failure("open(" + path + ")", e);
        }
    }

    /**
     * open(2) of a path given as bytes (not every path is a Java String); the NUL is added here. The message shows
     * the bytes as Latin-1, so that every one of them is seen.
     */
    public static int open(byte[] path, int flags) {
        try {
            return LibC.open(Arrays.copyOf(path, path.length + 1), flags);
        } catch (LastErrorException e) {
            throw LibC.failure("open(" + new String(path, StandardCharsets.ISO_8859_1) + ")", e);
        }
    }

    /** renameat(2), both names as bytes relative to their directory fds. */
    public static void renameat(int oldDirFd, byte[] oldName, int newDirFd, byte[] newName) {
        try {
            LibC.renameat(oldDirFd, Arrays.copyOf(oldName, oldName.length + 1), newDirFd,
                    Arrays.copyOf(newName, newName.length + 1));
        } catch (LastErrorException e) {
            throw LibC.failure("renameat(" + new String(oldName, StandardCharsets.ISO_8859_1) + ", "
                    + new String(newName, StandardCharsets.ISO_8859_1) + ")", e);
        }
    }

    /** pipe2(2): {read end, write end}. */
    public static int[] pipe2(int flags) {
        int[] fds = new int[2];
        try {
            LibC.pipe2(fds, flags);
        } catch (LastErrorException e) {
            throw LibC.failure("pipe2", e);
        }
        return fds;
    }

    /** socketpair(2): two connected sockets. */
    public static int[] socketpair(int domain, int type, int protocol) {
        int[] sv = new int[2];
        try {
            LibC.socketpair(domain, type, protocol, sv);
        } catch (LastErrorException e) {
            throw LibC.failure("socketpair", e);
        }
        return sv;
    }

    /** fcntl(fd, F_DUPFD_CLOEXEC, lowest): a close-on-exec copy of {@code fd} numbered {@code lowest} or above. */
    public static int dupCloexecAbove(int fd, int lowest) {
        try {
            return LibC.fcntl(fd, LibC.F_DUPFD_CLOEXEC, lowest);
        } catch (LastErrorException e) {
            throw LibC.failure("fcntl(F_DUPFD_CLOEXEC)", e);
        }
    }

    /**
     * An environment variable's value as its bytes, whatever the locale (System.getenv decodes them); null when
     * unset. getenv never fails.
     */
    public static byte[] getenv(String name) {
        Pointer p = LibC.getenv(name);
        return p == null ? null : p.getByteArray(0, (int) p.indexOf(0, (byte) 0));
    }

    public static void close(int fd) {
        try {
            LibC.close(fd);
        } catch (LastErrorException e) {
            throw LibC.failure("close(" + fd + ")", e);
        }
    }

    /** read(2) into {@code buf[0..count)}: the number of bytes read, 0 at the end. */
    public static int read(int fd, byte[] buf, int count) {
        try {
            return (int) LibC.read(fd, buf, Math.min(count, buf.length));
        } catch (LastErrorException e) {
            throw LibC.failure("read(" + fd + ")", e);
        }
    }

    /** write(2) of {@code buf[0..count)}: the number of bytes written, which may be fewer. */
    public static int write(int fd, byte[] buf, int count) {
        try {
            return (int) LibC.write(fd, buf, Math.min(count, buf.length));
        } catch (LastErrorException e) {
            throw LibC.failure("write(" + fd + ")", e);
        }
    }

    /** Whether {@code fd} has input within {@code timeoutMillis}: poll(2) on one struct pollfd for POLLIN. */
    public static boolean pollIn(int fd, int timeoutMillis) {
        Memory pfd = new Memory(SIZEOF_POLLFD);
        pfd.setInt(POLLFD_FD, fd);
        pfd.setShort(POLLFD_EVENTS, LibC.POLLIN);
        pfd.setShort(POLLFD_REVENTS, (short) 0);
        try {
            return LibC.poll(pfd, 1, timeoutMillis) > 0;
        } catch (LastErrorException e) {
            throw LibC.failure("poll(" + fd + ")", e);
        }
    }

    /**
     * poll(2) for POLLIN on each of {@code fds} (an fd of -1 is skipped by the kernel): each one's revents, nonzero
     * when it is readable, at its end or in error; all 0 on timeout.
     */
    public static short[] poll(int[] fds, int timeoutMillis) {
        Memory pfds = LibC.alloc(SIZEOF_POLLFD * fds.length);
        for (int i = 0; i < fds.length; i++) {
            pfds.setInt(i * SIZEOF_POLLFD + POLLFD_FD, fds[i]);
            pfds.setShort(i * SIZEOF_POLLFD + POLLFD_EVENTS, LibC.POLLIN);
        }
        try {
            LibC.poll(pfds, fds.length, timeoutMillis);
        } catch (LastErrorException e) {
            throw LibC.failure("poll", e);
        }
        short[] revents = new short[fds.length];
        for (int i = 0; i < fds.length; i++) {
            revents[i] = pfds.getShort(i * SIZEOF_POLLFD + POLLFD_REVENTS);
        }
        return revents;
    }

    /** pidfd_open(2) (Linux 5.3): an fd that polls readable once {@code pid} has ended. */
    public static int pidfdOpen(int pid) {
        try {
            return (int) LibC.syscall(LibC.SYS_pidfd_open, pid, 0);
        } catch (LastErrorException e) {
            throw LibC.failure("pidfd_open(" + pid + ")", e);
        }
    }

    /**
     * waitpid(2) that blocks until {@code pid} changes state: its wait status. Not for WNOHANG, where 0 would be
     * "nothing yet" and could not be told from a status.
     */
    public static int waitpid(int pid, int options) {
        if ((options & LibC.WNOHANG) != 0) {
            throw new IllegalArgumentException("waitpid with WNOHANG");
        }
        int[] status = new int[1];
        try {
            LibC.waitpid(pid, status, options);
        } catch (LastErrorException e) {
            throw LibC.failure("waitpid(" + pid + ")", e);
        }
        return status[0];
    }

    /** {user µs, system µs, max RSS KiB} of the reaped children (getrusage(RUSAGE_CHILDREN)), or null. */
    public static long[] childrenUsage() {
        Memory ru = LibC.alloc(SIZEOF_RUSAGE);
        try {
            LibC.getrusage(RUSAGE_CHILDREN, ru);
        } catch (LastErrorException e) {
            return null;
        }
        return new long[] {ru.getLong(RUSAGE_RU_UTIME) * 1_000_000 + ru.getLong(RUSAGE_RU_UTIME + 8),
            ru.getLong(RUSAGE_RU_STIME) * 1_000_000 + ru.getLong(RUSAGE_RU_STIME + 8), ru.getLong(RUSAGE_RU_MAXRSS)};
    }

    /**
     * posix_spawn(2) of {@code path} with {@code argv} and our environment, after dup2(from, to) of each pair in
     * {@code dups}, in order (a later pair's source must not be an earlier pair's target). The JVM blocks and
     * handles signals for itself; the child starts with none blocked and every one at its default, as from a shell
     * (OpenJDK's childproc does the same).
     *
     * @return the child's pid
     */
    public static int spawn(String path, String[] argv, List<int[]> dups) {
        Memory actions = LibC.alloc(LibC.SIZEOF_POSIX_SPAWN_FILE_ACTIONS);
        Memory attr = LibC.alloc(LibC.SIZEOF_POSIX_SPAWNATTR);
        Memory mask = LibC.alloc(LibC.SIZEOF_SIGSET);
        Memory defaults = LibC.alloc(LibC.SIZEOF_SIGSET);
        LibC.checkReturned("posix_spawn_file_actions_init", LibC.posix_spawn_file_actions_init(actions));
        try {
            LibC.checkReturned("posix_spawnattr_init", LibC.posix_spawnattr_init(attr));
            try {
                for (int[] d : dups) {
                    LibC.checkReturned("posix_spawn_file_actions_adddup2",
                            LibC.posix_spawn_file_actions_adddup2(actions, d[0], d[1]));
                }
                LibC.sigemptyset(mask);
                LibC.sigfillset(defaults);
                LibC.sigdelset(defaults, LibC.SIGKILL);
                LibC.sigdelset(defaults, LibC.SIGSTOP);
                LibC.checkReturned("posix_spawnattr_setsigmask", LibC.posix_spawnattr_setsigmask(attr, mask));
                LibC.checkReturned("posix_spawnattr_setsigdefault",
                        LibC.posix_spawnattr_setsigdefault(attr, defaults));
                LibC.checkReturned("posix_spawnattr_setflags", LibC.posix_spawnattr_setflags(attr,
                        (short) (LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF)));
                int[] pid = new int[1];
                LibC.checkReturned("posix_spawn(" + path + ")",
                        LibC.posix_spawn(pid, path, actions, attr, new StringArray(argv), LibC.environ()));
                return pid[0];
            } finally {
                LibC.posix_spawnattr_destroy(attr);
            }
        } finally {
            LibC.posix_spawn_file_actions_destroy(actions);
        }
    }

    public static void kill(int pid, int sig) {
        try {
            LibC.kill(pid, sig);
        } catch (LastErrorException e) {
            throw LibC.failure("kill(" + pid + ", " + sig + ")", e);
        }
    }

    /** Never fails. */
    public static int getpid() {
        return LibC.getpid();
    }

    /** Never fails. */
    public static int getpgrp() {
        return LibC.getpgrp();
    }

    /** landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION): the kernel's Landlock ABI, or -errno. */
    public static int landlockAbi() {
        try {
            return (int) LibC.syscall(LibC.SYS_landlock_create_ruleset, null, 0, 1);
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    // terminals

    /** The terminal's foreground process group. */
    public static int tcgetpgrp(int fd) {
        try {
            return LibC.tcgetpgrp(fd);
        } catch (LastErrorException e) {
            throw LibC.failure("tcgetpgrp(" + fd + ")", e);
        }
    }

    public static void tcsetpgrp(int fd, int pgrp) {
        try {
            LibC.tcsetpgrp(fd, pgrp);
        } catch (LastErrorException e) {
            throw LibC.failure("tcsetpgrp(" + fd + ", " + pgrp + ")", e);
        }
    }

    /** Discards input not yet read ({@code queue} = TCIFLUSH). */
    public static void tcflush(int fd, int queue) {
        try {
            LibC.tcflush(fd, queue);
        } catch (LastErrorException e) {
            throw LibC.failure("tcflush(" + fd + ")", e);
        }
    }

    /** The terminal's modes. */
    public static Termios tcgetattr(int fd) {
        Memory t = LibC.alloc(LibC.SIZEOF_TERMIOS);
        try {
            LibC.tcgetattr(fd, t);
        } catch (LastErrorException e) {
            throw LibC.failure("tcgetattr(" + fd + ")", e);
        }
        return new Termios(t.getByteArray(0, LibC.SIZEOF_TERMIOS));
    }

    /** Sets the terminal's modes ({@code when} = TCSANOW). */
    public static void tcsetattr(int fd, int when, Termios modes) {
        Memory t = new Memory(LibC.SIZEOF_TERMIOS);
        t.write(0, modes.bytes(), 0, LibC.SIZEOF_TERMIOS);
        try {
            LibC.tcsetattr(fd, when, t);
        } catch (LastErrorException e) {
            throw LibC.failure("tcsetattr(" + fd + ")", e);
        }
    }

    /** A terminal's size in characters. */
    public record WindowSize(int rows, int cols) {}

    /** ioctl(TIOCGWINSZ): the terminal's size; 0 rows or columns when the terminal does not know it. */
    public static WindowSize windowSize(int fd) {
        Memory ws = LibC.alloc(SIZEOF_WINSIZE);
        try {
            LibC.ioctl(fd, LibC.TIOCGWINSZ, ws);
        } catch (LastErrorException e) {
            throw LibC.failure("ioctl(" + fd + ", TIOCGWINSZ)", e);
        }
        return new WindowSize(ws.getShort(WINSIZE_ROW) & 0xffff, ws.getShort(WINSIZE_COL) & 0xffff);
    }

    // pseudo-terminals

    /** A new pseudo-terminal master (posix_openpt), not yet granted or unlocked. */
    public static int posix_openpt(int flags) {
        try {
            return LibC.posix_openpt(flags);
        } catch (LastErrorException e) {
            throw LibC.failure("posix_openpt", e);
        }
    }

    public static void grantpt(int fd) {
        try {
            LibC.grantpt(fd);
        } catch (LastErrorException e) {
            throw LibC.failure("grantpt(" + fd + ")", e);
        }
    }

    public static void unlockpt(int fd) {
        try {
            LibC.unlockpt(fd);
        } catch (LastErrorException e) {
            throw LibC.failure("unlockpt(" + fd + ")", e);
        }
    }

    /** The path of the slave of master {@code fd} (ptsname_r). */
    public static String ptsname(int fd) {
        byte[] name = new byte[128];
        LibC.checkReturned("ptsname_r(" + fd + ")", LibC.ptsname_r(fd, name, name.length));
        int len = 0;
        while (len < name.length && name[len] != 0) {
            len++;
        }
        return new String(name, 0, len, StandardCharsets.US_ASCII);
    }

    // signals

    /**
     * Blocks {@code sig} in the calling thread (pthread_sigmask(SIG_BLOCK)); the mask it had before is returned, to
     * be put back with {@link SignalMask#restore}.
     */
    public static SignalMask blockSignal(int sig) {
        Memory add = LibC.alloc(LibC.SIZEOF_SIGSET);
        Memory old = LibC.alloc(LibC.SIZEOF_SIGSET);
        LibC.sigemptyset(add);
        LibC.sigaddset(add, sig);
        LibC.checkReturned("pthread_sigmask(SIG_BLOCK, " + sig + ")", LibC.pthread_sigmask(LibC.SIG_BLOCK, add, old));
        return new SignalMask(old);
    }
}

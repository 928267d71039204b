package dev.sandbox.jna;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.nio.charset.StandardCharsets;

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

    private Posix() {}

    public static int open(String path, int flags) {
        try {
            return LibC.open(path, flags);
        } catch (LastErrorException e) {
            throw LibC.failure("open(" + path + ")", e);
        }
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

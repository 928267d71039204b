package dev.sandbox.jna;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * glibc, direct-mapped (static natives bound by {@link Native#register}): cheaper per call than interface mapping
 * and no proxy classes to load at start-up.
 *
 * Error conventions differ per function and are noted on each: "errno" functions return -1 and throw
 * {@link LastErrorException} (use {@link #check}); posix_spawn* return the error number itself.
 */
public final class LibC {
    static {
        Native.register(NativeLibrary.getInstance("c"));
    }

    // <fcntl.h> / <asm-generic/fcntl.h>
    public static final int O_RDONLY = 0;
    public static final int AF_UNIX = 1;        // <sys/socket.h>
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_CLOEXEC = 02000000;
    public static final long SYS_landlock_create_ruleset = 444; // <asm/unistd_64.h>
    public static final int O_NONBLOCK = 04000;
    public static final int O_CLOEXEC = 02000000;
    public static final int O_DIRECTORY = 0200000;
    public static final int O_PATH = 010000000;
    public static final int AT_FDCWD = -100;
    // <asm/unistd_64.h>
    public static final long SYS_pidfd_open = 434;
    // <fcntl.h> fcntl commands
    public static final int F_DUPFD_CLOEXEC = 1030;
    // <sys/mman.h>
    public static final int MFD_CLOEXEC = 1;
    // <unistd.h>
    public static final int SEEK_SET = 0;
    // <sys/wait.h>
    public static final int WNOHANG = 1;
    public static final int WUNTRACED = 2;
    public static final int __WALL = 0x40000000;
    // <spawn.h>
    public static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    public static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    // <signal.h>
    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGQUIT = 3;
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    public static final int SIGCONT = 18;
    public static final int SIGSTOP = 19;
    public static final int SIGTTIN = 21;
    public static final int SIGTTOU = 22;
    public static final int SIGWINCH = 28;
    // <signal.h>: pthread_sigmask's how
    public static final int SIG_BLOCK = 0;
    public static final int SIG_SETMASK = 2;
    public static final int SIGSYS = 31;

    // <termios.h>: struct termios is 60 bytes; c_lflag at 12, c_cc[32] at 17
    public static final int SIZEOF_TERMIOS = 60;
    public static final int TERMIOS_C_LFLAG = 12;
    public static final int TERMIOS_C_CC = 17;
    public static final int ICANON = 0x2;
    public static final int ECHO = 0x8;
    public static final int ISIG = 0x1;
    public static final int IEXTEN = 0x8000;
    public static final int VTIME = 5;
    public static final int VMIN = 6;
    public static final int TCSANOW = 0;
    public static final int TCIFLUSH = 0;
    public static final int O_RDWR = 2;
    public static final int O_NOCTTY = 0400;
    // <asm-generic/ioctls.h>: the window size; struct winsize is 4 unsigned shorts (rows, cols, xpixel, ypixel)
    public static final long TIOCGWINSZ = 0x5413;
    // <poll.h>: struct pollfd { int fd; short events; short revents; }
    public static final short POLLIN = 1;

    /** sizeof(posix_spawn_file_actions_t) = 80, sizeof(posix_spawnattr_t) = 336, sizeof(sigset_t) = 128 on glibc
     * x86_64; LayoutTest checks them against C. Allocations use these sizes. */
    public static final int SIZEOF_POSIX_SPAWN_FILE_ACTIONS = 80;
    public static final int SIZEOF_POSIX_SPAWNATTR = 336;
    public static final int SIZEOF_SIGSET = 128;

    private LibC() {}

    // errno functions: -1 and errno
    public static native int pipe2(int[] fds, int flags) throws LastErrorException;
    public static native int close(int fd) throws LastErrorException;
    public static native long read(int fd, byte[] buf, long count) throws LastErrorException;
    public static native long read(int fd, Pointer buf, long count) throws LastErrorException;
    public static native long write(int fd, byte[] buf, long count) throws LastErrorException;
    public static native long lseek(int fd, long offset, int whence) throws LastErrorException;
    public static native int open(String path, int flags) throws LastErrorException;
    /** A path as the bytes the person gave (NUL-terminated by the caller): not every path is a Java String. */
    public static native int open(byte[] path, int flags) throws LastErrorException;
    public static native int renameat(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath)
            throws LastErrorException;
    /** Never fails; null when unset. The value's bytes, whatever the locale (System.getenv decodes them). */
    public static native Pointer getenv(String name);
    public static native int memfd_create(String name, int flags) throws LastErrorException;
    public static native int waitpid(int pid, int[] status, int options) throws LastErrorException;
    public static native int kill(int pid, int sig) throws LastErrorException;
    public static native int getpid();
    public static native int getuid();
    /** getrusage(2): errno convention; who is RUSAGE_SELF 0 or RUSAGE_CHILDREN -1. */
    public static native int getrusage(int who, Pointer usage) throws LastErrorException;
    public static native int getgid();
    public static native int geteuid();
    /** AF_UNIX socketpair: the launcher's STEP_SYNC channel. */
    public static native int socketpair(int domain, int type, int protocol, int[] sv) throws LastErrorException;
    /**
     * glibc's syscall() is variadic; the calls made through it pass two or three integer or pointer arguments, which
     * the x86_64 ABI passes the same way to a variadic and a fixed function. errno convention.
     */
    public static native long syscall(long number, long a1, long a2) throws LastErrorException;
    /** The same for the three-argument calls (landlock_create_ruleset: pointer, size, flags). */
    public static native long syscall(long number, Pointer arg0, long arg1, int arg2) throws LastErrorException;
    /** fcntl is variadic in C; every use here passes one int, which the x86_64 ABI passes like a fixed argument. */
    public static native int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    // posix_spawn family: returns 0 or an error number; errno is not used
    public static native int posix_spawn(int[] pid, String path, Pointer fileActions, Pointer attr, Pointer argv,
            Pointer envp);
    public static native int posix_spawn_file_actions_init(Pointer fileActions);
    public static native int posix_spawn_file_actions_destroy(Pointer fileActions);
    public static native int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newfd);
    public static native int posix_spawnattr_init(Pointer attr);
    public static native int posix_spawnattr_destroy(Pointer attr);
    public static native int posix_spawnattr_setflags(Pointer attr, short flags);
    public static native int posix_spawnattr_setsigmask(Pointer attr, Pointer sigmask);
    public static native int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigdefault);
    public static native int sigemptyset(Pointer set);
    public static native int sigfillset(Pointer set);
    public static native int sigdelset(Pointer set, int signum);
    public static native int sigaddset(Pointer set, int signum);
    /** Returns an error number (not -1/errno); changes the calling thread's mask only. */
    public static native int pthread_sigmask(int how, Pointer set, Pointer oldset);

    // terminals: errno functions
    public static native int isatty(int fd);
    public static native int tcgetattr(int fd, Pointer termios) throws LastErrorException;
    public static native int tcsetattr(int fd, int optionalActions, Pointer termios) throws LastErrorException;
    public static native int tcflush(int fd, int queue) throws LastErrorException;
    /** The terminal's foreground process group. */
    public static native int tcgetpgrp(int fd) throws LastErrorException;
    public static native int tcsetpgrp(int fd, int pgrp) throws LastErrorException;
    public static native int getpgrp();
    /** poll on one struct pollfd; returns the number of ready fds, 0 on timeout. */
    public static native int poll(Pointer fds, long nfds, int timeoutMillis) throws LastErrorException;

    // pseudo-terminals: errno functions
    public static native int posix_openpt(int flags) throws LastErrorException;
    public static native int grantpt(int fd) throws LastErrorException;
    public static native int unlockpt(int fd) throws LastErrorException;
    /** Returns an error number (not -1/errno). */
    public static native int ptsname_r(int fd, byte[] buf, long buflen);
    /** ioctl is variadic; TIOCGWINSZ takes one pointer, passed like a fixed argument on x86_64. */
    public static native int ioctl(int fd, long request, Pointer arg) throws LastErrorException;

    // never fail
    public static native String strerror(int errnum);
    /** glibc 2.32+; null for an unknown number. */
    public static native String strerrorname_np(int errnum);

    /** The process's environment block, to hand on unchanged to the child. */
    public static Pointer environ() {
        return NativeLibrary.getInstance("c").getGlobalVariableAddress("environ").getPointer(0);
    }

    public static Memory alloc(int size) {
        Memory m = new Memory(size);
        m.clear();
        return m;
    }

    /** Turns a posix_spawn-style error number into the same exception the errno functions throw. */
    public static void checkReturned(String what, int err) {
        if (err != 0) {
            throw new NativeCallException(what, err);
        }
    }

    /** Wraps a {@link LastErrorException} as {@code what: strerror}. */
    public static NativeCallException failure(String what, LastErrorException e) {
        return new NativeCallException(what, e.getErrorCode());
    }
}

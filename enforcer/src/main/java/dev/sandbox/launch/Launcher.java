package dev.sandbox.launch;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibC;
import dev.sandbox.jna.NativeCallException;
import dev.sandbox.jna.Posix;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the native launcher with posix_spawn and hands it a plan. Not ProcessBuilder: the JDK's reaper thread would
 * waitpid() our child, and for a traced child it would swallow ptrace stops.
 *
 * The plan goes down a pipe that the child sees as fd 3 (plan.h PLAN_FD); failures come back on fd 4 (ERROR_FD),
 * which the launcher marks close-on-exec, so EOF there without a record means the program is running.
 */
public final class Launcher {
    static final int PLAN_FD = 3;
    static final int ERROR_FD = 4;
    /** Where a STEP_SECCOMP_NOTIFY supervisor writes its records (the launcher's fd; close-on-exec there). */
    public static final int REPORT_FD = 5;
    static final String LAUNCHER_ARG = "--sandbox-plan";
    /** sizeof(struct error_record) in plan.h */
    static final int ERROR_RECORD_SIZE = 12;

    private final Path launcher;

    public Launcher(Path launcher) {
        this.launcher = launcher;
    }

    /** The launcher the build made: {@code -Dsandbox.launcher}, set by ./sandbox and by the test build. */
    public static Launcher installed() {
        String prop = System.getProperty("sandbox.launcher");
        if (prop == null) {
            prop = System.getenv("SANDBOX_LAUNCHER");
        }
        if (prop == null) {
            throw new SandboxException("cannot find the native launcher: run sandbox through its ./sandbox script "
                    + "(or set -Dsandbox.launcher)", ExitCodes.REFUSED);
        }
        Path p = Path.of(prop);
        if (!Files.isExecutable(p)) {
            throw new SandboxException("cannot find the native launcher at " + p + " (build it with `mvn package`)",
                    ExitCodes.REFUSED);
        }
        return new Launcher(p);
    }

    /** A running launcher: its pid, and the read end of its error pipe. */
    public static final class Child {
        private final int pid;
        private final LaunchPlan plan;
        private int errorFd;

        Child(int pid, int errorFd, LaunchPlan plan) {
            this.pid = pid;
            this.errorFd = errorFd;
            this.plan = plan;
        }

        public int pid() {
            return pid;
        }

        void discardErrors() {
            if (errorFd >= 0) {
                closeQuietly(errorFd);
                errorFd = -1;
            }
        }

        /**
         * Blocks until the launcher has exec'd the program (EOF) or reported a failed step. Call it once; a traced
         * child must first be let run past its stop.
         *
         * @throws LaunchFailure when a step failed; the launcher then exits 125 and must still be reaped
         */
        public void awaitExec() {
            if (errorFd < 0) {
                return;
            }
            byte[] rec = new byte[ERROR_RECORD_SIZE];
            int got = 0;
            try {
                while (got < rec.length) {
                    byte[] chunk = new byte[rec.length - got];
                    int n;
                    try {
                        n = Posix.read(errorFd, chunk, chunk.length);
                    } catch (NativeCallException e) {
                        if (e.errno() == Errno.EINTR) {
                            continue;
                        }
                        throw new NativeCallException("read(launcher error pipe)", e.errno());
                    }
                    if (n <= 0) {
                        break;
                    }
                    System.arraycopy(chunk, 0, rec, got, n);
                    got += n;
                }
            } finally {
                Posix.close(errorFd);
                errorFd = -1;
            }
            if (got == 0) {
                return;
            }
            ByteBuffer b = ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN);
            int step = b.getInt();
            int index = b.getInt();
            int errno = b.getInt();
            throw new LaunchFailure(StepKind.of(step), errno, plan.programName(), plan.detailAt(index));
        }
    }

    /**
     * Runs a probe plan (steps ending in STEP_EXIT) and returns the errno of the step that failed, or 0: how
     * --best-effort learns whether the kernel grants a step before relying on it.
     */
    public int probe(LaunchPlan plan) {
        Child child = spawn(plan);
        try {
            child.awaitExec();
            return 0;
        } catch (LaunchFailure e) {
            return e.errno() == 0 ? Errno.EINVAL : e.errno();
        } finally {
            StaticRun.waitFor(child.pid());
        }
    }

    /**
     * Which of our fds 0, 1, 2 the program gets closed: those closed when the sandbox started and not given here.
     * The sandbox script opens /dev/null on a closed one (the JVM would otherwise put its own files there, and the
     * program would inherit, say, the JDK's lib/modules as its stdin) and names it in {@code sandbox.closed}.
     */
    static int[] closedAtStart(int... given) {
        int[] fds = new int[3];
        int n = 0;
        for (int fd = 0; fd < 3; fd++) {
            if (given[fd] == CLOSED || given[fd] == -1 && closedAtStart(fd)) {
                fds[n++] = fd;
            }
        }
        return java.util.Arrays.copyOf(fds, n);
    }

    /** Whether our standard fd {@code fd} was closed when the sandbox started (what is there now is a stand-in). */
    public static boolean closedAtStart(int fd) {
        return ("," + System.getProperty("sandbox.closed", "") + ",").contains("," + fd + ",");
    }

    /** For {@link #spawn(LaunchPlan, int, int, int)}: the program gets that fd closed. */
    public static final int CLOSED = -2;

    public Child spawn(LaunchPlan plan) {
        return spawn(plan, -1, -1);
    }

    /**
     * @param stdoutFd when not -1, becomes the program's stdout (a capture pipe); otherwise it inherits ours
     * @param stderrFd likewise for stderr
     */
    public Child spawn(LaunchPlan plan, int stdoutFd, int stderrFd) {
        return spawn(plan, -1, stdoutFd, stderrFd);
    }

    /**
     * @param stdinFd when not -1, becomes the program's stdin (a pty, for the screen UI); {@link #CLOSED}: none
     */
    public Child spawn(LaunchPlan plan, int stdinFd, int stdoutFd, int stderrFd) {
        byte[] bytes = plan.serialize(closedAtStart(stdinFd, stdoutFd, stderrFd));
        IsolationSteps iso = plan.isolation();
        int[] sync = null;
        if (plan.hasSync()) {
            try {
                sync = Posix.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
                for (int i = 0; i < 2; i++) {
                    if (sync[i] <= LaunchPlan.HIGHEST_FIXED_FD) {
                        int moved = Posix.dupCloexecAbove(sync[i], LaunchPlan.HIGHEST_FIXED_FD + 1);
                        Posix.close(sync[i]);
                        sync[i] = moved;
                    }
                }
            } catch (NativeCallException e) {
                if (iso != null) {
                    iso.abandon();
                }
                throw new NativeCallException("socketpair", e.errno());
            }
        }
        Child child;
        try {
            child = spawn(plan, bytes, stdinFd, stdoutFd, stderrFd, sync == null ? -1 : sync[1]);
        } catch (RuntimeException e) {
            if (sync != null) {
                closeQuietly(sync[0]);
                closeQuietly(sync[1]);
            }
            if (iso != null) {
                iso.abandon();
            }
            throw e;
        }
        if (sync != null) {
            closeQuietly(sync[1]);
            try {
                parentSync(sync[0], child, iso);
            } finally {
                closeQuietly(sync[0]);
            }
        }
        return child;
    }

    /**
     * The launcher's STEP_SYNC: it has made its user namespace and waits for one byte; meanwhile we write what only
     * the parent may (id maps, cgroup placement). When that fails the launcher is killed and reaped, and the reason
     * is ours to tell, not the launcher's.
     */
    private static void parentSync(int fd, Child child, IsolationSteps iso) {
        byte[] one = new byte[1];
        int n;
        for (;;) {
            try {
                n = Posix.read(fd, one, 1);
                break;
            } catch (NativeCallException e) {
                if (e.errno() != Errno.EINTR) {
                    n = -1;
                    break;
                }
            }
        }
        if (n != 1) {
            return; // the launcher failed before its sync step: its error record says why
        }
        try {
            iso.atSync(child.pid());
        } catch (RuntimeException e) {
            try {
                Posix.kill(child.pid(), LibC.SIGKILL);
            } catch (NativeCallException ignored) {
                // already gone
            }
            StaticRun.waitFor(child.pid());
            child.discardErrors();
            iso.abandon();
            throw e;
        }
        try {
            Posix.write(fd, one, 1);
        } catch (NativeCallException e) {
            // the launcher died meanwhile: its exit and error pipe tell
        }
    }

    private Child spawn(LaunchPlan plan, byte[] bytes, int stdinFd, int stdoutFd, int stderrFd, int syncFd) {
        int[] planPipe = pipe();
        int[] errPipe;
        try {
            errPipe = pipe();
        } catch (RuntimeException e) {
            closeQuietly(planPipe[0]);
            closeQuietly(planPipe[1]);
            throw e;
        }
        // pipe() returned fds above ERROR_FD (see pipe()), so neither dup2 overwrites the other's source.
        List<int[]> dups = new ArrayList<>();
        dups.add(new int[] {planPipe[0], PLAN_FD});
        dups.add(new int[] {errPipe[1], ERROR_FD});
        dups.addAll(plan.inherited());
        if (stdinFd >= 0) {
            dups.add(new int[] {stdinFd, 0});
        }
        if (stdoutFd >= 0) {
            dups.add(new int[] {stdoutFd, 1});
        }
        if (stderrFd >= 0) {
            dups.add(new int[] {stderrFd, 2});
        }
        // Last: a source fd numbered like the sync target (a stdio fd) has been duplicated by now.
        if (syncFd >= 0) {
            dups.add(new int[] {syncFd, plan.syncFd()});
        }
        int pid;
        try {
            try {
                pid = Posix.spawn(launcher.toString(), new String[] {launcher.toString(), LAUNCHER_ARG}, dups);
            } catch (NativeCallException e) {
                throw new SandboxException("cannot start the native launcher " + launcher + ": "
                        + Errno.describe(e.errno()), ExitCodes.REFUSED);
            }
        } catch (RuntimeException e) {
            closeQuietly(planPipe[0]);
            closeQuietly(planPipe[1]);
            closeQuietly(errPipe[0]);
            closeQuietly(errPipe[1]);
            throw e;
        }
        closeQuietly(planPipe[0]);
        closeQuietly(errPipe[1]);
        try {
            writeAll(planPipe[1], bytes);
        } finally {
            closeQuietly(planPipe[1]);
        }
        return new Child(pid, errPipe[0], plan);
    }

    /** A close-on-exec pipe whose fds are both above the launcher's fixed fds (so no dup2 clobbers another). */
    public static int[] pipe() {
        int[] fds = Posix.pipe2(LibC.O_CLOEXEC);
        fds[0] = above(fds[0]);
        fds[1] = above(fds[1]);
        return fds;
    }

    /** {@code fd}, moved above REPORT_FD if it is not already: an fd for {@link #spawn} must not be 3, 4 or 5. */
    public static int above(int fd) {
        if (fd > REPORT_FD) {
            return fd;
        }
        int moved = Posix.dupCloexecAbove(fd, REPORT_FD + 1);
        Posix.close(fd);
        return moved;
    }

    private static void writeAll(int fd, byte[] bytes) {
        int off = 0;
        while (off < bytes.length) {
            byte[] rest = off == 0 ? bytes : java.util.Arrays.copyOfRange(bytes, off, bytes.length);
            try {
                off += Posix.write(fd, rest, rest.length);
            } catch (NativeCallException e) {
                if (e.errno() == Errno.EINTR) {
                    continue;
                }
                // EPIPE: the launcher died before reading its plan; its error record and exit status tell why.
                return;
            }
        }
    }

    public static void closeQuietly(int fd) {
        try {
            Posix.close(fd);
        } catch (NativeCallException e) {
            // nothing to do: the fd is gone either way
        }
    }
}

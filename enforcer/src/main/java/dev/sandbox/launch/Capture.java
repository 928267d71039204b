package dev.sandbox.launch;

import dev.sandbox.jna.Errno;
import dev.sandbox.jna.NativeCallException;
import dev.sandbox.jna.Posix;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;

/**
 * Reads one of a program's output streams to its end, hashing all of it and keeping the beginning as text: what
 * {@code verify} does with a pipe or a pseudo-terminal it gave the program (the learner never puts one of these
 * between a program and the person's own output). A pty's master reports EIO once the last slave is closed: that is
 * its end.
 */
public final class Capture {
    private final int readFd;
    private int writeFd;
    private final Thread pump;
    private final MessageDigest digest = Stdio.sha256();
    private final ByteArrayOutputStream head = new ByteArrayOutputStream();
    private long total;

    private Capture(int readFd, int writeFd, String name) {
        this.readFd = readFd;
        this.writeFd = writeFd;
        pump = new Thread(this::copy, "sandbox-capture-" + name);
        pump.setDaemon(true);
        pump.start();
    }

    /** A new pipe: the program gets {@link #childFd()}. */
    public static Capture pipe(String name) {
        int[] fds = Launcher.pipe();
        return new Capture(fds[0], fds[1], name);
    }

    /** An fd we read from (a pty master); the program's end is made elsewhere. */
    public static Capture reading(int fd, String name) {
        return new Capture(fd, -1, name);
    }

    /** The fd the program writes to; give it to {@link Launcher#spawn(LaunchPlan, int, int, int)}. */
    public int childFd() {
        return writeFd;
    }

    /** After the spawn: our copy of the write end must go, or EOF never comes. */
    public void spawned() {
        if (writeFd >= 0) {
            Launcher.closeQuietly(writeFd);
            writeFd = -1;
        }
    }

    /** Waits for the end (every writer gone) and says what passed. */
    public Stdio.Written finish() {
        spawned();
        try {
            pump.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Stdio.written(digest, total, head.toByteArray());
    }

    private void copy() {
        byte[] buf = new byte[65536];
        try {
            for (;;) {
                int n;
                try {
                    n = Posix.read(readFd, buf, buf.length);
                } catch (NativeCallException e) {
                    if (e.errno() == Errno.EINTR) {
                        continue;
                    }
                    break; // EIO from a pty master: every slave is closed
                }
                if (n <= 0) {
                    break;
                }
                digest.update(buf, 0, n);
                if (total < Stdio.MAX_TEXT + 1) {
                    head.write(buf, 0, (int) Math.min(n, Stdio.MAX_TEXT + 1 - total));
                }
                total += n;
            }
        } finally {
            Launcher.closeQuietly(readFd);
        }
    }
}

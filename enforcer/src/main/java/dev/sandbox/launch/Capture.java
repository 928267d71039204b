package dev.sandbox.launch;

import com.sun.jna.LastErrorException;
import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibC;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One of the program's output streams, passed on unchanged to ours while its SHA-256 is taken: the fidelity check
 * compares a learning run's output with the enforced run's. Used only when the stream is not a terminal (a program
 * that sees a pipe instead of its terminal behaves differently).
 */
public final class Capture {
    private final int readFd;
    private int writeFd;
    private final Thread pump;
    private final MessageDigest digest;

    private Capture(OutputStream sink, String name) {
        int[] fds = Launcher.pipe();
        readFd = fds[0];
        writeFd = fds[1];
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        pump = new Thread(() -> copy(sink), "sandbox-capture-" + name);
        pump.setDaemon(true);
        pump.start();
    }

    public static Capture of(OutputStream sink, String name) {
        return new Capture(sink, name);
    }

    /** The fd the program writes to; give it to {@link Launcher#spawn(LaunchPlan, int, int)}. */
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

    /** Waits for EOF (every writer gone) and returns the hex SHA-256 of everything that passed. */
    public String finish() {
        spawned();
        try {
            pump.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private void copy(OutputStream sink) {
        byte[] buf = new byte[65536];
        try {
            for (;;) {
                long n;
                try {
                    n = LibC.read(readFd, buf, buf.length);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == Errno.EINTR) {
                        continue;
                    }
                    break;
                }
                if (n <= 0) {
                    break;
                }
                digest.update(buf, 0, (int) n);
                try {
                    sink.write(buf, 0, (int) n);
                    sink.flush();
                } catch (IOException e) {
                    // our own stdout is gone: keep draining so the program is not blocked on a full pipe
                }
            }
        } finally {
            Launcher.closeQuietly(readFd);
        }
    }
}

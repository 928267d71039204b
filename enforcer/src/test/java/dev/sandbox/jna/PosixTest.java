package dev.sandbox.jna;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The JNA-free API of the binding, against the real kernel: a pseudo-terminal, a missing file, the signal mask. */
class PosixTest {
    @Test
    @DisplayName("a failed call is a NativeCallException naming the call, with errno and strerror")
    void failureNamesTheCall() {
        NativeCallException e = assertThrows(NativeCallException.class,
                () -> Posix.open("/nonexistent/sandbox-posix-test", LibC.O_RDONLY | LibC.O_CLOEXEC));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("open(/nonexistent/sandbox-posix-test): No such file or directory", e.getMessage());
        NativeCallException bad = assertThrows(NativeCallException.class, () -> Posix.close(-1));
        assertEquals(Errno.EBADF, bad.errno());
    }

    @Test
    @DisplayName("a pseudo-terminal: modes read, changed to key-at-a-time and read back; input polled and read")
    void pty() {
        int master = Posix.posix_openpt(LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
        try {
            Posix.grantpt(master);
            Posix.unlockpt(master);
            String name = Posix.ptsname(master);
            assertTrue(name.startsWith("/dev/pts/"), name);
            int slave = Posix.open(name, LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
            try {
                Termios cooked = Posix.tcgetattr(slave);
                assertTrue((cooked.lflag() & LibC.ICANON) != 0, "a new pty starts canonical");
                Posix.tcsetattr(slave, LibC.TCSANOW, cooked.keyAtATime(LibC.ICANON | LibC.ECHO));
                Termios raw = Posix.tcgetattr(slave);
                assertEquals(0, raw.lflag() & (LibC.ICANON | LibC.ECHO));
                assertEquals(cooked.lflag() & LibC.ISIG, raw.lflag() & LibC.ISIG, "other modes are kept");
                assertEquals(1, raw.cc(LibC.VMIN));
                assertEquals(0, raw.cc(LibC.VTIME));

                assertFalse(Posix.pollIn(slave, 0), "nothing typed yet");
                byte[] typed = "y".getBytes(StandardCharsets.US_ASCII);
                assertEquals(1, Posix.write(master, typed, 1));
                assertTrue(Posix.pollIn(slave, 5000), "a key is there without a newline");
                byte[] got = new byte[8];
                assertEquals(1, Posix.read(slave, got, got.length));
                assertEquals('y', got[0]);

                Posix.tcsetattr(slave, LibC.TCSANOW, cooked);
                assertNotEquals(0, Posix.tcgetattr(slave).lflag() & LibC.ICANON, "the saved modes go back");
                Posix.WindowSize ws = Posix.windowSize(slave);
                assertTrue(ws.rows() >= 0 && ws.cols() >= 0);
            } finally {
                Posix.close(slave);
            }
        } finally {
            Posix.close(master);
        }
    }

    @Test
    @DisplayName("blockSignal blocks the signal in this thread, and the returned mask puts the old one back")
    void signalMask() throws Exception {
        assertFalse(blocked(LibC.SIGTTOU), "SIGTTOU must not be blocked before the test");
        SignalMask old = Posix.blockSignal(LibC.SIGTTOU);
        try {
            assertTrue(blocked(LibC.SIGTTOU), "the kernel reports SIGTTOU blocked in this thread");
        } finally {
            old.restore();
        }
        assertFalse(blocked(LibC.SIGTTOU), "restore() unblocked it");
    }

    /** From the kernel's view of the calling thread (SigBlk in /proc/thread-self/status). */
    private static boolean blocked(int sig) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
            if (line.startsWith("SigBlk:")) {
                return new BigInteger(line.substring(7).trim(), 16).testBit(sig - 1);
            }
        }
        throw new AssertionError("no SigBlk line");
    }

    @Test
    @DisplayName("Termios changes by copy: the saved modes stay what tcgetattr gave")
    void termiosByCopy() {
        byte[] bytes = new byte[LibC.SIZEOF_TERMIOS];
        bytes[LibC.TERMIOS_C_CC + LibC.VMIN] = 7;
        byte[] before = bytes.clone();
        Termios t = new Termios(bytes).withLflag(LibC.ICANON | LibC.ECHO | LibC.ISIG | LibC.IEXTEN);
        Termios raw = t.keyAtATime(LibC.ICANON | LibC.ECHO);
        assertEquals(LibC.ISIG | LibC.IEXTEN, raw.lflag());
        assertEquals(1, raw.cc(LibC.VMIN));
        assertEquals(LibC.ICANON | LibC.ECHO | LibC.ISIG | LibC.IEXTEN, t.lflag());
        assertEquals(7, t.cc(LibC.VMIN));
        assertArrayEquals(before, bytes, "the array handed in is not changed either");
        assertThrows(IllegalArgumentException.class, () -> new Termios(new byte[3]));
    }
}

package dev.sandbox.screen;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.sandbox.jna.LibC;
import java.nio.charset.StandardCharsets;

/**
 * A pseudo-terminal for the traced program in screen mode: the program gets the slave as stdin, stdout and stderr
 * (so it behaves as on a terminal), and the screen reads the master into its output pane.
 */
final class Pty implements AutoCloseable {
    final int master;
    int slave;

    private Pty(int master, int slave) {
        this.master = master;
        this.slave = slave;
    }

    static Pty open(int rows, int cols) {
        try {
            int m = LibC.posix_openpt(LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
            LibC.grantpt(m);
            LibC.unlockpt(m);
            byte[] name = new byte[128];
            int err = LibC.ptsname_r(m, name, name.length);
            LibC.checkReturned("ptsname_r", err);
            int len = 0;
            while (len < name.length && name[len] != 0) {
                len++;
            }
            int s = LibC.open(new String(name, 0, len, StandardCharsets.US_ASCII),
                    LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
            Pty p = new Pty(m, s);
            p.resize(rows, cols);
            return p;
        } catch (LastErrorException e) {
            throw LibC.failure("opening a pseudo-terminal", e);
        }
    }

    void resize(int rows, int cols) {
        Memory ws = new Memory(8);
        ws.setShort(0, (short) rows);
        ws.setShort(2, (short) cols);
        ws.setShort(4, (short) 0);
        ws.setShort(6, (short) 0);
        try {
            LibC.ioctl(master, LibC.TIOCSWINSZ, ws);
        } catch (LastErrorException e) {
            // a size the program cannot see is cosmetic
        }
    }

    /** After the spawn: only the program may hold the slave, or the master never sees the end. */
    void closeSlave() {
        if (slave >= 0) {
            LibC.close(slave);
            slave = -1;
        }
    }

    @Override
    public void close() {
        closeSlave();
        try {
            LibC.close(master);
        } catch (LastErrorException e) {
            // already gone
        }
    }
}

package dev.sandbox.jna;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A terminal's modes (struct termios) as {@link Posix#tcgetattr} read them: a copy in Java memory, changed by copy.
 * Only the fields the sandbox changes have accessors; the rest is carried as the kernel gave it.
 */
public final class Termios {
    private final byte[] bytes;

    Termios(byte[] bytes) {
        if (bytes.length != LibC.SIZEOF_TERMIOS) {
            throw new IllegalArgumentException("struct termios is " + LibC.SIZEOF_TERMIOS + " bytes");
        }
        this.bytes = bytes;
    }

    byte[] bytes() {
        return bytes;
    }

    /** {@code c_lflag}: ICANON, ECHO, ISIG, IEXTEN, ... */
    public int lflag() {
        return ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).getInt(LibC.TERMIOS_C_LFLAG);
    }

    public Termios withLflag(int lflag) {
        byte[] b = bytes.clone();
        ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).putInt(LibC.TERMIOS_C_LFLAG, lflag);
        return new Termios(b);
    }

    /** {@code c_cc[index]} (VMIN, VTIME, ...). */
    public int cc(int index) {
        return bytes[LibC.TERMIOS_C_CC + index] & 0xff;
    }

    public Termios withCc(int index, int value) {
        byte[] b = bytes.clone();
        b[LibC.TERMIOS_C_CC + index] = (byte) value;
        return new Termios(b);
    }

    /**
     * Key-at-a-time input: {@code lflagOff} (at least ICANON and ECHO) cleared, and a read returns as soon as one
     * byte is there (VMIN 1, VTIME 0). Every other mode is kept.
     */
    public Termios keyAtATime(int lflagOff) {
        return withLflag(lflag() & ~lflagOff).withCc(LibC.VMIN, 1).withCc(LibC.VTIME, 0);
    }
}

package dev.sandbox.jna;

/** A failed C call, worded like {@code ptrace(PTRACE_SEIZE, 4242): Operation not permitted}. */
public final class NativeCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public NativeCallException(String call, int errno) {
        super(call + ": " + LibC.strerror(errno));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}

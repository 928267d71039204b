package dev.sandbox.error;

/** The exit-code table of DESIGN.md and the README; the conventions of env, timeout and docker run. */
public final class ExitCodes {
    /** The sandbox itself refused: bad option, invalid policy, a launch step the kernel rejected. */
    public static final int REFUSED = 125;
    /** The program exists but could not be executed. */
    public static final int NOT_EXECUTABLE = 126;
    /** The program was not found. */
    public static final int NOT_FOUND = 127;
    /** Added to the signal number when the program died of a signal. */
    public static final int SIGNAL_BASE = 128;

    private ExitCodes() {}
}

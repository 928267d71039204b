package dev.sandbox.launch;

import dev.sandbox.error.ExitCodes;

/** A decoded wait status of a program that ended (<sys/wait.h> WIFEXITED / WIFSIGNALED). */
public record ExitStatus(int code, int signal, boolean coreDumped) {
    public static ExitStatus decode(int status) {
        int sig = status & 0x7f;
        if (sig == 0) {
            return new ExitStatus((status >> 8) & 0xff, 0, false);
        }
        return new ExitStatus(-1, sig, (status & 0x80) != 0);
    }

    public boolean signaled() {
        return signal != 0;
    }

    /** The sandbox's own exit code for this ending: the program's code, or 128+N for signal N. */
    public int sandboxExitCode() {
        return signaled() ? ExitCodes.SIGNAL_BASE + signal : code;
    }

    public String describe() {
        return signaled() ? "killed by " + Signals.name(signal) + (coreDumped ? " (core dumped)" : "")
                : "exited with status " + code;
    }
}

package dev.sandbox.policy;

import dev.sandbox.jna.Errno;
import java.util.Locale;

/**
 * What a refused syscall gets.
 *
 * @param kind  kill (SIGSYS, the whole process, uncatchable), errno (the call fails), trap (a catchable SIGSYS),
 *              log (the kernel logs the call and lets it run)
 * @param errno for {@link Kind#ERRNO}: the error number the call returns; 0 otherwise
 */
public record Action(Kind kind, int errno) {
    public enum Kind {
        KILL, ERRNO, TRAP, LOG;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final Action KILL = new Action(Kind.KILL, 0);

    public static Action errno(int errno) {
        return new Action(Kind.ERRNO, errno);
    }

    // Written out, not generated: see SyscallRef.equals.
    @Override
    public boolean equals(Object o) {
        return o instanceof Action a && kind == a.kind && errno == a.errno;
    }

    @Override
    public int hashCode() {
        return 31 * kind.hashCode() + errno;
    }

    public String describe() {
        return kind == Kind.ERRNO ? "errno " + Errno.name(errno) : kind.label();
    }
}

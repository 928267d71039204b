package dev.sandbox.policy;

import java.util.Locale;

/**
 * What happens to a syscall: it runs (allow), or runs and the kernel logs it (log), or it is refused: fails with an
 * errno (the program goes on), a catchable SIGSYS (trap), or the whole process dies of SIGSYS (kill). A policy's
 * {@code action} and its rules take one of the four non-allow kinds; {@link Policy#actionFor} answers any of the five.
 *
 * @param kind  the kind, in order of severity: a merge keeps the most severe treatment of a syscall
 * @param errno for {@link Kind#ERRNO}: the error number the call returns; 0 otherwise
 */
public record Action(Kind kind, int errno) {
    public enum Kind {
        ALLOW, LOG, ERRNO, TRAP, KILL;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final Action ALLOW = new Action(Kind.ALLOW, 0);
    public static final Action LOG = new Action(Kind.LOG, 0);
    public static final Action TRAP = new Action(Kind.TRAP, 0);
    public static final Action KILL = new Action(Kind.KILL, 0);
    public static final Action EPERM = errno(ErrnoName.EPERM);
    public static final Action ENOSYS = errno(ErrnoName.ENOSYS);

    public Action {
        if (kind == Kind.ERRNO ? errno < 1 || errno > ErrnoName.MAX : errno != 0) {
            throw new IllegalArgumentException("errno " + errno + " with action " + kind.label());
        }
    }

    public static Action errno(int errno) {
        return new Action(Kind.ERRNO, errno);
    }

    public static Action of(Kind kind) {
        return switch (kind) {
            case ALLOW -> ALLOW;
            case LOG -> LOG;
            case ERRNO -> EPERM;
            case TRAP -> TRAP;
            case KILL -> KILL;
        };
    }

    /** Whether the syscall does not run: errno, trap or kill. */
    public boolean refuses() {
        return kind == Kind.ERRNO || kind == Kind.TRAP || kind == Kind.KILL;
    }

    /** The more severe of two treatments (for two errnos, this one). */
    public Action severest(Action other) {
        return other.kind.compareTo(kind) > 0 ? other : this;
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
        return kind == Kind.ERRNO ? "errno " + ErrnoName.of(errno) : kind.label();
    }
}

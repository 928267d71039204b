package dev.sandbox.policy;

import dev.sandbox.syscall.Arch;

/**
 * A syscall as a policy names it: {@code "openat"} means x86_64; {@code "i386:mkdir"} names a syscall made through
 * the i386 entry ({@code int $0x80}), which is refused unless a policy names it that way.
 */
public record SyscallRef(Arch arch, String name) implements Comparable<SyscallRef> {
    public static SyscallRef parse(String text) {
        int colon = text.indexOf(':');
        if (colon > 0) {
            Arch arch = Arch.byLabel(text.substring(0, colon));
            if (arch != null) {
                return new SyscallRef(arch, text.substring(colon + 1));
            }
        }
        return new SyscallRef(Arch.X86_64, text);
    }

    private static final SyscallRef[][] BY_NUMBER = new SyscallRef[Arch.values().length][1024];

    /** The (shared) ref for syscall {@code nr} of {@code arch}: the tracer's per-stop lookup allocates nothing. */
    public static SyscallRef of(Arch arch, int nr) {
        if (nr < 0 || nr >= BY_NUMBER[0].length) {
            return new SyscallRef(arch, dev.sandbox.syscall.SyscallNames.name(arch, nr));
        }
        SyscallRef r = BY_NUMBER[arch.ordinal()][nr];
        if (r == null) {
            r = new SyscallRef(arch, dev.sandbox.syscall.SyscallNames.name(arch, nr));
            BY_NUMBER[arch.ordinal()][nr] = r;
        }
        return r;
    }

    /** The text form a policy file uses. */
    @Override
    public String toString() {
        return arch == Arch.X86_64 ? name : arch.label() + ":" + name;
    }

    // equals and hashCode written out: a record's generated ones bootstrap through invokedynamic on first use and
    // spin method-handle classes, milliseconds of every enforcing start-up (bench/startup.sh).
    @Override
    public boolean equals(Object o) {
        return o instanceof SyscallRef r && arch == r.arch && name.equals(r.name);
    }

    @Override
    public int hashCode() {
        return 31 * arch.hashCode() + name.hashCode();
    }

    @Override
    public int compareTo(SyscallRef o) {
        int c = arch.compareTo(o.arch);
        return c != 0 ? c : name.compareTo(o.name);
    }
}

package dev.sandbox.policy;

import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;

/**
 * A syscall as a policy names it: {@code "openat"} means x86_64; {@code "i386:mkdir"} names a syscall made through
 * the i386 entry ({@code int $0x80}), which is refused unless a policy names it that way.
 *
 * A number the tables have no name for is written as its decimal number ({@code "1000"}): the learner saves what a
 * program called even when libseccomp does not know it (a syscall newer than the library, or none at all), and the
 * loader accepts exactly that form. Only x86_64 numbers from 0 to 0x3fffffff can be written; anything else (i386
 * numbers without a name, x32, negative numbers) is not a syscall a filter can name and is always refused.
 */
public record SyscallRef(Arch arch, String name) implements Comparable<SyscallRef> {
    /** The highest number a native x86_64 syscall can have: bit 30 marks x32, bit 31 and up are not syscalls. */
    public static final int MAX_NUMBER = Arch.X32_SYSCALL_BIT - 1;

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

    /**
     * The (shared) ref for syscall {@code nr} of {@code arch}: the tracer's per-stop lookup allocates nothing. A
     * number without a name becomes its decimal form.
     */
    public static SyscallRef of(Arch arch, int nr) {
        if (nr < 0 || nr >= BY_NUMBER[0].length) {
            return fresh(arch, nr);
        }
        SyscallRef r = BY_NUMBER[arch.ordinal()][nr];
        if (r == null) {
            r = fresh(arch, nr);
            BY_NUMBER[arch.ordinal()][nr] = r;
        }
        return r;
    }

    private static SyscallRef fresh(Arch arch, int nr) {
        String name = nr < 0 ? null : SyscallNames.nameOrNull(arch, nr);
        return new SyscallRef(arch, name != null ? name : Integer.toString(nr));
    }

    /** Whether this names a syscall by its number, because no table knows a name for it. */
    public boolean numeric() {
        return !name.isEmpty() && (Character.isDigit(name.charAt(0)) || name.charAt(0) == '-');
    }

    /**
     * The syscall's number on its arch (without the x32 bit), or -1 when it has none there. A numeric ref outside
     * 0..{@link #MAX_NUMBER} answers {@link Integer#MIN_VALUE}: no filter rule can name it.
     */
    public int number() {
        if (numeric()) {
            try {
                long n = Long.parseLong(name);
                return n >= 0 && n <= MAX_NUMBER ? (int) n : Integer.MIN_VALUE;
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return SyscallNames.number(arch, name);
    }

    /** Whether a policy file can name this: a known name of x86_64 or i386, or an unnamed x86_64 number. */
    public boolean writable() {
        if (arch == Arch.X32) {
            return false;
        }
        if (numeric()) {
            int n = number();
            return arch == Arch.X86_64 && n >= 0 && SyscallNames.nameOrNull(arch, n) == null;
        }
        return SyscallNames.known(arch, name);
    }

    /**
     * The syscall this is, whatever entry it came through: {@code i386:ptrace} is ptrace. The x86_64 syscall of
     * the same name, or this ref when x86_64 has none (i386-only syscalls such as socketcall, and numbers).
     */
    public SyscallRef identity() {
        if (arch == Arch.X86_64 || numeric() || !SyscallNames.known(Arch.X86_64, name)) {
            return this;
        }
        return new SyscallRef(Arch.X86_64, name);
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

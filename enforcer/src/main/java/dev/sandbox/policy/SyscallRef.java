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

    /** The text form a policy file uses. */
    @Override
    public String toString() {
        return arch == Arch.X86_64 ? name : arch.label() + ":" + name;
    }

    @Override
    public int compareTo(SyscallRef o) {
        int c = arch.compareTo(o.arch);
        return c != 0 ? c : name.compareTo(o.name);
    }
}

package dev.sandbox.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FamiliesTest {
    @Test
    @DisplayName("a learned member brings its siblings; unrelated syscalls bring nothing")
    void widen() {
        assertEquals(Set.of("openat", "open", "openat2"), Families.widen(Set.of("openat")));
        assertTrue(Families.widen(Set.of("clone")).contains("clone3"));
        assertTrue(Families.widen(Set.of("newfstatat")).containsAll(List.of("stat", "lstat", "statx", "fstat")));
        assertEquals(Set.of("getpid"), Families.widen(Set.of("getpid")));
    }

    @Test
    @DisplayName("every name in the table is an x86_64 syscall libseccomp knows")
    void namesAreReal() {
        for (List<String> family : Families.TABLE) {
            for (String s : family) {
                assertTrue(SyscallNames.known(Arch.X86_64, s), s);
            }
        }
    }
}

package dev.sandbox.jna;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sandbox.policy.ErrnoName;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ErrnoNameTest {
    @Test
    @DisplayName("the policy package's errno table is glibc's (strerrorname_np), number for number")
    void sameAsGlibc() {
        for (int i = 1; i <= 200; i++) {
            String glibc = LibC.strerrorname_np(i);
            assertEquals(glibc != null ? glibc : "errno " + i, ErrnoName.of(i), "errno " + i);
            if (glibc != null) {
                assertEquals(i, ErrnoName.number(glibc));
            }
        }
        assertEquals(Errno.EPERM, ErrnoName.EPERM);
        assertEquals(Errno.ENOSYS, ErrnoName.ENOSYS);
        assertEquals(Errno.MAX, ErrnoName.MAX);
    }
}

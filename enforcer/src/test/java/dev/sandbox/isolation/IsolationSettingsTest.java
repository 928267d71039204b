package dev.sandbox.isolation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Parsing of the isolation options' values: the messages are what a person sees after "sandbox: ". */
class IsolationSettingsTest {
    @Test
    @DisplayName("sizes take K/M/G suffixes in powers of 1024")
    void sizes() {
        assertEquals(256L << 20, Sizes.parse("256M"));
        assertEquals(1L << 30, Sizes.parse("1g"));
        assertEquals(4096, Sizes.parse("4096"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("12X"));
    }

    @Test
    @DisplayName("--rlimit NAME=SOFT[:HARD]: hard defaults to soft, unlimited is RLIM_INFINITY, bad names are named")
    void rlimits() {
        assertEquals(new Rlimit("nofile", 7, 64, 64), Rlimit.parse("nofile=64"));
        assertEquals(new Rlimit("as", 9, 1L << 20, Rlimit.INFINITY), Rlimit.parse("as=1M:unlimited"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rlimit.parse("files=3"));
        assertTrue(e.getMessage().startsWith("--rlimit files=3: unknown limit \"files\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Rlimit.parse("nofile=10:5"));
    }

    @Test
    @DisplayName("--bind SRC[:DST] with absolute paths; DST defaults to SRC")
    void mounts() {
        assertEquals(new Mount(Mount.Kind.BIND, "/a", "/a"), Mount.parse(Mount.Kind.BIND, "/a"));
        assertEquals(new Mount(Mount.Kind.RO_BIND, "/a", "/b/c"), Mount.parse(Mount.Kind.RO_BIND, "/a:/b//c/"));
        assertThrows(IllegalArgumentException.class, () -> Mount.parse(Mount.Kind.TMPFS, "tmp"));
    }

    @Test
    @DisplayName("namespaces and capabilities by name; unknown ones are refused with the list")
    void namesAndCaps() {
        Isolation iso = Isolation.none().unshare("user,pid,mnt").capAdd("net_bind_service,CAP_SYS_TIME");
        assertEquals(Set.of(Namespace.USER, Namespace.PID, Namespace.MOUNT), iso.namespaces());
        assertEquals((1L << 10) | (1L << 25), iso.capsKept());
        assertEquals("CAP_NET_BIND_SERVICE,CAP_SYS_TIME", Capabilities.names(iso.capsKept()));
        iso.capDrop("CAP_SYS_TIME");
        assertEquals(1L << 10, iso.capsKept());
        iso.capDrop("ALL");
        assertEquals(0, iso.capsKept());
        assertThrows(IllegalArgumentException.class, () -> Isolation.none().unshare("users"));
        assertThrows(IllegalArgumentException.class, () -> Isolation.none().capAdd("CAP_FLY"));
        assertEquals(Capabilities.NAMES.size() - 1, 40, "CAP_CHECKPOINT_RESTORE is 40 in <linux/capability.h>");
    }

    @Test
    @DisplayName("the kernel's last capability is read whole (not just the first byte of cap_last_cap)")
    void lastCap() {
        assertTrue(Capabilities.lastCap() >= 36, Integer.toString(Capabilities.lastCap()));
    }

    @Test
    @DisplayName("what an older Landlock ABI cannot restrict is said in words; nothing on the newest")
    void landlockGaps() {
        assertEquals(3, Landlock.unenforced(1).size());
        assertTrue(String.join("; ", Landlock.unenforced(2)).contains("truncating files outside the rw trees (ABI 3)"));
        assertTrue(String.join("; ", Landlock.unenforced(4)).contains("ioctl on device files (ABI 5)"));
        assertEquals(java.util.List.of(), Landlock.unenforced(5));
    }
}

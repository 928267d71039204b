package dev.sandbox.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DecoderTest {
    @Test
    @DisplayName("open flags read as strace prints them")
    void openFlags() {
        assertEquals("O_RDONLY", Decoder.openFlags(0));
        assertEquals("O_RDONLY|O_CLOEXEC", Decoder.openFlags(02000000));
        assertEquals("O_WRONLY|O_CREAT|O_TRUNC", Decoder.openFlags(01 | 0100 | 01000));
        assertEquals("O_RDWR|O_DIRECTORY|0x80000000", Decoder.openFlags(02 | 0200000 | 0x80000000L));
    }

    @Test
    @DisplayName("clone flags name the bits and the exit signal")
    void cloneFlags() {
        assertEquals("CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD", Decoder.cloneFlags(0x01200011));
        assertEquals("CLONE_VM|CLONE_VFORK|SIGCHLD", Decoder.cloneFlags(0x4111));
        assertEquals("0", Decoder.cloneFlags(0));
    }

    @Test
    @DisplayName("every x86_64 syscall libseccomp knows has its arguments in the table, at most six")
    void everySyscallHasItsArity() {
        for (String name : SyscallNames.all(Arch.X86_64)) {
            int n = Decoder.arity(name);
            assertTrue(n >= 0 && n <= 6, name + " has no line in arguments.tsv (or too many arguments)");
        }
    }

    @Test
    @DisplayName("arguments are shown with the syscall's real arity: getuid none, personality one, statfs a path")
    void realArity() {
        assertEquals(0, Decoder.arity("getuid"));
        assertEquals(1, Decoder.arity("personality"));
        assertEquals(Decoder.Kind.PATH, Decoder.kind("statfs", 0));
        int self = (int) ProcessHandle.current().pid();
        byte[] path = "/etc/hosts\0".getBytes(StandardCharsets.UTF_8);
        Memory m = new Memory(path.length);
        m.write(0, path, 0, path.length);
        long addr = com.sun.jna.Pointer.nativeValue(m);
        Decoder d = new Decoder();
        assertEquals("getuid()", d.decode(self, call("getuid", 0, 0)));
        assertEquals("personality(0xffffffff)", d.decode(self, call("personality", 0xffffffffL, 0)));
        assertEquals("statfs(\"/etc/hosts\", 0x1000)", d.decode(self, call("statfs", addr, 0x1000)));
        assertEquals("chroot(\"/etc/hosts\")", d.decode(self, call("chroot", addr, 0)));
        assertEquals("umount2(\"/etc/hosts\", 0x2)", d.decode(self, call("umount2", addr, 2)));
    }

    @Test
    @DisplayName("a call through the i386 ABI shows raw arguments only")
    void foreignArch() {
        SyscallInfo i386 = new SyscallInfo(1, Arch.I386, 39, new long[] {0x10, 0x1ed, 0, 0, 0, 0}, 0, 0);
        assertEquals("mkdir(0x10, 0x1ed)", new Decoder().decode(1, i386));
    }

    private static SyscallInfo call(String name, long a0, long a1) {
        return new SyscallInfo(1, Arch.X86_64, SyscallNames.number(Arch.X86_64, name), new long[] {a0, a1, 0, 0, 0, 0},
                0, 0);
    }
}

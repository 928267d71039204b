package dev.sandbox.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}

package dev.sandbox.launch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.jna.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Arguments, PATH entries and supervisor records as bytes: the pure parts. */
class BytesTest {
    @Test
    @DisplayName("show: UTF-8 as text, other bytes as \\xNN, control characters escaped")
    void show() {
        assertEquals("f\\xff.txt", Argv.show(new byte[] {'f', (byte) 0xff, '.', 't', 'x', 't'}));
        assertEquals("a\\x1b[2Jb\\n", Argv.show("a\u001b[2Jb\n".getBytes(StandardCharsets.UTF_8)));
        Argv a = Argv.ofBytes(List.of("/bin/echo".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0xc3}));
        assertFalse(a.utf8());
        assertEquals("/bin/echo \\xc3", a.display());
        assertTrue(Argv.of(List.of("ls", "-la")).utf8());
        assertEquals(Argv.of(List.of("ls")), Argv.ofBytes(List.of(new byte[] {'l', 's'})));
    }

    @Test
    @DisplayName("/proc/self/cmdline splits into NUL-terminated words, an unterminated last word included")
    void cmdline() {
        List<byte[]> w = RawArgs.split("java\0-jar\0x.jar\0caf\u00e9\0".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(4, w.size());
        assertArrayEquals(new byte[] {'c', 'a', 'f', (byte) 0xe9}, w.get(3));
        assertEquals(2, RawArgs.split("a\0b".getBytes(StandardCharsets.US_ASCII)).size());
    }

    @Test
    @DisplayName("PATH entries keep empty ones (the current directory), as execvp does")
    void pathEntries() {
        List<byte[]> e = ProgramPath.entries(":/bin::/usr/bin".getBytes(StandardCharsets.US_ASCII));
        assertEquals(4, e.size());
        assertEquals(0, e.get(0).length);
        assertEquals(0, e.get(2).length);
    }

    @Test
    @DisplayName("supervisor records are read whole even when a read splits them")
    void records() {
        byte[] exe = "/usr/bin/cat".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(2 * Supervisor.RECORD_SIZE + exe.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(Supervisor.NOTIFY_HELLO).putInt(77).putInt(0).putInt(0).putInt(0).putInt(0).putInt(0);
        b.putInt(Supervisor.NOTIFY_VIOLATION).putInt(101).putInt(100).putInt(326).putInt(0xc000003e)
                .putInt(LibC.SIGSYS).putInt(exe.length).put(exe);
        byte[] all = b.array();
        Supervisor s = Supervisor.open();
        try {
            byte[] rest = s.parse(java.util.Arrays.copyOf(all, 40));
            assertEquals(12, rest.length);
            byte[] joined = new byte[rest.length + all.length - 40];
            System.arraycopy(rest, 0, joined, 0, rest.length);
            System.arraycopy(all, 40, joined, rest.length, all.length - 40);
            assertEquals(0, s.parse(joined).length);
            Supervisor.Violation v = s.violations().get(0);
            assertEquals("copy_file_range", v.syscall());
            assertEquals("pid 100 (thread 101) (/usr/bin/cat): syscall copy_file_range, killed by SIGSYS",
                    v.describe());
        } finally {
            s.close();
        }
    }
}

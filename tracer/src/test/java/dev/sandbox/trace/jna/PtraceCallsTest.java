package dev.sandbox.trace.jna;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibC;
import dev.sandbox.jna.NativeCallException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The error conventions of the tracer's binding, against the real kernel: the loop's calls give -errno, the
 * once-per-run calls a NativeCallException worded like the C call. (The success paths run in every learner test.)
 */
class PtraceCallsTest {
    /** A pid that was just in use and is now gone (the kernel does not hand it out again at once). */
    private static int goneProcess() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return (int) p.pid();
    }

    @Test
    @DisplayName("the loop's calls return -errno instead of throwing")
    void loopCallsReturnErrno() throws Exception {
        int gone = goneProcess();
        assertEquals(-Errno.ESRCH, Ptrace.ptrace(Ptrace.PTRACE_CONT, gone, 0, 0));
        assertEquals(-Errno.ESRCH, Ptrace.kill(gone, 0));
        assertEquals(0, Ptrace.kill((int) ProcessHandle.current().pid(), 0));
        StopBuffers stops = new StopBuffers();
        assertEquals(-Errno.ECHILD, stops.waitpid(gone, LibC.WNOHANG | LibC.__WALL));
        assertEquals(-Errno.ESRCH, stops.getSyscallInfo(gone));
        assertEquals(-Errno.ESRCH, stops.eventMessage(gone));
    }

    @Test
    @DisplayName("seizing a process that is gone names the call: ptrace(PTRACE_SEIZE, pid): No such process")
    void seizeFailureNamesTheCall() throws Exception {
        int gone = goneProcess();
        NativeCallException e = assertThrows(NativeCallException.class, () -> Ptrace.seize(gone, 0));
        assertEquals(Errno.ESRCH, e.errno());
        assertEquals("ptrace(PTRACE_SEIZE, " + gone + "): No such process", e.getMessage());
    }

    @Test
    @DisplayName("process_vm_readv reads a live process's memory, as much as asked, and gives null when unmapped")
    void traceeMemory() throws Exception {
        // glibc's first mapping in this process starts with its ELF header.
        long libc = -1;
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 6 && f[2].equals("00000000") && f[5].contains("/libc.so")) {
                libc = Long.parseUnsignedLong(f[0].substring(0, f[0].indexOf('-')), 16);
                break;
            }
        }
        assertNotEquals(-1, libc, "no libc mapping in /proc/self/maps");
        int self = (int) ProcessHandle.current().pid();
        TraceeMemory memory = new TraceeMemory(64);
        assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, memory.read(self, libc, 4));
        assertEquals(64, memory.read(self, libc, 1000).length, "never more than the capacity");
        assertNull(memory.read(self, 0, 8), "page 0 is not mapped");
        assertNull(memory.read(goneProcess(), libc, 8), "the process is gone");
    }
}

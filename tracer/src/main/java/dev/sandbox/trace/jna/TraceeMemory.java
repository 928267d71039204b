package dev.sandbox.trace.jna;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/**
 * Reads a tracee's memory with process_vm_readv (one local and one remote {@code struct iovec}), through buffers
 * reused from call to call. Used to show arguments (paths, strings), never on the silent path. Not thread-safe.
 */
public final class TraceeMemory {
    /** sizeof(struct iovec) <sys/uio.h>: { void *iov_base; size_t iov_len; } (LayoutTest checks). */
    public static final int SIZEOF_IOVEC = 16;
    public static final int IOVEC_BASE = 0;
    public static final int IOVEC_LEN = 8;

    private final int capacity;
    private final Memory local;
    private final Memory localIov = new Memory(SIZEOF_IOVEC);
    private final Memory remoteIov = new Memory(SIZEOF_IOVEC);

    /** @param capacity the most one {@link #read} returns */
    public TraceeMemory(int capacity) {
        this.capacity = capacity;
        this.local = new Memory(capacity);
        localIov.setPointer(IOVEC_BASE, local);
    }

    /**
     * Up to {@code len} bytes (at most the capacity) at {@code addr} in task {@code pid}; fewer if the mapping ends
     * first, null if nothing could be read (unmapped, or the task is gone).
     */
    public byte[] read(int pid, long addr, int len) {
        int want = Math.min(len, capacity);
        localIov.setLong(IOVEC_LEN, want);
        remoteIov.setLong(IOVEC_BASE, addr);
        remoteIov.setLong(IOVEC_LEN, want);
        try {
            long n = Ptrace.C.process_vm_readv(pid, localIov, 1, remoteIov, 1, 0);
            return n <= 0 ? null : local.getByteArray(0, (int) n);
        } catch (LastErrorException e) {
            return null;
        }
    }
}

package dev.sandbox.seccomp;

/** A compiled classic-BPF seccomp program: {@code struct sock_filter[]} as the kernel takes it. */
public record BpfProgram(byte[] bytes) {
    /** sizeof(struct sock_filter) <linux/filter.h> */
    public static final int INSTRUCTION_SIZE = 8;

    public int instructions() {
        return bytes.length / INSTRUCTION_SIZE;
    }
}

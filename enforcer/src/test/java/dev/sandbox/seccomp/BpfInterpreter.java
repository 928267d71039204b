package dev.sandbox.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Runs a classic-BPF seccomp program on one {@code struct seccomp_data}, as the kernel does (net/core/filter.c,
 * kernel/seccomp.c), so a test can ask a compiled filter what it answers for any syscall without loading it. Every
 * instruction seccomp accepts is implemented; anything else fails the test.
 */
final class BpfInterpreter {
    // <linux/bpf_common.h>
    private static final int BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03, BPF_ALU = 0x04,
            BPF_JMP = 0x05, BPF_RET = 0x06, BPF_MISC = 0x07;
    private static final int BPF_W = 0x00, BPF_ABS = 0x20, BPF_IMM = 0x00, BPF_MEM = 0x60, BPF_LEN = 0x80;
    private static final int BPF_K = 0x00, BPF_X = 0x08, BPF_A = 0x10;
    private static final int BPF_ADD = 0x00, BPF_SUB = 0x10, BPF_MUL = 0x20, BPF_DIV = 0x30, BPF_OR = 0x40,
            BPF_AND = 0x50, BPF_LSH = 0x60, BPF_RSH = 0x70, BPF_NEG = 0x80, BPF_MOD = 0x90, BPF_XOR = 0xa0;
    private static final int BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JGT = 0x20, BPF_JGE = 0x30, BPF_JSET = 0x40;
    private static final int BPF_TAX = 0x00, BPF_TXA = 0x80;
    /** sizeof(struct seccomp_data) */
    private static final int DATA_SIZE = 64;

    private final ByteBuffer prog;
    private final int count;

    BpfInterpreter(BpfProgram program) {
        this.prog = ByteBuffer.wrap(program.bytes()).order(ByteOrder.nativeOrder());
        this.count = program.instructions();
    }

    /** The filter's 32-bit return value for syscall {@code nr} of {@code auditArch} with all arguments 0. */
    int run(int nr, int auditArch) {
        ByteBuffer data = ByteBuffer.allocate(DATA_SIZE).order(ByteOrder.nativeOrder());
        data.putInt(0, nr).putInt(4, auditArch);
        int a = 0;
        int x = 0;
        int[] mem = new int[16];
        int pc = 0;
        while (pc < count) {
            int at = pc * BpfProgram.INSTRUCTION_SIZE;
            int code = prog.getShort(at) & 0xffff;
            int jt = prog.get(at + 2) & 0xff;
            int jf = prog.get(at + 3) & 0xff;
            int k = prog.getInt(at + 4);
            pc++;
            switch (code & 0x07) {
                case BPF_LD -> {
                    if (code == (BPF_LD | BPF_W | BPF_ABS)) {
                        if (k < 0 || k + 4 > DATA_SIZE || (k & 3) != 0) {
                            throw new AssertionError("load outside seccomp_data: " + k);
                        }
                        a = data.getInt(k);
                    } else if (code == (BPF_LD | BPF_W | BPF_LEN)) {
                        a = DATA_SIZE;
                    } else if (code == (BPF_LD | BPF_IMM)) {
                        a = k;
                    } else if (code == (BPF_LD | BPF_MEM)) {
                        a = mem[k];
                    } else {
                        throw new AssertionError("unsupported load 0x" + Integer.toHexString(code));
                    }
                }
                case BPF_LDX -> {
                    if (code == (BPF_LDX | BPF_W | BPF_LEN)) {
                        x = DATA_SIZE;
                    } else if (code == (BPF_LDX | BPF_IMM)) {
                        x = k;
                    } else if (code == (BPF_LDX | BPF_MEM)) {
                        x = mem[k];
                    } else {
                        throw new AssertionError("unsupported ldx 0x" + Integer.toHexString(code));
                    }
                }
                case BPF_ST -> mem[k] = a;
                case BPF_STX -> mem[k] = x;
                case BPF_ALU -> {
                    int operand = (code & BPF_X) != 0 ? x : k;
                    a = switch (code & 0xf0) {
                        case BPF_ADD -> a + operand;
                        case BPF_SUB -> a - operand;
                        case BPF_MUL -> a * operand;
                        case BPF_DIV -> Integer.divideUnsigned(a, operand);
                        case BPF_MOD -> Integer.remainderUnsigned(a, operand);
                        case BPF_OR -> a | operand;
                        case BPF_AND -> a & operand;
                        case BPF_XOR -> a ^ operand;
                        case BPF_LSH -> a << operand;
                        case BPF_RSH -> a >>> operand;
                        case BPF_NEG -> -a;
                        default -> throw new AssertionError("unsupported alu 0x" + Integer.toHexString(code));
                    };
                }
                case BPF_JMP -> {
                    int operand = (code & BPF_X) != 0 ? x : k;
                    int op = code & 0xf0;
                    if (op == BPF_JA) {
                        pc += k;
                        break;
                    }
                    boolean taken = switch (op) {
                        case BPF_JEQ -> a == operand;
                        case BPF_JGT -> Integer.compareUnsigned(a, operand) > 0;
                        case BPF_JGE -> Integer.compareUnsigned(a, operand) >= 0;
                        case BPF_JSET -> (a & operand) != 0;
                        default -> throw new AssertionError("unsupported jump 0x" + Integer.toHexString(code));
                    };
                    pc += taken ? jt : jf;
                }
                case BPF_RET -> {
                    return (code & 0x18) == BPF_A ? a : k;
                }
                case BPF_MISC -> {
                    if ((code & 0xf8) == BPF_TAX) {
                        x = a;
                    } else if ((code & 0xf8) == BPF_TXA) {
                        a = x;
                    }
                }
                default -> throw new AssertionError("unsupported instruction 0x" + Integer.toHexString(code));
            }
        }
        throw new AssertionError("the program ran off its end");
    }
}

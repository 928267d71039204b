package dev.sandbox.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sandbox.jna.LibSeccomp;
import dev.sandbox.policy.Action;
import dev.sandbox.policy.Policy;
import dev.sandbox.syscall.Arch;
import dev.sandbox.testing.TruthTable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The truth table against the one function ({@link Policy#actionFor}) and against the compiled filter, run by a BPF
 * interpreter; then, for every policy of the table, the filter and the function agree on every number of every arch.
 */
class TruthTableTest {
    static Stream<TruthTable.Row> rows() {
        return TruthTable.rows().stream();
    }

    private static final Map<String, BpfInterpreter> FILTERS = new HashMap<>();

    private static BpfInterpreter filter(TruthTable.Row row) {
        return FILTERS.computeIfAbsent(row.policy(), k -> new BpfInterpreter(new FilterCompiler().compile(row.load())));
    }

    /** What a seccomp return value means, as an Action. */
    static Action decode(int ret) {
        int action = ret & 0xffff0000;
        if (action == LibSeccomp.SCMP_ACT_ALLOW) {
            return Action.ALLOW;
        }
        if (action == LibSeccomp.SCMP_ACT_LOG) {
            return Action.LOG;
        }
        if (action == LibSeccomp.SCMP_ACT_TRAP) {
            return Action.TRAP;
        }
        if (action == LibSeccomp.SCMP_ACT_ERRNO_BASE) {
            return Action.errno(ret & 0xffff);
        }
        if (action == LibSeccomp.SCMP_ACT_KILL_PROCESS) {
            return Action.KILL;
        }
        throw new AssertionError("unexpected filter return 0x" + Integer.toHexString(ret));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    @DisplayName("the policy's function answers what the table says")
    void function(TruthTable.Row row) {
        assertEquals(row.expected(), row.load().actionFor(row.kernelArch(), row.nr()), row::toString);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    @DisplayName("the compiled filter answers what the table says")
    void compiled(TruthTable.Row row) {
        assertEquals(row.expected(), decode(filter(row).run(row.nr(), row.auditArch())), row::toString);
    }

    @Test
    @DisplayName("for every table policy, the filter and the function agree on every syscall number of every arch")
    void everyNumber() {
        Map<String, TruthTable.Row> byPolicy = new HashMap<>();
        TruthTable.rows().forEach(r -> byPolicy.putIfAbsent(r.policy(), r));
        int checked = 0;
        for (TruthTable.Row row : byPolicy.values()) {
            Policy p = row.load();
            BpfInterpreter bpf = filter(row);
            BpfInterpreter trap = new BpfInterpreter(new FilterCompiler().compileTrap(p,
                    LibSeccomp.SCMP_ACT_TRACE_BASE));
            for (Arch arch : List.of(Arch.X86_64, Arch.I386)) {
                for (int nr : numbers()) {
                    Action want = p.actionFor(arch, nr);
                    String what = row.policy() + " " + arch.label() + " " + nr;
                    assertEquals(want, decode(bpf.run(nr, arch.auditArch())), what);
                    int t = trap.run(nr, arch.auditArch());
                    assertEquals(want.kind() == Action.Kind.ALLOW ? LibSeccomp.SCMP_ACT_ALLOW
                            : LibSeccomp.SCMP_ACT_TRACE_BASE, t, "fast-mode filter, " + what);
                    checked++;
                }
            }
        }
        assertEquals(true, checked > 10_000, "checked " + checked);
    }

    /** 0..1100, and the numbers around the x32 bit and the sign bit. */
    private static int[] numbers() {
        int[] n = new int[1101 + 8];
        for (int i = 0; i <= 1100; i++) {
            n[i] = i;
        }
        int[] edges = {0x3fffffff, 0x40000000, 0x40000027, 0x7fffffff, 0x80000000, 0xc0000000, -2, -1};
        System.arraycopy(edges, 0, n, 1101, edges.length);
        return n;
    }
}

package dev.sandbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sandbox.policy.Action;
import dev.sandbox.policy.ErrnoName;
import dev.sandbox.testing.Probes;
import dev.sandbox.testing.TruthTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The policy truth table (the one the function and the compiled BPF are checked against) under the real kernel:
 * every row with probe arguments runs its probe under its policy and the effect must be the row's action.
 */
class TruthTableLiveTest {
    @TempDir
    static Path tmp;

    @BeforeAll
    static void kernel() {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
    }

    static Stream<TruthTable.Row> rows() {
        return TruthTable.rows().stream().filter(r -> !r.probe().isEmpty());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void row(TruthTable.Row row) throws IOException {
        Path policy = tmp.resolve(row.policy() + ".json");
        if (!Files.exists(policy)) {
            Files.writeString(policy, row.json());
        }
        List<String> probe = new ArrayList<>(row.probe());
        probe.set(0, Probes.path(probe.get(0)));
        SandboxRun bare = SandboxRun.bare(probe.toArray(String[]::new));
        if (row.arch() == dev.sandbox.syscall.Arch.I386) {
            Probes.assumeFeature(!bare.out().endsWith("ENOSYS\n"), "no IA32 emulation in this kernel");
        }
        List<String> args = new ArrayList<>(List.of("--policy", policy.toString(), "--exec"));
        args.addAll(probe);
        SandboxRun r = SandboxRun.run(args.toArray(String[]::new));
        Action want = row.expected();
        switch (want.kind()) {
            case ALLOW, LOG -> {
                assertEquals(bare.out(), r.out(), r::toString);
                assertEquals(0, r.exit(), r::toString);
            }
            case ERRNO -> {
                String what = r.out().isEmpty() ? "" : r.out().substring(0, r.out().indexOf(' '));
                assertEquals(what + " " + ErrnoName.of(want.errno()) + "\n", r.out(), r::toString);
                assertEquals(0, r.exit(), r::toString);
            }
            // SIGSYS either way: kill is uncatchable, trap's SIGSYS is not caught by the probe
            case KILL, TRAP -> assertEquals(159, r.exit(), r::toString);
        }
    }
}

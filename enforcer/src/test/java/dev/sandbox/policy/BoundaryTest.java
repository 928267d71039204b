package dev.sandbox.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The package boundaries STYLE.md asks for, checked on the sources. */
class BoundaryTest {
    private static List<String> offenders(Path dir, String... forbidden) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.toString().endsWith(".java")).filter(f -> {
                try {
                    String text = Files.readString(f);
                    return Stream.of(forbidden).anyMatch(text::contains);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).map(f -> dir.relativize(f).toString()).sorted().toList();
        }
    }

    @Test
    @DisplayName("the policy package imports no JNA, launch, tracer or terminal classes")
    void policyIsPure() throws IOException {
        Path policy = Probes.root().resolve("enforcer/src/main/java/dev/sandbox/policy");
        assertEquals(List.of(), offenders(policy, "com.sun.jna", "dev.sandbox.jna", "dev.sandbox.launch",
                "dev.sandbox.trace", "dev.sandbox.learn", "jline", "lanterna"));
    }

    @Test
    @DisplayName("the filter compiler holds no JNA types: libseccomp is reached through the jna package only")
    void compilerHasNoJna() throws IOException {
        assertEquals(List.of(), offenders(Probes.root().resolve("enforcer/src/main/java/dev/sandbox/seccomp"),
                "com.sun.jna"));
    }
}

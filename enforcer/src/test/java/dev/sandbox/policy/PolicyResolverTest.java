package dev.sandbox.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.error.SandboxException;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PolicyResolverTest {
    @Test
    @DisplayName("a path is used as it is; a missing name lists every place looked in")
    void resolve() {
        assertEquals(Path.of("some/where.json"), PolicyResolver.resolve("some/where.json"));
        assertEquals(Path.of("x.json"), PolicyResolver.resolve("x.json"));
        SandboxException e = assertThrows(SandboxException.class, () -> PolicyResolver.resolve("no-such-policy"));
        assertEquals(125, e.exitCode());
        assertTrue(e.userMessage().contains("policies/no-such-policy.json"), e.userMessage());
        assertTrue(e.userMessage().contains("/etc/sandbox/policies/no-such-policy.json"), e.userMessage());
    }
}

package dev.sandbox.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.error.SandboxException;
import dev.sandbox.syscall.Arch;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PolicyMergeTest {
    private static Policy p(String json) {
        return new PolicyLoader(w -> { }).parse(json.getBytes(), "p.json");
    }

    private static SyscallRef s(String name) {
        return SyscallRef.parse(name);
    }

    @Test
    @DisplayName("a merge unions what both allow, and a syscall either side refuses stays refused")
    void refusalWins() {
        Policy a = p("{\"mode\":\"allow\",\"syscalls\":[\"read\",\"mkdir\"],\"rules\":[{\"syscalls\":[\"unlink\"],"
                + "\"action\":\"errno\"}]}");
        Policy b = p("{\"mode\":\"allow\",\"syscalls\":[\"write\",\"unlink\"],\"rules\":[{\"syscalls\":[\"mkdir\"],"
                + "\"action\":\"kill\"}]}");
        Policy m = PolicyMerge.merge(a, b);
        assertEquals(List.of("read", "write"), m.syscalls().stream().map(Object::toString).sorted().toList());
        assertEquals(Action.EPERM, m.actionFor(s("unlink")));
        assertEquals(Action.KILL, m.ruleFor(s("mkdir")));
    }

    @Test
    @DisplayName("for random policies, the merge never allows what either side refuses explicitly")
    void neverRegrants() {
        Random r = new Random(7);
        for (int i = 0; i < 300; i++) {
            Policy a = PolicyFileTest.random(r);
            Policy b = PolicyFileTest.random(r);
            if (a.mode() != b.mode()) {
                assertThrows(SandboxException.class, () -> PolicyMerge.merge(a, b));
                continue;
            }
            Policy m = PolicyMerge.merge(a, b);
            for (Policy side : List.of(a, b)) {
                for (SyscallRef s : side.ruled().keySet()) {
                    assertTrue(m.actionFor(s).kind().compareTo(side.actionFor(s).kind()) >= 0, s + " in " + m);
                }
                if (side.mode() == Mode.BLOCK) {
                    side.syscalls().forEach(s -> assertTrue(m.refuses(s) || !side.refuses(s), s.toString()));
                }
            }
            assertEquals(m, PolicyMerge.merge(a, b), "deterministic");
        }
    }

    @Test
    @DisplayName("metadata: counts summed, first provenance kept, runs in order, the newer run's command and outcome")
    void metadata() {
        Policy a = p("{\"mode\":\"allow\",\"syscalls\":[\"read\"],\"known_up_to\":\"statx\",\"metadata\":{\"program\":"
                + "\"/bin/a\",\"args\":[\"1\"],\"outcome\":{\"exit_status\":0},\"counts\":{\"read\":3},\"provenance\":"
                + "{\"read\":{\"first_pid\":1}},\"runs\":[{\"date\":\"d1\"}]}}");
        Policy b = p("{\"mode\":\"allow\",\"syscalls\":[\"read\",\"write\"],\"known_up_to\":\"cachestat\","
                + "\"metadata\":{\"program\":\"/bin/a\",\"args\":[\"2\"],\"outcome\":{\"exit_status\":1},\"counts\":"
                + "{\"read\":2,\"write\":1},\"provenance\":{\"read\":{\"first_pid\":2}},\"denied\":[\"write\"],"
                + "\"runs\":[{\"date\":\"d2\"}]}}");
        Metadata m = PolicyMerge.merge(a, b).meta();
        assertEquals(5L, m.counts().get("read"));
        assertEquals(1, m.provenance().get("read").firstPid());
        assertEquals(List.of("d1", "d2"), m.runs().stream().map(Metadata.Run::date).toList());
        assertEquals(List.of("2"), m.args());
        assertEquals(1, m.outcome().exitStatus());
        assertFalse(m.denied().contains("write"), "allowed in the result, so not denied");
        assertEquals("statx", PolicyMerge.merge(a, b).knownUpTo(), "the older machine decides");
    }

    @Test
    @DisplayName("merging an allowlist with a blocklist is refused")
    void modes() {
        SandboxException e = assertThrows(SandboxException.class, () -> PolicyMerge.merge(
                p("{\"mode\":\"allow\",\"syscalls\":[]}"), p("{\"mode\":\"block\",\"syscalls\":[]}")));
        assertTrue(e.userMessage().startsWith("cannot merge p.json (block mode) into p.json (allow mode)"));
        assertEquals(Arch.X86_64, s("read").arch());
    }
}

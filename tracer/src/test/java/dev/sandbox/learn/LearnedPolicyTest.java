package dev.sandbox.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.policy.Action;
import dev.sandbox.policy.Metadata;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyFile;
import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.syscall.Arch;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class LearnedPolicyTest {
    private static final Decision ALLOWED = Decision.of(Verdict.ALLOW, Source.ON_UNKNOWN);
    private static final Decision BLOCKED = Decision.of(Verdict.BLOCK, Source.PERSON);

    private static Policy policy(String json) {
        return new PolicyLoader(w -> { }).parse(json.getBytes(StandardCharsets.UTF_8), "p.json");
    }

    private static LearnedPolicy.Run run(Policy base, boolean fast) {
        return new LearnedPolicy.Run(List.of("/bin/x", "-a"), "6.18", "0.1.0", base, fast, 0);
    }

    private static SyscallRef x(String name) {
        return new SyscallRef(Arch.X86_64, name);
    }

    /** What the writer writes and the loader reads back: the learner's output must load. */
    private static Policy written(Policy p) {
        Policy back = new PolicyLoader(w -> { }).parse(PolicyFile.bytes(p), "learned");
        assertEquals(p, back);
        return back;
    }

    @Test
    @DisplayName("the export lists exactly the syscalls that ran, and loads as a policy")
    void export() {
        LearnedPolicy l = new LearnedPolicy();
        l.record(x("write"), ALLOWED, 10, "/bin/x");
        l.record(x("read"), ALLOWED, 10, "/bin/x");
        l.record(x("read"), ALLOWED, 11, "/bin/y");
        l.record(x("mkdir"), BLOCKED, 10, "/bin/x");
        l.record(new SyscallRef(Arch.I386, "mkdir"), ALLOWED, 10, "/bin/x");
        Policy p = written(l.export(run(null, false), "learned"));
        assertEquals(List.of("i386:mkdir", "read", "write"), p.syscalls().stream().map(Object::toString).sorted()
                .toList());
        Metadata meta = p.meta();
        assertEquals(2L, meta.counts().get("read"));
        assertEquals(List.of("mkdir"), List.copyOf(meta.denied()));
        assertEquals("/bin/x", meta.program());
        assertEquals(10, meta.provenance().get("read").firstPid());
        assertNotNull(p.knownUpTo());
    }

    @Test
    @DisplayName("in fast mode the base allowlist joins the learned syscalls; in full mode only what ran is saved")
    void fastUnion() {
        Policy base = policy("{\"mode\":\"allow\",\"syscalls\":[\"close\",\"read\"]}");
        LearnedPolicy l = new LearnedPolicy();
        l.record(x("mkdir"), ALLOWED, 1, "/bin/x");
        assertEquals(List.of(x("close"), x("mkdir"), x("read")), l.export(run(base, true), "p").syscalls());
        assertEquals(List.of(x("mkdir")), l.export(run(base, false), "p").syscalls());
    }

    @Test
    @DisplayName("every block, lasting or not, becomes an errno rule; a kill a kill rule; the ceiling's stays out")
    void rules() {
        Policy ceiling = policy("{\"mode\":\"block\",\"syscalls\":[\"ptrace\"]}");
        LearnedPolicy l = new LearnedPolicy();
        l.record(x("read"), ALLOWED, 1, "/bin/x");
        l.record(x("mkdir"), new Decision(Verdict.BLOCK, Source.PERSON, Scope.SESSION), 1, "/bin/x");
        l.record(x("unlink"), BLOCKED, 1, "/bin/x");
        l.record(x("rmdir"), Decision.of(Verdict.BLOCK, Source.TIMEOUT), 1, "/bin/x");
        l.record(x("chmod"), Decision.of(Verdict.BLOCK, Source.NO_TERMINAL), 1, "/bin/x");
        l.record(x("chown"), new Decision(Verdict.BLOCK, Source.BASE_POLICY, Scope.ONCE, 13), 1, "/bin/x");
        l.record(x("kill"), Decision.of(Verdict.KILL, Source.PERSON), 1, "/bin/x");
        l.record(x("ptrace"), new Decision(Verdict.BLOCK, Source.CEILING, Scope.SESSION), 1, "/bin/x");
        l.record(new SyscallRef(Arch.I386, "ptrace"), ALLOWED, 1, "/bin/x");
        Policy p = written(l.export(new LearnedPolicy.Run(List.of("/bin/x"), "6.18", "0.1.0", null, false, 0,
                ceiling, false), "p"));
        assertEquals(List.of(x("read")), p.syscalls(), "i386:ptrace is ptrace: the ceiling removes it");
        for (String s : List.of("mkdir", "unlink", "rmdir", "chmod", "ptrace")) {
            assertEquals(Action.EPERM, p.ruleFor(x(s)), s);
        }
        assertEquals(Action.errno(13), p.ruleFor(x("chown")), "the errno the base's rule gave");
        assertEquals(Action.KILL, p.ruleFor(x("kill")));
    }

    @Test
    @DisplayName("families never re-grant a refusal: a refused mkdir stays refused when mkdirat ran")
    void familiesKeepRefusals() {
        Policy base = policy("{\"mode\":\"allow\",\"syscalls\":[\"mkdirat\",\"read\"],\"rules\":[{\"syscalls\":"
                + "[\"unlink\"],\"action\":\"errno\"}]}");
        LearnedPolicy l = new LearnedPolicy();
        l.record(x("mkdirat"), Decision.of(Verdict.ALLOW, Source.BASE_POLICY), 1, "/bin/x");
        l.record(x("unlinkat"), ALLOWED, 1, "/bin/x");
        l.record(x("openat"), ALLOWED, 1, "/bin/x");
        l.record(x("mkdir"), Decision.of(Verdict.BLOCK, Source.ON_UNKNOWN), 1, "/bin/x");
        Policy p = written(l.export(new LearnedPolicy.Run(List.of("/bin/x"), "6.18", "0.1.0", base, false, 0, null,
                true), "p"));
        assertFalse(p.lists(x("mkdir")));
        assertEquals(Action.EPERM, p.actionFor(x("mkdir")));
        assertFalse(p.lists(x("unlink")), "the base refuses unlink: its family does not allow it");
        assertTrue(p.lists(x("open")) && p.lists(x("openat2")), "other families are still added");
        assertTrue(p.meta().addedByFamilies().contains("open"));
    }

    @Test
    @DisplayName("calls a policy cannot name stay in the metadata; an unnamed x86_64 number is saved as its number")
    void numbers() {
        LearnedPolicy l = new LearnedPolicy();
        l.record(SyscallRef.of(Arch.X86_64, 1000), ALLOWED, 1, "/bin/x");
        l.record(SyscallRef.of(Arch.X86_64, 0x80000000), Decision.of(Verdict.BLOCK, Source.ABI), 1, "/bin/x");
        l.record(SyscallRef.of(Arch.X32, 39), Decision.of(Verdict.BLOCK, Source.ABI), 1, "/bin/x");
        l.record(SyscallRef.of(Arch.I386, 1000), ALLOWED, 1, "/bin/x");
        Policy p = written(l.export(run(null, false), "p"));
        assertEquals(List.of(x("1000")), p.syscalls());
        assertTrue(p.rules().isEmpty());
        assertEquals(1L, p.meta().counts().get("i386:1000"));
        assertTrue(p.meta().denied().contains("-2147483648") && p.meta().denied().contains("x32:getpid"),
                p.meta().denied()::toString);
    }

    @Test
    @DisplayName("merging into a previous run keeps its syscalls, adds the new ones and counts quiet runs")
    void merge() {
        LearnedPolicy first = new LearnedPolicy();
        first.record(x("read"), ALLOWED, 1, "/bin/x");
        Policy one = first.export(run(null, false), "p");
        LearnedPolicy second = new LearnedPolicy();
        second.record(x("write"), ALLOWED, 1, "/bin/x");
        LearnedPolicy.Merged two = LearnedPolicy.into(one, second.export(run(null, false), "p"));
        assertEquals(List.of(x("read"), x("write")), two.policy().syscalls());
        assertEquals(List.of("write"), two.added());
        LearnedPolicy.Merged three = LearnedPolicy.into(two.policy(), second.export(run(null, false), "p"));
        assertEquals(List.of(), three.added());
        assertEquals(3, three.runs());
        assertEquals(1, three.quietRuns());
        assertEquals(2L, three.policy().meta().counts().get("write"));
        written(three.policy());
    }

    @Test
    @DisplayName("a refusal learned earlier survives a merge with a run that allows the same syscall")
    void mergeKeepsRefusal() {
        LearnedPolicy first = new LearnedPolicy();
        first.record(x("mkdir"), BLOCKED, 1, "/bin/x");
        LearnedPolicy second = new LearnedPolicy();
        second.record(x("mkdir"), ALLOWED, 1, "/bin/x");
        Policy merged = LearnedPolicy.into(first.export(run(null, false), "p"),
                second.export(run(null, false), "p")).policy();
        assertEquals(Action.EPERM, merged.actionFor(x("mkdir")));
    }
}

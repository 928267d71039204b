package dev.sandbox.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.sandbox.policy.Action;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.syscall.Arch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LearnedPolicyTest {
    private static final Decision ALLOWED = Decision.of(Verdict.ALLOW, Source.ON_UNKNOWN);
    private static final Decision BLOCKED = Decision.of(Verdict.BLOCK, Source.PERSON);

    private static LearnedPolicy.Run run(Policy base, boolean fast) {
        return new LearnedPolicy.Run(List.of("/bin/x", "-a"), "6.18", "0.1.0", base, fast, 0);
    }

    @Test
    @DisplayName("the export lists exactly the syscalls that ran, sorted, and loads as a policy")
    void export() {
        LearnedPolicy l = new LearnedPolicy();
        l.record(new SyscallRef(Arch.X86_64, "write"), ALLOWED, 10, "/bin/x");
        l.record(new SyscallRef(Arch.X86_64, "read"), ALLOWED, 10, "/bin/x");
        l.record(new SyscallRef(Arch.X86_64, "read"), ALLOWED, 11, "/bin/y");
        l.record(new SyscallRef(Arch.X86_64, "mkdir"), BLOCKED, 10, "/bin/x");
        l.record(new SyscallRef(Arch.I386, "mkdir"), ALLOWED, 10, "/bin/x");
        JsonObject json = l.toJson(run(null, false));
        Policy p = new PolicyLoader(w -> { }).parse(json.toString().getBytes(StandardCharsets.UTF_8), "learned");
        assertEquals(List.of("i386:mkdir", "read", "write"), p.syscalls().stream().map(Object::toString).toList());
        JsonObject meta = json.getAsJsonObject("metadata");
        assertEquals(2, meta.getAsJsonObject("counts").get("read").getAsInt());
        assertEquals("[\"mkdir\"]", meta.get("denied").toString());
        assertEquals("/bin/x", meta.get("program").getAsString());
        assertEquals(10, meta.getAsJsonObject("provenance").getAsJsonObject("read").get("first_pid").getAsInt());
    }

    @Test
    @DisplayName("in fast mode the base allowlist joins the learned syscalls")
    void fastUnion() {
        Policy base = new PolicyLoader(w -> { }).parse("{\"mode\":\"allow\",\"syscalls\":[\"close\",\"read\"]}"
                .getBytes(StandardCharsets.UTF_8), "base");
        LearnedPolicy l = new LearnedPolicy();
        l.record(new SyscallRef(Arch.X86_64, "mkdir"), ALLOWED, 1, "/bin/x");
        assertEquals("[\"close\",\"mkdir\",\"read\"]", l.toJson(run(base, true)).get("syscalls").toString());
        assertEquals("[\"mkdir\"]", l.toJson(run(base, false)).get("syscalls").toString());
    }

    @Test
    @DisplayName("lasting refusals become an EPERM rule; one-off refusals and the ceiling's stay out of the allowlist")
    void rules() {
        Policy ceiling = new PolicyLoader(w -> { }).parse("{\"mode\":\"block\",\"syscalls\":[\"ptrace\"]}"
                .getBytes(StandardCharsets.UTF_8), "ceiling");
        LearnedPolicy l = new LearnedPolicy();
        l.record(new SyscallRef(Arch.X86_64, "read"), ALLOWED, 1, "/bin/x");
        l.record(new SyscallRef(Arch.X86_64, "mkdir"), new Decision(Verdict.BLOCK, Source.PERSON, Scope.SESSION), 1,
                "/bin/x");
        l.record(new SyscallRef(Arch.X86_64, "unlink"), BLOCKED, 1, "/bin/x");
        l.record(new SyscallRef(Arch.X86_64, "ptrace"), new Decision(Verdict.BLOCK, Source.CEILING, Scope.SESSION),
                1, "/bin/x");
        JsonObject json = l.toJson(new LearnedPolicy.Run(List.of("/bin/x"), "6.18", "0.1.0", null, false, 0, ceiling,
                false, null));
        assertEquals("[\"read\"]", json.get("syscalls").toString());
        assertEquals("[\"mkdir\",\"ptrace\"]", json.getAsJsonArray("rules").get(0).getAsJsonObject().get("syscalls")
                .toString());
        assertTrue(json.has("known_up_to"));
        Policy p = new PolicyLoader(w -> { }).parse(json.toString().getBytes(StandardCharsets.UTF_8), "learned");
        assertEquals(Action.errno(1), p.ruleFor(new SyscallRef(Arch.X86_64, "mkdir")));
    }

    @Test
    @DisplayName("merging into a previous run keeps its syscalls, adds the new ones and counts quiet runs")
    void merge() {
        LearnedPolicy first = new LearnedPolicy();
        first.record(new SyscallRef(Arch.X86_64, "read"), ALLOWED, 1, "/bin/x");
        JsonObject one = first.toJson(run(null, false));
        LearnedPolicy second = new LearnedPolicy();
        second.record(new SyscallRef(Arch.X86_64, "write"), ALLOWED, 1, "/bin/x");
        LearnedPolicy.Export two = second.export(new LearnedPolicy.Run(List.of("/bin/x"), "6.18", "0.1.0", null,
                false, 0, null, false, one));
        assertEquals("[\"read\",\"write\"]", two.json().get("syscalls").toString());
        assertEquals(List.of("write"), two.added());
        LearnedPolicy.Export three = second.export(new LearnedPolicy.Run(List.of("/bin/x"), "6.18", "0.1.0", null,
                false, 0, null, false, two.json()));
        assertEquals(List.of(), three.added());
        assertEquals(3, three.runs());
        assertEquals(1, three.quietRuns());
        assertEquals(2, three.json().getAsJsonObject("metadata").getAsJsonObject("counts").get("write").getAsInt());
    }

    @Test
    @DisplayName("saving replaces an existing file whole and leaves no temp file behind")
    void atomicSave(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("p.json");
        Files.writeString(target, "old content that is longer than the new one".repeat(100));
        LearnedPolicy l = new LearnedPolicy();
        l.record(new SyscallRef(Arch.X86_64, "read"), ALLOWED, 1, "/bin/x");
        LearnedPolicy.save(l.toJson(run(null, false)), target);
        String saved = Files.readString(target);
        assertTrue(saved.startsWith("{\n  \"mode\": \"allow\""), saved);
        new PolicyLoader(w -> { }).load(target);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList());
        }
    }
}

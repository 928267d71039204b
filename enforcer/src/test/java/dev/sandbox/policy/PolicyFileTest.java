package dev.sandbox.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.sandbox.error.SandboxException;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one writer: what it writes loads back as the same policy, atomically, and never anything the loader refuses. */
class PolicyFileTest {
    private static final PolicyLoader LOADER = new PolicyLoader(w -> { });

    private static Policy reload(Policy p) {
        return LOADER.parse(PolicyFile.bytes(p), "p.json");
    }

    @Test
    @DisplayName("load(write(p)) == p for a thousand random policies")
    void roundTrip() {
        Random r = new Random(42);
        for (int i = 0; i < 1000; i++) {
            Policy p = random(r);
            assertEquals(p, reload(p), () -> new String(PolicyFile.bytes(p)));
        }
    }

    @Test
    @DisplayName("load(write(p)) == p for every shipped policy, and writing twice gives the same bytes")
    void shipped() throws IOException {
        try (Stream<Path> files = Files.list(Probes.root().resolve("policies"))) {
            for (Path f : files.filter(x -> x.toString().endsWith(".json")).toList()) {
                Policy p = LOADER.load(f);
                assertEquals(p, reload(p), f.toString());
                assertEquals(new String(PolicyFile.bytes(p)), new String(PolicyFile.bytes(reload(p))), f.toString());
            }
        }
    }

    @Test
    @DisplayName("a profile's isolation section survives load, write and merge, verbatim")
    void profiles() throws IOException {
        try (Stream<Path> files = Files.list(Probes.root().resolve("profiles"))) {
            for (Path f : files.filter(x -> x.toString().endsWith(".json")).toList()) {
                Policy p = LOADER.load(f);
                JsonObject section = com.google.gson.JsonParser.parseString(Files.readString(f)).getAsJsonObject()
                        .getAsJsonObject("isolation");
                assertEquals(section, p.isolation(), f.toString());
                assertEquals(p, reload(p), f.toString());
                assertEquals(section, reload(p).isolation(), f.toString());
                Policy learned = LOADER.parse(("{\"mode\":\"" + p.mode().label() + "\",\"syscalls\":[\"getpid\"]}")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8), "l.json");
                assertEquals(section, PolicyMerge.merge(p, learned).isolation(), f.toString());
            }
        }
    }

    @Test
    @DisplayName("writing replaces a file whole, keeps its mode, and leaves no temp file behind")
    void atomic(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("p.json");
        Files.writeString(target, "old content that is longer than the new one".repeat(100));
        Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-r--"));
        Policy p = LOADER.parse("{\"mode\":\"allow\",\"syscalls\":[\"read\",\"execve\"]}".getBytes(), "x");
        PolicyFile.write(p, target);
        assertEquals(p, LOADER.load(target));
        assertTrue(Files.readString(target).startsWith("{\n  \"mode\": \"allow\",\n  \"syscalls\": [\n    \"execve\""));
        assertEquals("rw-rw-r--", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(target)));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList());
        }
    }

    @Test
    @DisplayName("an unwritable target is refused with the reason before anything runs")
    void writable(@TempDir Path dir) throws IOException {
        SandboxException missing = assertThrows(SandboxException.class,
                () -> PolicyFile.checkWritable(dir.resolve("nope/p.json"), "--save"));
        assertEquals("--save " + dir.resolve("nope/p.json") + ": no such directory: " + dir.resolve("nope"),
                missing.userMessage());
        Files.createDirectory(dir.resolve("d"));
        SandboxException isDir = assertThrows(SandboxException.class,
                () -> PolicyFile.checkWritable(dir.resolve("d"), "--save"));
        assertTrue(isDir.userMessage().endsWith(": is a directory"), isDir.userMessage());
        PolicyFile.checkWritable(dir.resolve("fine.json"), "--save");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("d")), files.toList(), "the check leaves nothing behind");
        }
    }

    @Test
    @DisplayName("the metadata keeps what it has no type for, verbatim, and types what it knows")
    void metadata() {
        Policy p = LOADER.parse(("{\"mode\":\"allow\",\"syscalls\":[\"read\"],\"metadata\":{\"program\":\"/bin/x\","
                + "\"runs\":[\"/bin/x a\"],\"counts\":{\"read\":3},\"mine\":{\"a\":[1,2]},\"outcome\":{\"exit_status\":0,"
                + "\"stdout_kind\":\"file\"}}}").getBytes(), "x");
        assertEquals("/bin/x", p.meta().program());
        assertEquals(3L, p.meta().counts().get("read"));
        assertEquals(List.of(), p.meta().runs(), "runs of another shape stay as written");
        assertEquals("[\"/bin/x a\"]", p.meta().extra().get("runs").toString());
        assertEquals("{\"a\":[1,2]}", p.meta().extra().get("mine").toString());
        assertEquals("\"file\"", p.meta().outcome().extra().get("stdout_kind").toString());
        assertEquals(p, reload(p));
    }

    static Policy random(Random r) {
        List<String> x86 = SyscallNames.all(Arch.X86_64);
        List<String> i386 = SyscallNames.all(Arch.I386).stream().filter(n -> SyscallNames.known(Arch.I386, n))
                .toList();
        Mode mode = r.nextBoolean() ? Mode.ALLOW : Mode.BLOCK;
        Action[] actions = {Action.KILL, Action.TRAP, Action.LOG, Action.EPERM, Action.errno(13), Action.errno(4000)};
        Action action = actions[r.nextInt(actions.length)];
        Set<SyscallRef> used = new HashSet<>();
        List<SyscallRef> syscalls = new ArrayList<>();
        Map<SyscallRef, Action> ruled = new HashMap<>();
        int n = r.nextInt(40);
        for (int i = 0; i < n; i++) {
            SyscallRef s = switch (r.nextInt(10)) {
                case 0 -> new SyscallRef(Arch.I386, i386.get(r.nextInt(i386.size())));
                case 1 -> new SyscallRef(Arch.X86_64, Integer.toString(1000 + r.nextInt(5000)));
                default -> new SyscallRef(Arch.X86_64, x86.get(r.nextInt(x86.size())));
            };
            if (!used.add(s)) {
                continue;
            }
            if (r.nextInt(4) == 0) {
                Action a = actions[r.nextInt(actions.length)];
                ruled.put(s, a);
            } else {
                syscalls.add(s);
            }
        }
        String known = r.nextBoolean() ? null : x86.get(r.nextInt(x86.size()));
        Metadata.Builder m = new Metadata.Builder();
        if (r.nextBoolean()) {
            m.program("/bin/p" + r.nextInt(9)).args(List.of("-a", "caf\u00e9", "\u001b[31m")).date("2026-01-01T00:00:00Z")
                    .kernel("6.18").arch("x86_64").learnedBy("sandbox test").exitStatus(r.nextInt(256))
                    .cwd("/tmp").outcome(new Metadata.Outcome(0, "ab", null));
            Map<String, Long> counts = new HashMap<>();
            Map<String, Metadata.Provenance> prov = new HashMap<>();
            for (SyscallRef s : syscalls) {
                counts.put(s.toString(), (long) r.nextInt(1_000_000));
                prov.put(s.toString(), new Metadata.Provenance(r.nextInt(99999), "/bin/p", "2026", "you (once)",
                        (long) r.nextInt(9), 1, r.nextBoolean() ? null : 2L, null));
            }
            m.counts(counts).provenance(prov).denied(Set.of("mkdir"))
                    .runs(List.of(new Metadata.Run("d", List.of("/bin/p"), List.of("read"))));
            JsonObject extra = new JsonObject();
            JsonArray arr = new JsonArray();
            arr.add(1.5);
            arr.add("x");
            extra.add("anything", arr);
            m.extra(extra);
        }
        return new Policy("random", mode, action, syscalls, Policy.group(ruled), known, m.build());
    }
}

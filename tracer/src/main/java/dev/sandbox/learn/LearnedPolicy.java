package dev.sandbox.learn;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.SyscallRef;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a learning session saw: every syscall observed, how often it was allowed and denied. Exported as the policy
 * format ({@code "mode": "allow"}, exactly the syscalls observed and allowed, sorted) plus a metadata object the
 * enforcer ignores. Not thread-safe: the tracer thread records, and exports after the loop ends.
 */
public final class LearnedPolicy {
    private static final class Counts {
        long allowed;
        long denied;
        int firstPid;
        String firstExe;
        String decidedBy;
    }

    /** Hashed, not sorted: this is updated at every stop; the export sorts. */
    private final Map<SyscallRef, Counts> seen = new HashMap<>();

    public void record(SyscallRef call, Decision d, int pid, String exe) {
        Counts c = seen.computeIfAbsent(call, k -> new Counts());
        if (c.firstExe == null) {
            c.firstPid = pid;
            c.firstExe = exe;
            c.decidedBy = d.source().label();
        }
        if (d.verdict() == Verdict.ALLOW) {
            c.allowed++;
        } else {
            c.denied++;
        }
    }

    /** Syscalls that ran at least once, sorted; this is the allowlist. */
    public List<SyscallRef> allowed() {
        return seen.entrySet().stream().filter(e -> e.getValue().allowed > 0).map(Map.Entry::getKey).sorted()
                .toList();
    }

    public List<SyscallRef> denied() {
        return seen.entrySet().stream().filter(e -> e.getValue().denied > 0).map(Map.Entry::getKey).sorted()
                .toList();
    }

    /** Facts about the run for the metadata object. */
    public record Run(List<String> command, String kernel, String version, Policy base, boolean fast,
            Integer exitStatus) {}

    /**
     * The saved policy. In fast mode syscalls the base allowlist covered never stopped the tracer, so the base's
     * syscalls are included as they are (base ∪ allowed).
     */
    public JsonObject toJson(Run run) {
        TreeMap<String, SyscallRef> names = new TreeMap<>();
        for (SyscallRef s : allowed()) {
            names.put(s.toString(), s);
        }
        if (run.fast() && run.base() != null && run.base().mode() == dev.sandbox.policy.Mode.ALLOW) {
            for (SyscallRef s : run.base().syscalls()) {
                names.put(s.toString(), s);
            }
        }
        JsonObject root = new JsonObject();
        root.addProperty("mode", "allow");
        JsonArray list = new JsonArray();
        names.keySet().forEach(list::add);
        root.add("syscalls", list);

        JsonObject meta = new JsonObject();
        meta.addProperty("program", run.command().get(0));
        JsonArray args = new JsonArray();
        run.command().stream().skip(1).forEach(args::add);
        meta.add("args", args);
        meta.addProperty("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        meta.addProperty("kernel", run.kernel());
        meta.addProperty("arch", "x86_64");
        meta.addProperty("learned_by", "sandbox " + run.version() + " --trace-block-dynamic"
                + (run.fast() ? " (fast mode: syscalls the base policy allowed were not counted)" : ""));
        if (run.base() != null) {
            meta.addProperty("base_policy", run.base().source());
        }
        if (run.exitStatus() != null) {
            meta.addProperty("exit_status", run.exitStatus());
        }
        JsonObject counts = new JsonObject();
        JsonObject provenance = new JsonObject();
        JsonArray denied = new JsonArray();
        for (Map.Entry<SyscallRef, Counts> e : new TreeMap<>(seen).entrySet()) {
            Counts c = e.getValue();
            String key = e.getKey().toString();
            if (c.allowed > 0) {
                counts.addProperty(key, c.allowed);
            }
            if (c.denied > 0) {
                denied.add(key);
            }
            JsonObject p = new JsonObject();
            p.addProperty("first_pid", c.firstPid);
            p.addProperty("first_executable", c.firstExe);
            p.addProperty("decided_by", c.decidedBy);
            if (c.denied > 0) {
                p.addProperty("denied", c.denied);
            }
            provenance.add(key, p);
        }
        meta.add("counts", counts);
        meta.add("denied", denied);
        meta.add("provenance", provenance);
        root.add("metadata", meta);
        return root;
    }

    /**
     * Writes {@code json} to {@code file} atomically: a temp file in the same directory, flushed to disk, then
     * renamed over the target, so an existing file is never left truncated, whatever interrupts us.
     */
    public static void save(JsonObject json, Path file) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        byte[] bytes = (new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(json) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}

package dev.sandbox.learn;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.sandbox.policy.Mode;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a learning session saw: every syscall observed, how often it was allowed and denied, by whom first. Exported
 * as the policy format: {@code "mode": "allow"} with the syscalls that ran (sorted), {@code "rules"} giving EPERM to
 * what was refused for good (so the enforcer refuses it the same way instead of killing), {@code "known_up_to"},
 * and a metadata object the enforcer ignores. Not thread-safe: the tracer thread records, the export runs after.
 */
public final class LearnedPolicy {
    private static final class Counts {
        long allowed;
        long denied;
        /** Refused by a decision that lasts (an "always" answer, --on-unknown block, the ceiling). */
        boolean refusedForGood;
        int firstPid;
        String firstExe;
        String decidedBy;
        Instant firstSeen;
        final Set<String> executables = new LinkedHashSet<>();
    }

    /** Hashed, not sorted: this is updated at every stop; the export sorts. */
    private final Map<SyscallRef, Counts> seen = new HashMap<>();

    public void record(SyscallRef call, Decision d, int pid, String exe) {
        Counts c = seen.get(call);
        if (c == null) {
            c = new Counts();
            c.firstPid = pid;
            c.firstExe = exe;
            c.decidedBy = d.source().label() + (d.remembered() ? " (" + d.scope().label() + ")" : "");
            c.firstSeen = Instant.now();
            seen.put(call, c);
        }
        if (c.executables.size() < 64) {
            c.executables.add(exe);
        }
        if (d.verdict() == Verdict.ALLOW) {
            c.allowed++;
        } else {
            c.denied++;
            if (d.remembered() || d.source() == Source.ON_UNKNOWN) {
                c.refusedForGood = true;
            }
        }
    }

    /** Syscalls that ran at least once, sorted. */
    public List<SyscallRef> allowed() {
        return seen.entrySet().stream().filter(e -> e.getValue().allowed > 0).map(Map.Entry::getKey).sorted()
                .toList();
    }

    public List<SyscallRef> denied() {
        return seen.entrySet().stream().filter(e -> e.getValue().denied > 0).map(Map.Entry::getKey).sorted()
                .toList();
    }

    /**
     * Facts about the run for the export.
     *
     * @param ceiling  never in the allowlist, whatever the base says; may be null
     * @param families list each learned syscall's siblings too ({@link Families})
     * @param previous the policy already at the target, merged into (learning over several runs); may be null
     */
    public record Run(List<String> command, String kernel, String version, Policy base, boolean fast,
            Integer exitStatus, Policy ceiling, boolean families, JsonObject previous) {
        public Run(List<String> command, String kernel, String version, Policy base, boolean fast,
                Integer exitStatus) {
            this(command, kernel, version, base, fast, exitStatus, null, false, null);
        }
    }

    /** The export, and what it added to a previous policy. */
    public record Export(JsonObject json, List<String> added, int runs, int quietRuns) {}

    public JsonObject toJson(Run run) {
        return export(run).json();
    }

    public Export export(Run run) {
        Set<String> learned = new TreeSet<>();
        for (SyscallRef s : allowed()) {
            learned.add(s.toString());
        }
        if (run.fast() && run.base() != null && run.base().mode() == Mode.ALLOW) {
            // syscalls the base allowed never stopped the tracer: they are part of what ran
            for (SyscallRef s : run.base().syscalls()) {
                learned.add(s.toString());
            }
        }
        Set<String> refused = new TreeSet<>();
        for (Map.Entry<SyscallRef, Counts> e : seen.entrySet()) {
            if (e.getValue().refusedForGood && e.getValue().allowed == 0) {
                refused.add(e.getKey().toString());
            }
        }
        Set<String> families = new TreeSet<>();
        if (run.families()) {
            for (String s : Families.widen(learned)) {
                if (!learned.contains(s) && SyscallNames.known(Arch.X86_64, s)) {
                    families.add(s);
                }
            }
        }
        Set<String> before = new TreeSet<>();
        JsonObject prevMeta = new JsonObject();
        if (run.previous() != null) {
            run.previous().getAsJsonArray("syscalls").forEach(e -> before.add(e.getAsString()));
            if (run.previous().has("rules")) {
                for (JsonElement r : run.previous().getAsJsonArray("rules")) {
                    r.getAsJsonObject().getAsJsonArray("syscalls").forEach(e -> refused.add(e.getAsString()));
                }
            }
            if (run.previous().has("metadata")) {
                prevMeta = run.previous().getAsJsonObject("metadata");
            }
        }
        Set<String> allow = new TreeSet<>(before);
        allow.addAll(learned);
        allow.addAll(families);
        if (run.ceiling() != null) {
            allow.removeIf(s -> run.ceiling().lists(SyscallRef.parse(s)));
        }
        refused.removeAll(allow);
        List<String> added = new ArrayList<>();
        for (String s : learned) {
            if (!before.contains(s) && allow.contains(s)) {
                added.add(s);
            }
        }

        JsonObject root = new JsonObject();
        root.addProperty("mode", "allow");
        root.add("syscalls", array(allow));
        if (!refused.isEmpty()) {
            JsonObject rule = new JsonObject();
            rule.add("syscalls", array(refused));
            rule.addProperty("action", "errno");
            rule.addProperty("errno", "EPERM");
            JsonArray rules = new JsonArray();
            rules.add(rule);
            root.add("rules", rules);
        }
        List<String> all = SyscallNames.all(Arch.X86_64);
        String newest = all.stream().max((a, b) -> Integer.compare(SyscallNames.number(Arch.X86_64, a),
                SyscallNames.number(Arch.X86_64, b))).orElseThrow();
        String prevNewest = run.previous() != null && run.previous().has("known_up_to")
                ? run.previous().get("known_up_to").getAsString() : null;
        if (prevNewest != null && SyscallNames.number(Arch.X86_64, prevNewest) < SyscallNames.number(Arch.X86_64,
                newest)) {
            newest = prevNewest; // the oldest machine that contributed decides what counts as "newer"
        }
        root.addProperty("known_up_to", newest);

        JsonObject meta = new JsonObject();
        meta.addProperty("program", run.command().get(0));
        meta.add("args", array(run.command().subList(1, run.command().size())));
        meta.addProperty("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        meta.addProperty("kernel", run.kernel());
        meta.addProperty("arch", "x86_64");
        meta.addProperty("learned_by", "sandbox " + run.version() + " --trace-block-dynamic"
                + (run.fast() ? " (fast mode: syscalls the base policy allowed were not counted)" : ""));
        if (run.base() != null) {
            meta.addProperty("base_policy", run.base().source());
        }
        if (run.ceiling() != null) {
            meta.addProperty("ceiling", run.ceiling().source());
        }
        if (run.exitStatus() != null) {
            meta.addProperty("exit_status", run.exitStatus());
        }
        if (!families.isEmpty()) {
            meta.add("added_by_families", array(families));
        }
        JsonObject counts = prevMeta.has("counts") ? prevMeta.getAsJsonObject("counts").deepCopy() : new JsonObject();
        JsonObject provenance = prevMeta.has("provenance") ? prevMeta.getAsJsonObject("provenance").deepCopy()
                : new JsonObject();
        Set<String> denied = new TreeSet<>();
        if (prevMeta.has("denied")) {
            prevMeta.getAsJsonArray("denied").forEach(e -> denied.add(e.getAsString()));
        }
        for (Map.Entry<SyscallRef, Counts> e : new TreeMap<>(seen).entrySet()) {
            Counts c = e.getValue();
            String key = e.getKey().toString();
            if (c.allowed > 0) {
                long old = counts.has(key) ? counts.get(key).getAsLong() : 0;
                counts.addProperty(key, old + c.allowed);
            }
            if (c.denied > 0) {
                denied.add(key);
            }
            if (!provenance.has(key)) {
                JsonObject p = new JsonObject();
                p.addProperty("first_pid", c.firstPid);
                p.addProperty("first_executable", c.firstExe);
                p.addProperty("first_seen", c.firstSeen.truncatedTo(ChronoUnit.MILLIS).toString());
                p.addProperty("decided_by", c.decidedBy);
                p.addProperty("calls", c.allowed + c.denied);
                p.addProperty("executables", c.executables.size());
                if (c.denied > 0) {
                    p.addProperty("denied", c.denied);
                }
                provenance.add(key, p);
            }
        }
        denied.removeAll(allow);
        meta.add("counts", counts);
        meta.add("denied", array(denied));
        meta.add("provenance", provenance);
        JsonArray history = prevMeta.has("runs") ? prevMeta.getAsJsonArray("runs").deepCopy() : new JsonArray();
        JsonObject thisRun = new JsonObject();
        thisRun.addProperty("date", meta.get("date").getAsString());
        thisRun.add("command", array(run.command()));
        thisRun.add("new_syscalls", array(run.previous() == null ? List.of() : added));
        history.add(thisRun);
        meta.add("runs", history);
        root.add("metadata", meta);

        int quiet = 0;
        for (int i = history.size() - 1; i >= 1; i--) {
            if (history.get(i).getAsJsonObject().getAsJsonArray("new_syscalls").isEmpty()) {
                quiet++;
            } else {
                break;
            }
        }
        return new Export(root, added, history.size(), quiet);
    }

    private static JsonArray array(Iterable<String> items) {
        JsonArray a = new JsonArray();
        items.forEach(a::add);
        return a;
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
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            // createTempFile made it 0600; a policy is not a secret
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
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

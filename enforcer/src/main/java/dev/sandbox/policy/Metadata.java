package dev.sandbox.policy;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a policy records about how it was made: the learning runs, counts, provenance, the outcome {@code sandbox
 * verify} compares with. The enforcer ignores all of it. Typed where the learner, the merge and the tools read it;
 * every other key (and a known key whose value has another shape, as in hand-written files) is kept verbatim in
 * {@code extra}, so that loading and writing a policy never loses anything. Syscalls are keyed by their policy text
 * form ({@code "read"}, {@code "i386:mkdir"}, {@code "1000"}).
 *
 * @param learnedBy      "sandbox VERSION --trace-block-dynamic ..."
 * @param exitStatus     the program's exit status in the learning run
 * @param counts         how often each syscall ran
 * @param denied         syscalls refused at least once and never allowed
 * @param addedByFamilies syscalls listed only because a sibling ran (docs/policy-format.md, families)
 * @param made           how a hand-made or generated policy was made
 * @param mergedFrom     the files {@code sandbox policy merge} read
 * @param edited         how many times {@code sandbox edit} saved it
 */
public record Metadata(String program, List<String> args, String date, String kernel, String arch, String learnedBy,
        String basePolicy, String ceiling, Integer exitStatus, String cwd, Outcome outcome,
        SortedMap<String, Long> counts, SortedSet<String> denied, SortedMap<String, Provenance> provenance,
        List<Run> runs, SortedSet<String> addedByFamilies, String made, List<String> mergedFrom, Integer edited,
        JsonObject extra) {
    public static final Metadata EMPTY = new Builder().build();

    public Metadata {
        args = args == null ? null : List.copyOf(args);
        counts = unmodifiable(counts == null ? new TreeMap<>() : new TreeMap<>(counts));
        denied = java.util.Collections.unmodifiableSortedSet(denied == null ? new TreeSet<>() : new TreeSet<>(denied));
        provenance = unmodifiable(provenance == null ? new TreeMap<>() : new TreeMap<>(provenance));
        runs = runs == null ? List.of() : List.copyOf(runs);
        addedByFamilies = java.util.Collections.unmodifiableSortedSet(addedByFamilies == null ? new TreeSet<>()
                : new TreeSet<>(addedByFamilies));
        mergedFrom = mergedFrom == null ? null : List.copyOf(mergedFrom);
        extra = extra == null ? new JsonObject() : extra.deepCopy();
    }

    private static <V> SortedMap<String, V> unmodifiable(TreeMap<String, V> m) {
        return java.util.Collections.unmodifiableSortedMap(m);
    }

    /** The outcome of the learning run: exit status, and the hashes of stdout/stderr when they were captured. */
    public record Outcome(Integer exitStatus, String stdoutSha256, String stderrSha256, JsonObject extra) {
        public Outcome {
            extra = extra == null ? new JsonObject() : extra.deepCopy();
        }

        public Outcome(Integer exitStatus, String stdoutSha256, String stderrSha256) {
            this(exitStatus, stdoutSha256, stderrSha256, null);
        }
    }

    /** Who made a syscall first, when, how often, from how many executables, and who decided it. */
    public record Provenance(Integer firstPid, String firstExecutable, String firstSeen, String decidedBy, Long calls,
            Integer executables, Long denied, JsonObject extra) {
        public Provenance {
            extra = extra == null ? new JsonObject() : extra.deepCopy();
        }
    }

    /** One learning run merged into the policy: when, the command, what it added. */
    public record Run(String date, List<String> command, List<String> newSyscalls, JsonObject extra) {
        public Run {
            command = command == null ? null : List.copyOf(command);
            newSyscalls = newSyscalls == null ? null : List.copyOf(newSyscalls);
            extra = extra == null ? new JsonObject() : extra.deepCopy();
        }

        public Run(String date, List<String> command, List<String> newSyscalls) {
            this(date, command, newSyscalls, null);
        }
    }

    public boolean isEmpty() {
        return equals(EMPTY);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** A mutable copy to change a few fields of: {@code meta.toBuilder().cwd("/x").build()}. */
    public static final class Builder {
        private String program;
        private List<String> args;
        private String date;
        private String kernel;
        private String arch;
        private String learnedBy;
        private String basePolicy;
        private String ceiling;
        private Integer exitStatus;
        private String cwd;
        private Outcome outcome;
        private SortedMap<String, Long> counts = new TreeMap<>();
        private SortedSet<String> denied = new TreeSet<>();
        private SortedMap<String, Provenance> provenance = new TreeMap<>();
        private List<Run> runs = new ArrayList<>();
        private SortedSet<String> addedByFamilies = new TreeSet<>();
        private String made;
        private List<String> mergedFrom;
        private Integer edited;
        private JsonObject extra = new JsonObject();

        public Builder() {}

        Builder(Metadata m) {
            program = m.program;
            args = m.args;
            date = m.date;
            kernel = m.kernel;
            arch = m.arch;
            learnedBy = m.learnedBy;
            basePolicy = m.basePolicy;
            ceiling = m.ceiling;
            exitStatus = m.exitStatus;
            cwd = m.cwd;
            outcome = m.outcome;
            counts = new TreeMap<>(m.counts);
            denied = new TreeSet<>(m.denied);
            provenance = new TreeMap<>(m.provenance);
            runs = new ArrayList<>(m.runs);
            addedByFamilies = new TreeSet<>(m.addedByFamilies);
            made = m.made;
            mergedFrom = m.mergedFrom;
            edited = m.edited;
            extra = m.extra.deepCopy();
        }

        public Builder program(String v) { program = v; return this; }
        public Builder args(List<String> v) { args = v; return this; }
        public Builder date(String v) { date = v; return this; }
        public Builder kernel(String v) { kernel = v; return this; }
        public Builder arch(String v) { arch = v; return this; }
        public Builder learnedBy(String v) { learnedBy = v; return this; }
        public Builder basePolicy(String v) { basePolicy = v; return this; }
        public Builder ceiling(String v) { ceiling = v; return this; }
        public Builder exitStatus(Integer v) { exitStatus = v; return this; }
        public Builder cwd(String v) { cwd = v; return this; }
        public Builder outcome(Outcome v) { outcome = v; return this; }
        public Builder counts(Map<String, Long> v) { counts = new TreeMap<>(v); return this; }
        public Builder denied(Set<String> v) { denied = new TreeSet<>(v); return this; }
        public Builder provenance(Map<String, Provenance> v) { provenance = new TreeMap<>(v); return this; }
        public Builder runs(List<Run> v) { runs = new ArrayList<>(v); return this; }
        public Builder addedByFamilies(Set<String> v) { addedByFamilies = new TreeSet<>(v); return this; }
        public Builder made(String v) { made = v; return this; }
        public Builder mergedFrom(List<String> v) { mergedFrom = v; return this; }
        public Builder edited(Integer v) { edited = v; return this; }
        public Builder extra(JsonObject v) { extra = v == null ? new JsonObject() : v.deepCopy(); return this; }

        public Metadata build() {
            return new Metadata(program, args, date, kernel, arch, learnedBy, basePolicy, ceiling, exitStatus, cwd,
                    outcome, counts, denied, provenance, runs, addedByFamilies, made, mergedFrom, edited, extra);
        }
    }

    // ---- JSON: the one place that knows the metadata keys ----

    /** The typed view of a metadata object; anything that does not fit its type stays in {@code extra}. */
    public static Metadata fromJson(JsonObject o) {
        if (o == null) {
            return EMPTY;
        }
        Builder b = new Builder();
        JsonObject extra = new JsonObject();
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            JsonElement v = e.getValue();
            boolean typed = switch (e.getKey()) {
                case "program" -> set(str(v), x -> b.program = x);
                case "args" -> set(strings(v), x -> b.args = x);
                case "date" -> set(str(v), x -> b.date = x);
                case "kernel" -> set(str(v), x -> b.kernel = x);
                case "arch" -> set(str(v), x -> b.arch = x);
                case "learned_by" -> set(str(v), x -> b.learnedBy = x);
                case "base_policy" -> set(str(v), x -> b.basePolicy = x);
                case "ceiling" -> set(str(v), x -> b.ceiling = x);
                case "exit_status" -> set(integer(v), x -> b.exitStatus = x);
                case "cwd" -> set(str(v), x -> b.cwd = x);
                case "outcome" -> set(outcome(v), x -> b.outcome = x);
                case "counts" -> set(counts(v), x -> b.counts = x);
                case "denied" -> set(sorted(strings(v)), x -> b.denied = x);
                case "provenance" -> set(provenance(v), x -> b.provenance = x);
                case "runs" -> set(runs(v), x -> b.runs = x);
                case "added_by_families" -> set(sorted(strings(v)), x -> b.addedByFamilies = x);
                case "made" -> set(str(v), x -> b.made = x);
                case "merged_from" -> set(strings(v), x -> b.mergedFrom = x);
                case "edited" -> set(integer(v), x -> b.edited = x);
                default -> false;
            };
            if (!typed) {
                extra.add(e.getKey(), v.deepCopy());
            }
        }
        b.extra = extra;
        return b.build();
    }

    /** The metadata object as the writer puts it in a file: typed keys in a fixed order, then {@code extra}. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        put(o, "program", program);
        if (args != null) {
            o.add("args", array(args));
        }
        put(o, "date", date);
        put(o, "kernel", kernel);
        put(o, "arch", arch);
        put(o, "learned_by", learnedBy);
        put(o, "made", made);
        put(o, "base_policy", basePolicy);
        put(o, "ceiling", ceiling);
        if (exitStatus != null) {
            o.addProperty("exit_status", exitStatus);
        }
        put(o, "cwd", cwd);
        if (outcome != null) {
            JsonObject out = new JsonObject();
            if (outcome.exitStatus() != null) {
                out.addProperty("exit_status", outcome.exitStatus());
            }
            put(out, "stdout_sha256", outcome.stdoutSha256());
            put(out, "stderr_sha256", outcome.stderrSha256());
            outcome.extra().entrySet().forEach(e -> out.add(e.getKey(), e.getValue().deepCopy()));
            o.add("outcome", out);
        }
        if (!addedByFamilies.isEmpty()) {
            o.add("added_by_families", array(addedByFamilies));
        }
        if (mergedFrom != null) {
            o.add("merged_from", array(mergedFrom));
        }
        if (!counts.isEmpty()) {
            JsonObject c = new JsonObject();
            counts.forEach(c::addProperty);
            o.add("counts", c);
        }
        if (!denied.isEmpty()) {
            o.add("denied", array(denied));
        }
        if (!provenance.isEmpty()) {
            JsonObject p = new JsonObject();
            provenance.forEach((k, v) -> p.add(k, provenance(v)));
            o.add("provenance", p);
        }
        if (!runs.isEmpty()) {
            JsonArray r = new JsonArray();
            for (Run run : runs) {
                JsonObject j = new JsonObject();
                put(j, "date", run.date());
                if (run.command() != null) {
                    j.add("command", array(run.command()));
                }
                if (run.newSyscalls() != null) {
                    j.add("new_syscalls", array(run.newSyscalls()));
                }
                run.extra().entrySet().forEach(e -> j.add(e.getKey(), e.getValue().deepCopy()));
                r.add(j);
            }
            o.add("runs", r);
        }
        if (edited != null) {
            o.addProperty("edited", edited);
        }
        extra.entrySet().forEach(e -> o.add(e.getKey(), e.getValue().deepCopy()));
        return o;
    }

    private static JsonObject provenance(Provenance v) {
        JsonObject j = new JsonObject();
        if (v.firstPid() != null) {
            j.addProperty("first_pid", v.firstPid());
        }
        put(j, "first_executable", v.firstExecutable());
        put(j, "first_seen", v.firstSeen());
        put(j, "decided_by", v.decidedBy());
        if (v.calls() != null) {
            j.addProperty("calls", v.calls());
        }
        if (v.executables() != null) {
            j.addProperty("executables", v.executables());
        }
        if (v.denied() != null) {
            j.addProperty("denied", v.denied());
        }
        v.extra().entrySet().forEach(e -> j.add(e.getKey(), e.getValue().deepCopy()));
        return j;
    }

    private static void put(JsonObject o, String key, String value) {
        if (value != null) {
            o.addProperty(key, value);
        }
    }

    private static JsonArray array(Iterable<String> items) {
        JsonArray a = new JsonArray();
        items.forEach(a::add);
        return a;
    }

    private static <T> boolean set(T value, java.util.function.Consumer<T> to) {
        if (value == null) {
            return false;
        }
        to.accept(value);
        return true;
    }

    private static String str(JsonElement v) {
        return v.isJsonPrimitive() && v.getAsJsonPrimitive().isString() ? v.getAsString() : null;
    }

    private static Long whole(JsonElement v) {
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            return null;
        }
        try {
            return new java.math.BigDecimal(v.getAsString()).longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            return null;
        }
    }

    private static Integer integer(JsonElement v) {
        Long n = whole(v);
        return n != null && n == n.intValue() ? n.intValue() : null;
    }

    private static List<String> strings(JsonElement v) {
        if (!v.isJsonArray()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (JsonElement e : v.getAsJsonArray()) {
            String s = str(e);
            if (s == null) {
                return null;
            }
            out.add(s);
        }
        return out;
    }

    private static SortedSet<String> sorted(List<String> list) {
        if (list == null || new TreeSet<>(list).size() != list.size()
                || !new ArrayList<>(new TreeSet<>(list)).equals(list)) {
            return null; // not a sorted set: keep the original as written
        }
        return new TreeSet<>(list);
    }

    private static SortedMap<String, Long> counts(JsonElement v) {
        if (!v.isJsonObject()) {
            return null;
        }
        SortedMap<String, Long> out = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : v.getAsJsonObject().entrySet()) {
            Long n = whole(e.getValue());
            if (n == null) {
                return null;
            }
            out.put(e.getKey(), n);
        }
        return out;
    }

    private static Outcome outcome(JsonElement v) {
        if (!v.isJsonObject()) {
            return null;
        }
        Map<String, JsonElement> fields = new LinkedHashMap<>();
        v.getAsJsonObject().entrySet().forEach(e -> fields.put(e.getKey(), e.getValue()));
        Integer exit = take(fields, "exit_status", Metadata::integer);
        String out = take(fields, "stdout_sha256", Metadata::str);
        String err = take(fields, "stderr_sha256", Metadata::str);
        return new Outcome(exit, out, err, rest(fields));
    }

    private static SortedMap<String, Provenance> provenance(JsonElement v) {
        if (!v.isJsonObject()) {
            return null;
        }
        SortedMap<String, Provenance> out = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : v.getAsJsonObject().entrySet()) {
            if (!e.getValue().isJsonObject()) {
                return null;
            }
            Map<String, JsonElement> f = new LinkedHashMap<>();
            e.getValue().getAsJsonObject().entrySet().forEach(x -> f.put(x.getKey(), x.getValue()));
            out.put(e.getKey(), new Provenance(take(f, "first_pid", Metadata::integer),
                    take(f, "first_executable", Metadata::str), take(f, "first_seen", Metadata::str),
                    take(f, "decided_by", Metadata::str), take(f, "calls", Metadata::whole),
                    take(f, "executables", Metadata::integer), take(f, "denied", Metadata::whole), rest(f)));
        }
        return out;
    }

    private static List<Run> runs(JsonElement v) {
        if (!v.isJsonArray()) {
            return null;
        }
        List<Run> out = new ArrayList<>();
        for (JsonElement e : v.getAsJsonArray()) {
            if (!e.isJsonObject()) {
                return null;
            }
            Map<String, JsonElement> f = new LinkedHashMap<>();
            e.getAsJsonObject().entrySet().forEach(x -> f.put(x.getKey(), x.getValue()));
            out.add(new Run(take(f, "date", Metadata::str), take(f, "command", Metadata::strings),
                    take(f, "new_syscalls", Metadata::strings), rest(f)));
        }
        return out;
    }

    /** Removes and converts {@code key} when it has the expected shape; otherwise leaves it for {@code extra}. */
    private static <T> T take(Map<String, JsonElement> fields, String key,
            java.util.function.Function<JsonElement, T> convert) {
        JsonElement v = fields.get(key);
        if (v == null) {
            return null;
        }
        T t = convert.apply(v);
        if (t != null) {
            fields.remove(key);
        }
        return t;
    }

    private static JsonObject rest(Map<String, JsonElement> fields) {
        JsonObject o = new JsonObject();
        fields.forEach((k, x) -> o.add(k, x.deepCopy()));
        return o;
    }

    static JsonElement json(String s) {
        return new JsonPrimitive(s);
    }
}

package dev.sandbox.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.learn.LearnedPolicy;
import dev.sandbox.policy.Action;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.policy.PolicyResolver;
import dev.sandbox.policy.Rule;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallKnowledge;
import dev.sandbox.syscall.SyscallNames;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sandbox policy show|check|diff|merge}: non-interactive, scriptable, stable output. "Dangerous" means high
 * risk in the syscall table ({@link SyscallKnowledge}).
 */
@Command(name = "policy", mixinStandardHelpOptions = true,
        description = "Inspect, check, compare and merge policies.",
        subcommands = {PolicyCommand.Show.class, PolicyCommand.Check.class, PolicyCommand.Diff.class,
            PolicyCommand.Merge.class})
final class PolicyCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new SandboxException("policy needs a subcommand: show, check, diff or merge (try 'sandbox policy "
                + "--help')", ExitCodes.REFUSED);
    }

    static Policy load(String arg, List<String> warnings) {
        Path file = PolicyResolver.resolve(arg);
        return new PolicyLoader(warnings::add).load(file, arg.contains("/") || arg.endsWith(".json") ? arg
                : file.toString());
    }

    static boolean dangerous(SyscallRef s) {
        return SyscallKnowledge.of(s.name()).risk() == SyscallKnowledge.Risk.HIGH;
    }

    static String describe(Policy p) {
        return p.mode().label() + " mode, " + p.syscalls().size() + " syscalls, refused calls get "
                + p.action().describe() + (p.rules().isEmpty() ? "" : ", " + p.rules().size() + " rules");
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "List a policy: syscalls with where each "
            + "came from (for learned policies), rules, and the dangerous ones marked.")
    static final class Show implements Callable<Integer> {
        @Parameters(paramLabel = "POLICY")
        String policy;

        @Override
        public Integer call() {
            List<String> warnings = new ArrayList<>();
            Policy p = load(policy, warnings);
            PrintStream out = System.out;
            out.println("policy " + p.source() + ": " + describe(p));
            if (p.knownUpTo() != null) {
                out.println("known up to " + p.knownUpTo() + ": newer syscalls get ENOSYS");
            }
            JsonObject meta = p.metadata();
            if (meta.has("program")) {
                out.println("learned from " + meta.get("program").getAsString()
                        + (meta.has("runs") ? " over " + meta.getAsJsonArray("runs").size() + " run(s)" : "")
                        + (meta.has("date") ? ", last " + meta.get("date").getAsString() : ""));
            }
            JsonObject provenance = meta.has("provenance") ? meta.getAsJsonObject("provenance") : new JsonObject();
            JsonObject counts = meta.has("counts") ? meta.getAsJsonObject("counts") : new JsonObject();
            Set<String> siblings = new TreeSet<>();
            if (meta.has("added_by_families")) {
                meta.getAsJsonArray("added_by_families").forEach(e -> siblings.add(e.getAsString()));
            }
            String verb = p.mode() == dev.sandbox.policy.Mode.ALLOW ? "allowed" : "refused";
            Map<String, Set<SyscallRef>> byCategory = new TreeMap<>();
            for (SyscallRef s : p.syscalls()) {
                byCategory.computeIfAbsent(SyscallKnowledge.of(s.name()).category(), k -> new TreeSet<>()).add(s);
            }
            for (Map.Entry<String, Set<SyscallRef>> group : byCategory.entrySet()) {
                out.println();
                out.println(verb + ", " + group.getKey() + ":");
                for (SyscallRef s : group.getValue()) {
                    String l = line(s, counts, provenance);
                    out.println(siblings.contains(s.toString()) ? l + "  (family of a learned syscall)" : l);
                }
            }
            for (Rule r : p.rules()) {
                out.println();
                out.println("rule, " + r.action().describe() + ":");
                for (SyscallRef s : new TreeSet<>(r.syscalls())) {
                    out.println(line(s, counts, provenance));
                }
            }
            return 0;
        }

        private static String line(SyscallRef s, JsonObject counts, JsonObject provenance) {
            StringBuilder b = new StringBuilder(String.format("  %-22s", s));
            String key = s.toString();
            if (counts.has(key)) {
                long n = counts.get(key).getAsLong();
                b.append(String.format(" %8d call%s", n, n == 1 ? " " : "s"));
            }
            if (provenance.has(key)) {
                JsonObject pr = provenance.getAsJsonObject(key);
                b.append("  first ").append(str(pr, "first_executable")).append(" (pid ").append(str(pr, "first_pid"))
                        .append("), decided by ").append(str(pr, "decided_by"));
            }
            if (dangerous(s)) {
                b.append("  [high risk: ").append(SyscallKnowledge.of(s.name()).description()).append("]");
            }
            return b.toString().stripTrailing();
        }

        private static String str(JsonObject o, String key) {
            return o.has(key) ? o.get(key).getAsString() : "?";
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true, description = "Validate a policy (exit 125 and the "
            + "error if it is invalid) and warn about dangerous syscalls it allows (exit 0, or 1 with --strict).")
    static final class Check implements Callable<Integer> {
        @Parameters(paramLabel = "POLICY")
        String policy;

        @Option(names = "--strict", description = "Exit 1 when there are warnings.")
        boolean strict;

        @Override
        public Integer call() {
            List<String> warnings = new ArrayList<>();
            Policy p = load(policy, warnings);
            for (String name : SyscallNames.all(Arch.X86_64)) {
                SyscallRef s = new SyscallRef(Arch.X86_64, name);
                boolean runs = !p.refuses(s) || (p.ruleFor(s) != null && p.ruleFor(s).kind() == Action.Kind.LOG);
                if (runs && dangerous(s)) {
                    warnings.add("policy " + p.source() + ": allows " + s + " (high risk: "
                            + SyscallKnowledge.of(name).description() + ")");
                }
            }
            PrintStream out = System.out;
            for (String w : warnings) {
                out.println("warning: " + w);
            }
            out.println("policy " + p.source() + ": valid: " + describe(p) + (warnings.isEmpty() ? ""
                    : "; " + warnings.size() + " warning" + (warnings.size() == 1 ? "" : "s")));
            return strict && !warnings.isEmpty() ? 1 : 0;
        }
    }

    @Command(name = "diff", mixinStandardHelpOptions = true, description = "Compare two policies: what only one of "
            + "them lists, and how their mode, action and rules differ. Exit 0 when they enforce the same, 1 otherwise.")
    static final class Diff implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "A")
        String a;

        @Parameters(index = "1", paramLabel = "B")
        String b;

        @Override
        public Integer call() {
            Policy pa = load(a, new ArrayList<>());
            Policy pb = load(b, new ArrayList<>());
            PrintStream out = System.out;
            out.println("--- " + pa.source());
            out.println("+++ " + pb.source());
            int changes = 0;
            if (pa.mode() != pb.mode()) {
                out.println("mode: " + pa.mode().label() + " -> " + pb.mode().label());
                changes++;
            }
            if (!pa.action().equals(pb.action())) {
                out.println("action: " + pa.action().describe() + " -> " + pb.action().describe());
                changes++;
            }
            if (!String.valueOf(pa.knownUpTo()).equals(String.valueOf(pb.knownUpTo()))) {
                out.println("known_up_to: " + pa.knownUpTo() + " -> " + pb.knownUpTo());
                changes++;
            }
            changes += listDiff(out, "", new TreeSet<>(pa.syscalls()), new TreeSet<>(pb.syscalls()));
            Map<String, Set<SyscallRef>> ra = rules(pa);
            Map<String, Set<SyscallRef>> rb = rules(pb);
            Set<String> actions = new TreeSet<>(ra.keySet());
            actions.addAll(rb.keySet());
            for (String action : actions) {
                changes += listDiff(out, "rule " + action + ": ", ra.getOrDefault(action, Set.of()),
                        rb.getOrDefault(action, Set.of()));
            }
            if (changes == 0) {
                out.println("same");
            }
            return changes == 0 ? 0 : 1;
        }

        private static Map<String, Set<SyscallRef>> rules(Policy p) {
            Map<String, Set<SyscallRef>> m = new TreeMap<>();
            for (Rule r : p.rules()) {
                m.computeIfAbsent(r.action().describe(), k -> new TreeSet<>()).addAll(r.syscalls());
            }
            return m;
        }

        private static int listDiff(PrintStream out, String prefix, Set<SyscallRef> a, Set<SyscallRef> b) {
            int n = 0;
            Set<SyscallRef> all = new TreeSet<>(a);
            all.addAll(b);
            for (SyscallRef s : all) {
                if (!b.contains(s)) {
                    out.println("- " + prefix + s);
                    n++;
                } else if (!a.contains(s)) {
                    out.println("+ " + prefix + s);
                    n++;
                }
            }
            return n;
        }
    }

    @Command(name = "merge", mixinStandardHelpOptions = true, description = "Merge allowlists (several learning "
            + "runs of one program): the union of their syscalls, their rules minus what any of them allows, summed "
            + "counts, the first provenance, every run. Written atomically.")
    static final class Merge implements Callable<Integer> {
        @Parameters(paramLabel = "POLICY", arity = "2..*")
        List<String> policies;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT")
        Path output;

        @Override
        public Integer call() throws IOException {
            Set<String> allow = new TreeSet<>();
            Set<String> refused = new TreeSet<>();
            JsonObject counts = new JsonObject();
            JsonObject provenance = new JsonObject();
            JsonArray runs = new JsonArray();
            JsonObject firstMeta = null;
            String knownUpTo = null;
            for (String arg : policies) {
                Policy p = load(arg, new ArrayList<>());
                if (p.mode() != dev.sandbox.policy.Mode.ALLOW) {
                    throw new SandboxException("policy " + p.source() + " is a block-mode policy; merge unions "
                            + "allowlists", ExitCodes.REFUSED);
                }
                p.syscalls().forEach(s -> allow.add(s.toString()));
                for (Rule r : p.rules()) {
                    if (!r.action().equals(Action.errno(1))) {
                        throw new SandboxException("policy " + p.source() + " has a rule with action "
                                + r.action().describe() + "; merge keeps only EPERM rules", ExitCodes.REFUSED);
                    }
                    r.syscalls().forEach(s -> refused.add(s.toString()));
                }
                if (p.knownUpTo() != null && (knownUpTo == null
                        || SyscallNames.number(Arch.X86_64, p.knownUpTo()) < SyscallNames.number(Arch.X86_64,
                                knownUpTo))) {
                    knownUpTo = p.knownUpTo();
                }
                JsonObject meta = p.metadata();
                if (firstMeta == null) {
                    firstMeta = meta;
                }
                if (meta.has("counts")) {
                    for (Map.Entry<String, JsonElement> e : meta.getAsJsonObject("counts").entrySet()) {
                        long old = counts.has(e.getKey()) ? counts.get(e.getKey()).getAsLong() : 0;
                        counts.addProperty(e.getKey(), old + e.getValue().getAsLong());
                    }
                }
                if (meta.has("provenance")) {
                    for (Map.Entry<String, JsonElement> e : meta.getAsJsonObject("provenance").entrySet()) {
                        if (!provenance.has(e.getKey())) {
                            provenance.add(e.getKey(), e.getValue());
                        }
                    }
                }
                if (meta.has("runs")) {
                    runs.addAll(meta.getAsJsonArray("runs"));
                }
            }
            refused.removeAll(allow);
            JsonObject root = new JsonObject();
            root.addProperty("mode", "allow");
            JsonArray list = new JsonArray();
            allow.forEach(list::add);
            root.add("syscalls", list);
            if (!refused.isEmpty()) {
                JsonObject rule = JsonParser.parseString("{\"action\": \"errno\", \"errno\": \"EPERM\"}")
                        .getAsJsonObject();
                JsonArray r = new JsonArray();
                refused.forEach(r::add);
                rule.add("syscalls", r);
                JsonArray rules = new JsonArray();
                rules.add(rule);
                root.add("rules", rules);
            }
            if (knownUpTo != null) {
                root.addProperty("known_up_to", knownUpTo);
            }
            JsonObject meta = new JsonObject();
            if (firstMeta != null && firstMeta.has("program")) {
                meta.add("program", firstMeta.get("program"));
            }
            JsonArray sources = new JsonArray();
            policies.forEach(sources::add);
            meta.add("merged_from", sources);
            meta.add("counts", counts);
            meta.add("provenance", provenance);
            meta.add("runs", runs);
            root.add("metadata", meta);
            // Refuse to write what the loader would reject.
            new PolicyLoader(w -> { }).parse(root.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    output.toString());
            LearnedPolicy.save(root, output);
            System.out.println("merged " + policies.size() + " policies into " + output + ": " + allow.size()
                    + " syscalls" + (refused.isEmpty() ? "" : ", " + refused.size() + " refused with EPERM"));
            return 0;
        }
    }
}

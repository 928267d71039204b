package dev.sandbox.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.policy.Action;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyFile;
import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.policy.PolicyMerge;
import dev.sandbox.policy.Printable;
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

    /** High risk by what the syscall is, whatever entry it came through; a number no table names counts too. */
    static boolean dangerous(SyscallRef s) {
        return s.numeric() || SyscallKnowledge.of(s.identity().name()).risk() == SyscallKnowledge.Risk.HIGH;
    }

    static String why(SyscallRef s) {
        return s.numeric() ? "unknown: no syscall table here names number " + s.name()
                : "high risk: " + SyscallKnowledge.of(s.identity().name()).description();
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
            out.println("policy " + Printable.escape(p.source()) + ": " + describe(p));
            if (p.knownUpTo() != null) {
                out.println("known up to " + p.knownUpTo() + ": newer syscalls get ENOSYS");
            }
            JsonObject meta = p.metadata();
            if (meta.has("program")) {
                out.println("learned from " + Printable.escape(meta.get("program").getAsString())
                        + (meta.has("runs") ? " over " + meta.getAsJsonArray("runs").size() + " run(s)" : "")
                        + (meta.has("date") ? ", last " + Printable.escape(meta.get("date").getAsString()) : ""));
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
                byCategory.computeIfAbsent(SyscallKnowledge.of(s.identity().name()).category(), k -> new TreeSet<>())
                        .add(s);
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
                b.append("  [").append(why(s)).append("]");
            }
            return b.toString().stripTrailing();
        }

        private static String str(JsonObject o, String key) {
            return o.has(key) && o.get(key).isJsonPrimitive() ? Printable.escape(o.get(key).getAsString()) : "?";
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
            // What the enforcer refuses to run, check refuses too.
            p.checkEnforceable();
            String shown = Printable.escape(p.source());
            Set<SyscallRef> candidates = new java.util.LinkedHashSet<>();
            for (Arch arch : List.of(Arch.X86_64, Arch.I386)) {
                for (String name : SyscallNames.all(arch)) {
                    candidates.add(new SyscallRef(arch, name));
                }
            }
            candidates.addAll(p.syscalls());
            candidates.addAll(p.ruled().keySet());
            for (SyscallRef s : candidates) {
                // Judged by what the syscall is: i386 ptrace is ptrace.
                if (!p.actionFor(s).refuses() && dangerous(s)) {
                    warnings.add("policy " + shown + ": allows " + s + " (" + why(s) + ")");
                }
            }
            PrintStream out = System.out;
            for (String w : warnings) {
                out.println("warning: " + w);
            }
            out.println("policy " + Printable.escape(p.source()) + ": valid: " + describe(p) + (warnings.isEmpty() ? ""
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
            out.println("--- " + Printable.escape(pa.source()));
            out.println("+++ " + Printable.escape(pb.source()));
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

    @Command(name = "merge", mixinStandardHelpOptions = true, description = "Merge policies of one mode (several "
            + "learning runs of one program): each syscall gets the most severe treatment any of them gives it, so a "
            + "refusal is never re-granted; summed counts, the first provenance, every run. Written atomically.")
    static final class Merge implements Callable<Integer> {
        @Parameters(paramLabel = "POLICY", arity = "2..*")
        List<String> policies;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT")
        Path output;

        @Override
        @SuppressWarnings("try") // the lock is held for the body, never referenced in it
        public Integer call() throws IOException {
            Policy merged = null;
            for (String arg : policies) {
                Policy p = load(arg, new ArrayList<>());
                merged = merged == null ? p : PolicyMerge.merge(merged, p);
            }
            merged = merged.withSource(output.toString())
                    .withMeta(merged.meta().toBuilder().mergedFrom(policies).build());
            try (PolicyFile.Lock held = PolicyFile.lock(output)) {
                PolicyFile.write(merged, output);
            }
            long refused = merged.ruled().values().stream().filter(Action::refuses).count();
            System.out.println("merged " + policies.size() + " policies into " + Printable.escape(output.toString())
                    + ": " + merged.syscalls().size() + " syscalls" + (refused == 0 ? "" : ", " + refused
                    + " refused by rules"));
            return 0;
        }
    }
}

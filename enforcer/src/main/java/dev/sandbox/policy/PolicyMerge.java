package dev.sandbox.policy;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The one merge of two policies: learning into an existing file ({@code --into}), {@code sandbox policy merge}, and
 * every later combination use it.
 *
 * Each syscall a policy names has a treatment (listed, or a rule); the merge gives every syscall the most severe
 * treatment either side gives it (allow &lt; log &lt; errno &lt; trap &lt; kill). So a syscall refused in one policy
 * stays refused, whatever the other allows: a refusal is never re-granted by a merge. Both must have the same mode;
 * the action for unlisted syscalls is the more severe of the two, {@code known_up_to} the older.
 *
 * Metadata: the second policy is the newer. Its program, arguments, directory and outcome are kept as a group (the
 * command {@code verify} re-runs and the outcome it compares with must belong together); counts are summed, the
 * first provenance of each syscall is kept, runs are concatenated.
 */
public final class PolicyMerge {
    private PolicyMerge() {}

    public static Policy merge(Policy a, Policy b) {
        if (a.mode() != b.mode()) {
            throw new SandboxException("cannot merge " + Printable.escape(b.source()) + " (" + b.mode().label()
                    + " mode) into " + Printable.escape(a.source()) + " (" + a.mode().label() + " mode): merge "
                    + "policies of one mode", ExitCodes.REFUSED);
        }
        Mode mode = a.mode();
        Action action = a.action().severest(b.action());
        Map<SyscallRef, Action> treatment = new TreeMap<>();
        for (Policy p : List.of(a, b)) {
            Action listed = mode == Mode.ALLOW ? Action.ALLOW : p.action();
            for (SyscallRef s : p.syscalls()) {
                treatment.merge(s, listed, Action::severest);
            }
            p.ruled().forEach((s, r) -> treatment.merge(s, r, Action::severest));
        }
        Set<SyscallRef> syscalls = new LinkedHashSet<>();
        Map<SyscallRef, Action> rules = new TreeMap<>();
        treatment.forEach((s, t) -> {
            if (mode == Mode.ALLOW ? t.kind() == Action.Kind.ALLOW : t.equals(action)) {
                syscalls.add(s);
            } else {
                rules.put(s, t);
            }
        });
        // A profile's isolation is a setting, not a list to union: the file merged into keeps its own.
        return new Policy(b.source(), mode, action, new ArrayList<>(syscalls), Policy.group(rules),
                older(a.knownUpTo(), b.knownUpTo()), meta(a.meta(), b.meta(), syscalls, mode))
                .withIsolation(a.isolation() != null ? a.isolation() : b.isolation());
    }

    /** The older of two known_up_to names (the machine that knew less decides what counts as newer). */
    static String older(String x, String y) {
        if (x == null || y == null) {
            return x == null ? y : x;
        }
        return SyscallNames.number(Arch.X86_64, y) < SyscallNames.number(Arch.X86_64, x) ? y : x;
    }

    private static Metadata meta(Metadata a, Metadata b, Set<SyscallRef> allowed, Mode mode) {
        Metadata run = b.program() != null ? b : a;
        Metadata.Builder m = run.toBuilder();
        m.date(b.date() != null ? b.date() : a.date());
        m.kernel(b.kernel() != null ? b.kernel() : a.kernel());
        m.arch(b.arch() != null ? b.arch() : a.arch());
        m.learnedBy(b.learnedBy() != null ? b.learnedBy() : a.learnedBy());
        m.basePolicy(b.basePolicy() != null ? b.basePolicy() : a.basePolicy());
        m.ceiling(b.ceiling() != null ? b.ceiling() : a.ceiling());
        m.made(b.made() != null ? b.made() : a.made());
        m.edited(b.edited() != null ? b.edited() : a.edited());
        m.mergedFrom(b.mergedFrom() != null ? b.mergedFrom() : a.mergedFrom());
        Map<String, Long> counts = new TreeMap<>(a.counts());
        b.counts().forEach((k, v) -> counts.merge(k, v, Long::sum));
        m.counts(counts);
        Map<String, Metadata.Provenance> provenance = new TreeMap<>(b.provenance());
        provenance.putAll(a.provenance());
        m.provenance(provenance);
        List<Metadata.Run> runs = new ArrayList<>(a.runs());
        runs.addAll(b.runs());
        m.runs(runs);
        Set<String> listed = new HashSet<>();
        if (mode == Mode.ALLOW) {
            allowed.forEach(s -> listed.add(s.toString()));
        }
        Set<String> denied = new TreeSet<>(a.denied());
        denied.addAll(b.denied());
        denied.removeAll(listed);
        m.denied(denied);
        Set<String> families = new TreeSet<>(a.addedByFamilies());
        families.addAll(b.addedByFamilies());
        families.retainAll(listed);
        m.addedByFamilies(families);
        com.google.gson.JsonObject extra = a.extra().deepCopy();
        b.extra().entrySet().forEach(e -> extra.add(e.getKey(), e.getValue().deepCopy()));
        m.extra(extra);
        return m.build();
    }
}

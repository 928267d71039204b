package dev.sandbox.learn;

import dev.sandbox.policy.Action;
import dev.sandbox.policy.ErrnoName;
import dev.sandbox.policy.Metadata;
import dev.sandbox.policy.Mode;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyMerge;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
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
 * What a learning session saw: every syscall observed, how often it was allowed and refused, by whom first. Exported
 * as a {@link Policy} (written by the one writer, merged by the one merge):
 * <ul>
 * <li>an allowlist of the syscalls that ran, plus their families ({@link Families});</li>
 * <li>a rule for every syscall that was refused and never allowed, so the enforcer treats the program the way
 *     learning did: {@code errno} (EPERM, or the errno the base's rule gave) for every block, lasting or not (a
 *     timeout, {@code n}, {@code --on-unknown block}, no terminal, the ceiling), {@code kill} where the person chose
 *     kill;</li>
 * <li>nothing that was refused is ever allowed by what is derived from it: families skip refused syscalls, the
 *     base's refusals and the ceiling; a merge keeps the most severe treatment;</li>
 * <li>calls a policy cannot name (x32, numbers that are no syscall, i386 numbers without a name) are only in the
 *     metadata: the enforcer refuses them as foreign anyway.</li>
 * </ul>
 * Not thread-safe: the tracer thread records, the export runs after.
 */
public final class LearnedPolicy {
    private static final class Counts {
        long allowed;
        long denied;
        /** The person (or --on-unknown kill) chose kill for it. */
        boolean killed;
        /** The errno of its first block. */
        int errno;
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
        switch (d.verdict()) {
            case ALLOW -> c.allowed++;
            case BLOCK -> {
                if (c.denied++ == 0 || c.errno == 0) {
                    c.errno = d.errno();
                }
            }
            case KILL -> {
                c.denied++;
                c.killed = true;
            }
        }
    }

    /** Syscalls that ran at least once, sorted. */
    public List<SyscallRef> allowed() {
        return seen.entrySet().stream().filter(e -> e.getValue().allowed > 0).map(Map.Entry::getKey).sorted()
                .toList();
    }

    /** Syscalls refused at least once and never allowed, sorted. */
    public List<SyscallRef> denied() {
        return seen.entrySet().stream().filter(e -> e.getValue().denied > 0 && e.getValue().allowed == 0)
                .map(Map.Entry::getKey).sorted().toList();
    }

    /**
     * Facts about the run for the export.
     *
     * @param fast     fast mode: syscalls the base allowed never stopped, so the export lists the whole base
     * @param ceiling  never allowed by the export, whatever the base says; may be null
     * @param families list each learned syscall's siblings too ({@link Families})
     */
    public record Run(List<String> command, String kernel, String version, Policy base, boolean fast,
            Integer exitStatus, Policy ceiling, boolean families) {
        public Run(List<String> command, String kernel, String version, Policy base, boolean fast,
                Integer exitStatus) {
            this(command, kernel, version, base, fast, exitStatus, null, false);
        }
    }

    /**
     * The policy this run learned.
     *
     * @return an allowlist named {@code source}
     */
    public Policy export(Run run, String source) {
        Set<SyscallRef> learned = new TreeSet<>();
        Map<SyscallRef, Action> refused = new TreeMap<>();
        for (Map.Entry<SyscallRef, Counts> e : seen.entrySet()) {
            SyscallRef s = e.getKey();
            Counts c = e.getValue();
            if (!s.writable()) {
                continue;
            }
            if (c.allowed > 0) {
                learned.add(s);
            } else if (c.denied > 0) {
                refused.put(s, c.killed ? Action.KILL : Action.errno(c.errno > 0 ? c.errno : ErrnoName.EPERM));
            }
        }
        Set<SyscallRef> allow = new TreeSet<>(learned);
        if (run.fast() && run.base() != null && run.base().mode() == Mode.ALLOW) {
            // syscalls the base allowed never stopped the tracer: fast mode cannot tell which of them ran
            for (SyscallRef s : run.base().syscalls()) {
                if (!refused.containsKey(s)) {
                    allow.add(s);
                }
            }
        }
        Set<SyscallRef> families = new TreeSet<>();
        if (run.families()) {
            Set<String> names = new TreeSet<>();
            allow.stream().filter(s -> s.arch() == Arch.X86_64).forEach(s -> names.add(s.name()));
            for (String name : Families.widen(names)) {
                SyscallRef s = new SyscallRef(Arch.X86_64, name);
                if (!names.contains(name) && SyscallNames.known(Arch.X86_64, name) && !refused.containsKey(s)
                        && !refusedByBase(run.base(), s)) {
                    families.add(s);
                }
            }
            allow.addAll(families);
        }
        if (run.ceiling() != null) {
            allow.removeIf(run.ceiling()::refusesByIdentity);
        }

        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        Metadata.Builder meta = new Metadata.Builder()
                .program(run.command().get(0))
                .args(run.command().subList(1, run.command().size()))
                .date(date)
                .kernel(run.kernel())
                .arch("x86_64")
                .learnedBy("sandbox " + run.version() + " --trace-block-dynamic"
                        + (run.fast() ? " (fast mode: syscalls the base policy allowed were not counted)" : ""))
                .basePolicy(run.base() == null ? null : run.base().source())
                .ceiling(run.ceiling() == null ? null : run.ceiling().source())
                .exitStatus(run.exitStatus());
        Set<String> familyNames = new TreeSet<>();
        families.forEach(s -> familyNames.add(s.toString()));
        meta.addedByFamilies(familyNames);
        Map<String, Long> counts = new TreeMap<>();
        Set<String> denied = new TreeSet<>();
        Map<String, Metadata.Provenance> provenance = new TreeMap<>();
        for (Map.Entry<SyscallRef, Counts> e : seen.entrySet()) {
            Counts c = e.getValue();
            String key = e.getKey().toString();
            if (c.allowed > 0) {
                counts.put(key, c.allowed);
            } else {
                denied.add(key);
            }
            provenance.put(key, new Metadata.Provenance(c.firstPid, c.firstExe,
                    c.firstSeen.truncatedTo(ChronoUnit.MILLIS).toString(), c.decidedBy, c.allowed + c.denied,
                    c.executables.size(), c.denied > 0 ? c.denied : null, null));
        }
        meta.counts(counts).denied(denied).provenance(provenance)
                .runs(List.of(new Metadata.Run(date, run.command(), List.of())));
        return Policy.allowlist(source, Action.KILL, allow, refused, newestKnown(), meta.build());
    }

    /** Whether the base refuses {@code s} by name (a rule, or a block list): families must not allow it. */
    private static boolean refusedByBase(Policy base, SyscallRef s) {
        if (base == null) {
            return false;
        }
        Policy.Ruling r = base.explain(s);
        return r.action().refuses() && (r.reason() == Policy.Reason.LISTED || r.reason() == Policy.Reason.RULE);
    }

    /** The newest x86_64 syscall this machine's libseccomp knows: the policy's known_up_to. */
    private static String newestKnown() {
        List<String> all = SyscallNames.all(Arch.X86_64);
        return all.stream().max((a, b) -> Integer.compare(SyscallNames.number(Arch.X86_64, a),
                SyscallNames.number(Arch.X86_64, b))).orElseThrow();
    }

    /**
     * A run merged into a policy learned before.
     *
     * @param added     syscalls this run learned that the previous policy did not allow
     * @param runs      how many runs the policy now records
     * @param quietRuns how many of the latest runs added nothing
     */
    public record Merged(Policy policy, List<String> added, int runs, int quietRuns) {}

    /** Merges {@code learned} (one run, from {@link #export}) into {@code previous} with the one merge. */
    public static Merged into(Policy previous, Policy learned) {
        List<String> added = new ArrayList<>();
        Set<String> families = learned.meta().addedByFamilies();
        for (SyscallRef s : new TreeSet<>(learned.syscalls())) {
            if (!previous.lists(s) && !families.contains(s.toString())) {
                added.add(s.toString());
            }
        }
        List<Metadata.Run> runs = new ArrayList<>();
        for (Metadata.Run r : learned.meta().runs()) {
            runs.add(new Metadata.Run(r.date(), r.command(), added, r.extra()));
        }
        Policy merged = PolicyMerge.merge(previous, learned.withMeta(learned.meta().toBuilder().runs(runs).build()));
        added.removeIf(s -> !merged.lists(SyscallRef.parse(s)));
        List<Metadata.Run> history = merged.meta().runs();
        int quiet = 0;
        for (int i = history.size() - 1; i >= 1; i--) {
            List<String> fresh = history.get(i).newSyscalls();
            if (fresh != null && fresh.isEmpty()) {
                quiet++;
            } else {
                break;
            }
        }
        return new Merged(merged, added, history.size(), quiet);
    }
}

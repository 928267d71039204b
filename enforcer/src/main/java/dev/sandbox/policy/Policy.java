package dev.sandbox.policy;

import com.google.gson.JsonObject;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A policy, and the one answer to "what happens to syscall S on arch A under it" ({@link #explain}): the filter
 * compiler renders exactly that answer into BPF, the learner asks it for its base, the ceiling, {@code policy check}
 * and the editor ask it too, and a truth table in the tests pins it against the function, the compiled filter and
 * the kernel.
 *
 * The rules, in order:
 * <ol>
 * <li>x32 calls (bit 30 of the number) and x86_64 numbers that are not syscall numbers are killed, always.</li>
 * <li>i386 calls ({@code int $0x80}) are killed unless an allowlist names at least one i386 syscall; then i386 is a
 *     second allowlist: named i386 syscalls run, i386 rules apply, every other i386 call gets the action.</li>
 * <li>A syscall in {@code syscalls} runs (allow mode) or gets the action (block mode).</li>
 * <li>A syscall in a rule gets the rule's action, in either mode.</li>
 * <li>Block mode: every other syscall runs. Allow mode: {@code clone3} gets ENOSYS (libc falls back to clone), so
 *     does every syscall newer than {@code known_up_to} (up to {@value #NEWER_MARGIN} past the newest known), and
 *     everything else gets the action.</li>
 * </ol>
 */
public final class Policy {
    /** How far past the newest known syscall {@code known_up_to} gives ENOSYS: a few kernel releases' worth. */
    public static final int NEWER_MARGIN = 64;

    /** Why {@link #explain} answered what it did. */
    public enum Reason {
        /** in {@code syscalls} */
        LISTED,
        /** in a rule */
        RULE,
        /** neither: the mode's default (the action in allow mode, allow in block mode) */
        UNLISTED,
        /** an allowlist's ENOSYS for clone3 and for syscalls newer than known_up_to */
        PORTABILITY,
        /** x32, a number that is no syscall, or an i386 call the policy does not admit */
        FOREIGN_ABI
    }

    /** The answer for one syscall, and why. */
    public record Ruling(Action action, Reason reason) {}

    /**
     * Syscall -1 is the "no syscall" a tracer sets to skip a call; libseccomp's x86_64 filter lets it reach the
     * rules (it falls to the default) instead of treating it as x32, and so does this function.
     */
    private static final int SKIP = -1;

    private static final Ruling FOREIGN = new Ruling(Action.KILL, Reason.FOREIGN_ABI);
    private static final Ruling PORTABLE = new Ruling(Action.ENOSYS, Reason.PORTABILITY);
    private static final Ruling LISTED_ALLOW = new Ruling(Action.ALLOW, Reason.LISTED);
    private static final Ruling UNLISTED_ALLOW = new Ruling(Action.ALLOW, Reason.UNLISTED);

    private final String source;
    private final Mode mode;
    private final Action action;
    private final List<SyscallRef> syscalls;
    private final Set<SyscallRef> listed;
    private final List<Rule> rules;
    private final Map<SyscallRef, Action> ruled;
    private final String knownUpTo;
    private final Metadata meta;
    private final boolean i386;
    private final Ruling listedRuling;
    private final Ruling unlistedRuling;
    /** A profile's isolation section, verbatim (dev.sandbox.isolation.ProfileLoader reads it), or null. */
    private final JsonObject isolation;

    public Policy(String source, Mode mode, Action action, List<SyscallRef> syscalls, JsonObject metadata) {
        this(source, mode, action, syscalls, List.of(), null, Metadata.fromJson(metadata));
    }

    public Policy(String source, Mode mode, Action action, List<SyscallRef> syscalls, List<Rule> rules,
            String knownUpTo, JsonObject metadata) {
        this(source, mode, action, syscalls, rules, knownUpTo, Metadata.fromJson(metadata));
    }

    /**
     * @param source    how to name this policy to a person (the file as given)
     * @param action    what a refused syscall gets: never allow
     * @param syscalls  in file order; duplicates are dropped
     * @param rules     syscalls with an action of their own; a syscall is in at most one place
     * @param knownUpTo the newest x86_64 syscall the machine that learned this policy knew, or null
     */
    public Policy(String source, Mode mode, Action action, List<SyscallRef> syscalls, List<Rule> rules,
            String knownUpTo, Metadata meta) {
        this(source, mode, action, syscalls, rules, knownUpTo, meta, null);
    }

    private Policy(String source, Mode mode, Action action, List<SyscallRef> syscalls, List<Rule> rules,
            String knownUpTo, Metadata meta, JsonObject isolation) {
        if (action.kind() == Action.Kind.ALLOW) {
            throw new IllegalArgumentException("a policy's action is what a refused syscall gets, not allow");
        }
        this.source = source;
        this.mode = mode;
        this.action = action;
        this.syscalls = List.copyOf(new LinkedHashSet<>(syscalls));
        this.listed = Set.copyOf(this.syscalls);
        this.rules = List.copyOf(rules);
        Map<SyscallRef, Action> r = new HashMap<>();
        for (Rule rule : rules) {
            if (rule.action().kind() == Action.Kind.ALLOW) {
                throw new IllegalArgumentException("a rule refuses or logs; allowed syscalls go in \"syscalls\"");
            }
            for (SyscallRef s : rule.syscalls()) {
                if (listed.contains(s) || r.put(s, rule.action()) != null) {
                    throw new IllegalArgumentException(s + " has more than one treatment");
                }
            }
        }
        this.ruled = Map.copyOf(r);
        this.knownUpTo = knownUpTo;
        this.meta = meta == null ? Metadata.EMPTY : meta;
        this.isolation = isolation == null ? null : isolation.deepCopy();
        boolean anyI386 = false;
        for (SyscallRef s : this.syscalls) {
            anyI386 |= s.arch() == Arch.I386;
        }
        for (SyscallRef s : ruled.keySet()) {
            anyI386 |= s.arch() == Arch.I386;
        }
        this.i386 = mode == Mode.ALLOW && anyI386;
        this.listedRuling = mode == Mode.ALLOW ? LISTED_ALLOW : new Ruling(action, Reason.LISTED);
        this.unlistedRuling = mode == Mode.ALLOW ? new Ruling(action, Reason.UNLISTED) : UNLISTED_ALLOW;
    }

    public String source() { return source; }
    public Mode mode() { return mode; }
    /** What a refused syscall gets: the default of an allowlist, the treatment of a blocklist's syscalls. */
    public Action action() { return action; }
    public List<SyscallRef> syscalls() { return syscalls; }
    public List<Rule> rules() { return rules; }
    public String knownUpTo() { return knownUpTo; }
    public Metadata meta() { return meta; }

    /** The metadata as JSON, for callers that read it that way; {@link #meta()} is the typed form. */
    public JsonObject metadata() {
        return meta.toJson();
    }

    public boolean lists(SyscallRef s) {
        return listed.contains(s);
    }

    /** The action a rule gives {@code s}, or null when no rule names it. */
    public Action ruleFor(SyscallRef s) {
        return ruled.get(s);
    }

    /** Every syscall with a rule, and its action, sorted. */
    public Map<SyscallRef, Action> ruled() {
        return new TreeMap<>(ruled);
    }

    /** Whether the filter admits the i386 entry at all (an allowlist naming an i386 syscall). */
    public boolean admitsI386() {
        return i386;
    }

    // ---- the one semantics ----

    /** What happens to {@code s} under this policy. */
    public Action actionFor(SyscallRef s) {
        return explain(s).action();
    }

    /** What happens to syscall {@code nr} entering through {@code arch}: the kernel's view (seccomp_data). */
    public Action actionFor(Arch arch, int nr) {
        return explain(arch, nr).action();
    }

    /**
     * The kernel's view: {@code nr} as seccomp_data carries it. For x86_64 that includes the x32 bit, and numbers
     * with bit 30 or 31 set are not native syscalls.
     */
    public Ruling explain(Arch arch, int nr) {
        if (arch == Arch.X32 || arch == Arch.X86_64 && nr != SKIP && (nr < 0 || nr > SyscallRef.MAX_NUMBER)) {
            return FOREIGN;
        }
        return explain(SyscallRef.of(arch, nr), nr);
    }

    /** An x32 call or an x86_64 number that is no syscall: foreign to every policy, killed by every filter. */
    public static boolean foreign(SyscallRef s) {
        return s.arch() == Arch.X32 || s.numeric() && s.number() < 0 && !s.name().equals("-1");
    }

    /** What happens to {@code s} under this policy, and why. */
    public Ruling explain(SyscallRef s) {
        return explain(s, Integer.MIN_VALUE);
    }

    /** @param number the number of {@code s} when the caller knows it, else Integer.MIN_VALUE */
    private Ruling explain(SyscallRef s, int number) {
        if (foreign(s)) {
            return FOREIGN;
        }
        if (s.arch() == Arch.I386) {
            if (!i386) {
                return FOREIGN;
            }
            if (listed.contains(s)) {
                return LISTED_ALLOW;
            }
            Action r = ruled.get(s);
            return r != null ? new Ruling(r, Reason.RULE) : unlistedRuling;
        }
        if (listed.contains(s)) {
            return listedRuling;
        }
        Action r = ruled.get(s);
        if (r != null) {
            return new Ruling(r, Reason.RULE);
        }
        if (mode == Mode.BLOCK) {
            return UNLISTED_ALLOW;
        }
        if ("clone3".equals(s.name())) {
            return PORTABLE;
        }
        if (knownUpTo != null) {
            // Only known_up_to needs the syscall's number, looked up here: the ceiling check runs at every stop.
            int nr = number != Integer.MIN_VALUE ? number : s.number();
            if (nr > knownNumber() && nr <= newestEnosys()) {
                return PORTABLE;
            }
        }
        return unlistedRuling;
    }

    /** Whether the filter built from this policy refuses {@code s} (errno, trap or kill; log runs). */
    public boolean refuses(SyscallRef s) {
        return actionFor(s).refuses();
    }

    /**
     * As a ceiling: whether this (block-mode) policy refuses the syscall {@code s} is, whatever entry it came
     * through. {@code i386:ptrace} is ptrace, so a ceiling that lists ptrace refuses it too; a syscall only i386
     * has is above the ceiling when the ceiling names it.
     */
    public boolean refusesByIdentity(SyscallRef s) {
        SyscallRef id = s.identity();
        if (id.arch() == Arch.X86_64) {
            return explain(id).action().refuses();
        }
        return lists(id) || (ruled.containsKey(id) && ruled.get(id).refuses());
    }

    /** The x86_64 number of known_up_to; cached, the tracer may ask at every stop. */
    private int knownNumber() {
        if (known == Integer.MIN_VALUE) {
            known = SyscallNames.number(Arch.X86_64, knownUpTo);
        }
        return known;
    }

    private volatile int known = Integer.MIN_VALUE;

    /** The last number known_up_to gives ENOSYS: a margin past the newest syscall either machine knows. */
    public int newestEnosys() {
        return Math.max(SyscallNames.highest(Arch.X86_64), knownNumber()) + NEWER_MARGIN;
    }

    /**
     * Refuses, in a sentence, a policy no program can start under: its filter would refuse execve (the filter is
     * loaded before the launcher's execve). The enforcer, {@code policy check} and the editor all ask this.
     */
    public void checkEnforceable() {
        SyscallRef execve = new SyscallRef(Arch.X86_64, "execve");
        if (refuses(execve)) {
            throw new PolicyException(source, "refuses execve (" + actionFor(execve).describe() + "), so no program "
                    + "could start under it: " + (mode == Mode.ALLOW ? "add \"execve\" to \"syscalls\""
                    : "remove \"execve\" from the refused syscalls"));
        }
    }

    // ---- changed copies ----

    public Policy withSource(String s) {
        return new Policy(s, mode, action, syscalls, rules, knownUpTo, meta, isolation);
    }

    /** A copy without the listed syscalls {@code drop} matches (rules and everything else kept). */
    public Policy without(java.util.function.Predicate<SyscallRef> drop) {
        return new Policy(source, mode, action, syscalls.stream().filter(drop.negate()).toList(), rules, knownUpTo,
                meta, isolation);
    }

    public Policy withMeta(Metadata m) {
        return new Policy(source, mode, action, syscalls, rules, knownUpTo, m, isolation);
    }

    /** A copy carrying a profile's isolation section (null: none). */
    public Policy withIsolation(JsonObject section) {
        return new Policy(source, mode, action, syscalls, rules, knownUpTo, meta, section);
    }

    /** The profile's isolation section as written, or null: a copy, so that the policy stays unchanged. */
    public JsonObject isolation() {
        return isolation == null ? null : isolation.deepCopy();
    }

    /** A copy with these treatments: {@code allowed} listed (an allowlist), {@code ruled} as rules, grouped by action. */
    public static Policy allowlist(String source, Action action, Set<SyscallRef> allowed,
            Map<SyscallRef, Action> ruled, String knownUpTo, Metadata meta) {
        return new Policy(source, Mode.ALLOW, action, new ArrayList<>(new TreeSet<>(allowed)), group(ruled),
                knownUpTo, meta);
    }

    /** Rules with one entry per action, syscalls sorted, actions in order of severity. */
    public static List<Rule> group(Map<SyscallRef, Action> ruled) {
        Map<Action, Set<SyscallRef>> byAction = new TreeMap<>((a, b) -> a.kind() != b.kind()
                ? a.kind().compareTo(b.kind()) : Integer.compare(a.errno(), b.errno()));
        ruled.forEach((s, a) -> byAction.computeIfAbsent(a, k -> new TreeSet<>()).add(s));
        List<Rule> out = new ArrayList<>();
        byAction.forEach((a, s) -> out.add(new Rule(new ArrayList<>(s), a)));
        return out;
    }

    // ---- equality: what the policy says, not how the file was laid out or named ----

    @Override
    public boolean equals(Object o) {
        return o instanceof Policy p && mode == p.mode && action.equals(p.action) && listed.equals(p.listed)
                && ruled.equals(p.ruled) && Objects.equals(knownUpTo, p.knownUpTo) && meta.equals(p.meta)
                && Objects.equals(isolation, p.isolation);
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, action, listed, ruled, knownUpTo, meta);
    }

    @Override
    public String toString() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", mode.label());
        m.put("action", action.describe());
        m.put("syscalls", new TreeSet<>(syscalls));
        m.put("rules", ruled());
        m.put("known_up_to", knownUpTo);
        return "Policy" + m;
    }
}

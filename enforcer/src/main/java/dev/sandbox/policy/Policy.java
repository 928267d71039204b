package dev.sandbox.policy;

import com.google.gson.JsonObject;
import dev.sandbox.syscall.Arch;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.List;
import java.util.Set;

/**
 * A loaded, validated policy. {@code metadata} is whatever the learner recorded (program, counts, ...); the
 * enforcer ignores it.
 */
public final class Policy {
    private final String source;
    private final Mode mode;
    private final Action action;
    private final List<SyscallRef> syscalls;
    private final Set<SyscallRef> listed;
    private final JsonObject metadata;
    private final List<Rule> rules;
    private final Map<SyscallRef, Action> ruled;
    private final String knownUpTo;

    public Policy(String source, Mode mode, Action action, List<SyscallRef> syscalls, JsonObject metadata) {
        this(source, mode, action, syscalls, List.of(), null, metadata);
    }

    /**
     * @param source    how to name this policy to a person (the file as given)
     * @param syscalls  in file order; duplicates are dropped
     * @param rules     syscalls with an action of their own; a syscall is in at most one place
     * @param knownUpTo the newest x86_64 syscall the machine that learned this policy knew, or null: newer
     *                  syscalls then get ENOSYS instead of the action (see FilterCompiler)
     */
    public Policy(String source, Mode mode, Action action, List<SyscallRef> syscalls, List<Rule> rules,
            String knownUpTo, JsonObject metadata) {
        this.source = source;
        this.mode = mode;
        this.action = action;
        this.listed = Set.copyOf(new LinkedHashSet<>(syscalls));
        this.syscalls = List.copyOf(new LinkedHashSet<>(syscalls));
        this.rules = List.copyOf(rules);
        Map<SyscallRef, Action> r = new HashMap<>();
        for (Rule rule : rules) {
            for (SyscallRef s : rule.syscalls()) {
                r.put(s, rule.action());
            }
        }
        this.ruled = Map.copyOf(r);
        this.knownUpTo = knownUpTo;
        this.metadata = metadata == null ? new JsonObject() : metadata;
    }

    public List<Rule> rules() { return rules; }
    public String knownUpTo() { return knownUpTo; }

    /** The action a rule gives {@code s}, or null when no rule names it. */
    public Action ruleFor(SyscallRef s) {
        return ruled.get(s);
    }

    public String source() { return source; }
    public Mode mode() { return mode; }
    public Action action() { return action; }
    public List<SyscallRef> syscalls() { return syscalls; }
    public JsonObject metadata() { return metadata; }

    public boolean lists(SyscallRef s) {
        return listed.contains(s);
    }

    /**
     * Whether the filter built from this policy refuses {@code s}. Foreign arches are refused whatever the mode,
     * except i386 calls an allowlist names explicitly; x32 is always refused.
     */
    public boolean refuses(SyscallRef s) {
        if (s.arch() == Arch.X32 || (s.arch() == Arch.I386 && mode == Mode.BLOCK)) {
            return true;
        }
        Action rule = ruled.get(s);
        if (rule != null) {
            return rule.kind() != Action.Kind.LOG;
        }
        return (mode == Mode.ALLOW) != lists(s);
    }
}

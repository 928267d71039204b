package dev.sandbox.policy;

import com.google.gson.JsonObject;
import dev.sandbox.syscall.Arch;
import java.util.LinkedHashSet;
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

    /**
     * @param source   how to name this policy to a person (the file as given)
     * @param syscalls in file order; duplicates are dropped
     */
    public Policy(String source, Mode mode, Action action, List<SyscallRef> syscalls, JsonObject metadata) {
        this.source = source;
        this.mode = mode;
        this.action = action;
        this.listed = Set.copyOf(new LinkedHashSet<>(syscalls));
        this.syscalls = List.copyOf(new LinkedHashSet<>(syscalls));
        this.metadata = metadata == null ? new JsonObject() : metadata;
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
        return (mode == Mode.ALLOW) != lists(s);
    }
}

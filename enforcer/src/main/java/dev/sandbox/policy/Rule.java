package dev.sandbox.policy;

import java.util.List;

/**
 * Syscalls that get their own action, whatever the mode: {@code {"syscalls": ["mkdir"], "action": "errno"}}. The
 * learner writes every "block always" answer here so a refusal made while learning (EPERM, the program goes on)
 * stays a refusal under the enforcer instead of becoming a kill.
 */
public record Rule(List<SyscallRef> syscalls, Action action) {
    public Rule {
        syscalls = List.copyOf(syscalls);
    }
}

package dev.sandbox.learn;

import dev.sandbox.policy.Mode;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.prompt.Prompter;
import dev.sandbox.syscall.Arch;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The decision chain, in order: the x32 ABI (always refused), the ceiling (never allowed), the base policy, what
 * the person already answered for this process / this executable / this session, then --on-unknown (ask: the
 * prompter; no terminal: block, said once). Pure over the syscall, its caller and the answers, so it is tested
 * without a kernel. Runs on the tracer thread only.
 */
public final class Decider {
    /** Who made the call: what scoped answers are keyed on, and how to build a question if one is needed. */
    public interface Caller {
        /** The thread group (process) id. */
        int tgid();

        String executable();

        /** Builds the prompt (the tracer decodes arguments and stills other tasks here). */
        Prompter.Question question();
    }

    private final Policy base;
    private final Policy ceiling;
    private final OnUnknown onUnknown;
    private final Prompter prompter;
    private final Consumer<String> notice;
    private final Map<SyscallRef, Verdict> session = new HashMap<>();
    private final Map<String, Map<SyscallRef, Verdict>> byExecutable = new HashMap<>();
    private final Map<Integer, Map<SyscallRef, Verdict>> byProcess = new HashMap<>();
    private final Set<SyscallRef> ceilingSaid = new HashSet<>();
    private boolean saidNoTerminal;

    /**
     * @param base     may be null (nothing is covered)
     * @param ceiling  syscalls never allowed while learning (it lists them), or null
     * @param prompter null when there is no terminal to ask on
     * @param notice   receives one-time remarks (no terminal, a ceiling refusal)
     */
    public Decider(Policy base, Policy ceiling, OnUnknown onUnknown, Prompter prompter, Consumer<String> notice) {
        this.base = base;
        this.ceiling = ceiling;
        this.onUnknown = onUnknown;
        this.prompter = prompter;
        this.notice = notice;
    }

    public Decider(Policy base, OnUnknown onUnknown, Prompter prompter, Consumer<String> notice) {
        this(base, null, onUnknown, prompter, notice);
    }

    public Decision decide(SyscallRef call, Caller caller) {
        if (call.arch() == Arch.X32) {
            return Decision.of(Verdict.BLOCK, Source.ABI);
        }
        // The ceiling names what a syscall is, whichever ABI it came through (i386 ptrace is still ptrace).
        if (ceiling != null && (ceiling.lists(call) || ceiling.lists(new SyscallRef(Arch.X86_64, call.name())))) {
            if (ceilingSaid.add(call)) {
                notice.accept(call + " is above the ceiling (" + ceiling.source() + "): refused with EPERM, and "
                        + "it will not be in the saved policy");
            }
            return new Decision(Verdict.BLOCK, Source.CEILING, Scope.SESSION);
        }
        if (base != null) {
            if (base.lists(call)) {
                return Decision.of(base.mode() == Mode.ALLOW ? Verdict.ALLOW : Verdict.BLOCK, Source.BASE_POLICY);
            }
            if (base.mode() == Mode.BLOCK && call.arch() == Arch.X86_64) {
                return Decision.of(Verdict.ALLOW, Source.BASE_POLICY);
            }
        }
        Decision known = remembered(call, caller);
        if (known != null) {
            return known;
        }
        switch (onUnknown) {
            case ALLOW: return Decision.of(Verdict.ALLOW, Source.ON_UNKNOWN);
            case BLOCK: return Decision.of(Verdict.BLOCK, Source.ON_UNKNOWN);
            case KILL: return Decision.of(Verdict.KILL, Source.ON_UNKNOWN);
            default: break;
        }
        if (prompter == null) {
            if (!saidNoTerminal) {
                saidNoTerminal = true;
                notice.accept("no terminal to ask on: syscalls the policy does not cover are blocked "
                        + "(use --on-unknown allow|block|kill to choose)");
            }
            return Decision.of(Verdict.BLOCK, Source.NO_TERMINAL);
        }
        Prompter.Answer answer = prompter.ask(caller.question());
        return switch (answer) {
            case ALLOW_ONCE -> Decision.of(Verdict.ALLOW, Source.PERSON);
            case ALLOW_PROCESS -> remember(call, caller, Verdict.ALLOW, Scope.PROCESS);
            case ALLOW_EXECUTABLE -> remember(call, caller, Verdict.ALLOW, Scope.EXECUTABLE);
            case ALLOW_ALWAYS -> remember(call, caller, Verdict.ALLOW, Scope.SESSION);
            case BLOCK_ONCE -> Decision.of(Verdict.BLOCK, Source.PERSON);
            case BLOCK_PROCESS -> remember(call, caller, Verdict.BLOCK, Scope.PROCESS);
            case BLOCK_EXECUTABLE -> remember(call, caller, Verdict.BLOCK, Scope.EXECUTABLE);
            case BLOCK_ALWAYS -> remember(call, caller, Verdict.BLOCK, Scope.SESSION);
            case KILL, CANCELLED -> Decision.of(Verdict.KILL, Source.PERSON);
            case TIMEOUT -> Decision.of(Verdict.BLOCK, Source.TIMEOUT);
        };
    }

    /** The narrowest remembered answer that covers this caller: its process, then its executable, then the session. */
    private Decision remembered(SyscallRef call, Caller caller) {
        if (!byProcess.isEmpty()) {
            Verdict v = byProcess.getOrDefault(caller.tgid(), Map.of()).get(call);
            if (v != null) {
                return new Decision(v, Source.SESSION, Scope.PROCESS);
            }
        }
        if (!byExecutable.isEmpty()) {
            Verdict v = byExecutable.getOrDefault(caller.executable(), Map.of()).get(call);
            if (v != null) {
                return new Decision(v, Source.SESSION, Scope.EXECUTABLE);
            }
        }
        Verdict v = session.get(call);
        return v == null ? null : new Decision(v, Source.SESSION, Scope.SESSION);
    }

    private Decision remember(SyscallRef call, Caller caller, Verdict v, Scope scope) {
        switch (scope) {
            case PROCESS -> byProcess.computeIfAbsent(caller.tgid(), k -> new HashMap<>()).put(call, v);
            case EXECUTABLE -> byExecutable.computeIfAbsent(caller.executable(), k -> new HashMap<>()).put(call, v);
            default -> session.put(call, v);
        }
        return new Decision(v, Source.PERSON, scope);
    }
}

package dev.sandbox.learn;

import dev.sandbox.policy.Action;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.Printable;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.prompt.Prompter;
import dev.sandbox.syscall.Arch;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The decision chain, in order: the x32 ABI and numbers that are no syscall (killed, as the enforcer does), the
 * ceiling (never allowed, whatever entry the call came through), the base policy (as {@link Policy#explain}
 * answers), what the person already answered for this process / this executable / this session, then --on-unknown
 * (ask: the prompter; no terminal: block, said once). Pure over the syscall, its caller and the answers, so it is tested
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
        // An unnamed i386 number is foreign to a learned policy too: it has no name to be listed by.
        if (Policy.foreign(call) || call.arch() == Arch.I386 && call.numeric()) {
            // The enforcer's filter kills these whatever a policy says (its bad-arch action): the learner does the
            // same, so that a program does not go on past one while learning only to die there when enforced.
            notice.accept(Printable.escape(call.toString()) + " is the x32 ABI or a number no policy can name: "
                    + "the enforcer kills a program that makes it, and so does the learner");
            return Decision.of(Verdict.KILL, Source.ABI);
        }
        if (ceiling != null && ceiling.refusesByIdentity(call)) {
            if (ceilingSaid.add(call)) {
                notice.accept(Printable.escape(call.toString()) + " is above the ceiling ("
                        + Printable.escape(ceiling.source()) + "): refused with EPERM, and it will not be allowed by "
                        + "the saved policy");
            }
            return new Decision(Verdict.BLOCK, Source.CEILING, Scope.SESSION);
        }
        Decision covered = base == null ? null : fromBase(base.explain(call));
        if (covered != null) {
            return covered;
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

    /**
     * What the base says, when it says something about this call: what it lists, what its rules treat, and in block
     * mode everything else too (it runs). Unlisted calls of an allowlist, the portability ENOSYS and foreign entries
     * are not covered: they are what learning decides.
     */
    static Decision fromBase(Policy.Ruling r) {
        boolean covered = switch (r.reason()) {
            case LISTED, RULE -> true;
            case UNLISTED -> r.action().kind() == Action.Kind.ALLOW;
            case PORTABILITY, FOREIGN_ABI -> false;
        };
        if (!covered) {
            return null;
        }
        return switch (r.action().kind()) {
            case ALLOW, LOG -> Decision.of(Verdict.ALLOW, Source.BASE_POLICY);
            case ERRNO -> new Decision(Verdict.BLOCK, Source.BASE_POLICY, Scope.ONCE, r.action().errno());
            // A refusal by the base is a block while learning (the program goes on, and the saved policy refuses
            // it the same way); killing the session would end the learning there.
            case TRAP, KILL -> Decision.of(Verdict.BLOCK, Source.BASE_POLICY);
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

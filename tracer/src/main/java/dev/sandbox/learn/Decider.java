package dev.sandbox.learn;

import dev.sandbox.policy.Mode;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.prompt.Prompter;
import dev.sandbox.syscall.Arch;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The decision chain, in order: the base policy, then what the person already answered "always" to, then
 * --on-unknown (ask: the prompter; no terminal: block, said once). Pure over the syscall and its answers, so it is
 * tested without a kernel. Runs on the tracer thread only.
 */
public final class Decider {
    private final Policy base;
    private final OnUnknown onUnknown;
    private final Prompter prompter;
    private final Consumer<String> notice;
    private final Map<SyscallRef, Verdict> remembered = new HashMap<>();
    private boolean saidNoTerminal;

    /**
     * @param base     may be null (nothing is covered)
     * @param prompter null when there is no terminal to ask on
     * @param notice   receives the one-time "no terminal" remark
     */
    public Decider(Policy base, OnUnknown onUnknown, Prompter prompter, Consumer<String> notice) {
        this.base = base;
        this.onUnknown = onUnknown;
        this.prompter = prompter;
        this.notice = notice;
    }

    /** @param question builds the prompt only if one is needed (it decodes arguments and stills other tasks) */
    public Decision decide(SyscallRef call, Supplier<Prompter.Question> question) {
        if (call.arch() == Arch.X32) {
            return Decision.of(Verdict.BLOCK, Source.ABI);
        }
        if (base != null) {
            if (base.lists(call)) {
                return Decision.of(base.mode() == Mode.ALLOW ? Verdict.ALLOW : Verdict.BLOCK, Source.BASE_POLICY);
            }
            if (base.mode() == Mode.BLOCK && call.arch() == Arch.X86_64) {
                return Decision.of(Verdict.ALLOW, Source.BASE_POLICY);
            }
        }
        Verdict known = remembered.get(call);
        if (known != null) {
            return Decision.of(known, Source.SESSION);
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
        Prompter.Answer answer = prompter.ask(question.get());
        return switch (answer) {
            case ALLOW_ONCE -> Decision.of(Verdict.ALLOW, Source.PERSON);
            case ALLOW_ALWAYS -> remember(call, Verdict.ALLOW);
            case BLOCK_ONCE -> Decision.of(Verdict.BLOCK, Source.PERSON);
            case BLOCK_ALWAYS -> remember(call, Verdict.BLOCK);
            case KILL -> Decision.of(Verdict.KILL, Source.PERSON);
            case TIMEOUT -> Decision.of(Verdict.BLOCK, Source.TIMEOUT);
            case CANCELLED -> Decision.of(Verdict.KILL, Source.PERSON);
        };
    }

    private Decision remember(SyscallRef call, Verdict v) {
        remembered.put(call, v);
        return new Decision(v, Source.PERSON, true);
    }
}

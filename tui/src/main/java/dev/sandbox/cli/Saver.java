package dev.sandbox.cli;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.learn.LearnedPolicy;
import dev.sandbox.policy.Action;
import dev.sandbox.policy.Mode;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyException;
import dev.sandbox.policy.PolicyFile;
import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.policy.Printable;
import dev.sandbox.policy.SyscallRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Saves what a learning run learned, and says what it did. {@code --save} replaces the file; {@code --into} merges
 * into it (the one merge: a refusal on either side stays). Savers of one file take turns under its lock: an
 * {@code --into} merges into whatever the file holds by then, so two learners merging at once both count; a
 * {@code --save} that finds the file changed since its program started (another saver got there first) refuses to
 * replace it and saves beside it instead, so neither result is lost.
 */
final class Saver {
    private final Consumer<String> say;

    Saver(Consumer<String> say) {
        this.say = say;
    }

    /**
     * @param before   the target's state when the program started
     * @param fastBase the base allowlist when learning in fast mode (its syscalls are in the policy unseen), else null
     */
    @SuppressWarnings("try") // the lock is held for the body, never referenced in it
    void save(Policy learned, Path target, boolean into, PolicyFile.State before, Policy fastBase) {
        String shown = Printable.escape(target.toString());
        try (PolicyFile.Lock held = PolicyFile.lock(target)) {
            if (into) {
                Policy current = Files.exists(target) ? load(target) : null;
                if (current == null) {
                    PolicyFile.write(learned, target);
                    say.accept("saved a new policy to " + shown + ": " + summary(learned, fastBase));
                    return;
                }
                if (current.mode() != Mode.ALLOW) {
                    throw new SandboxException("cannot merge a learned allowlist into " + shown + ", a block-mode "
                            + "policy; save to another file", ExitCodes.REFUSED);
                }
                LearnedPolicy.Merged merged = LearnedPolicy.into(current, learned);
                PolicyFile.write(merged.policy(), target);
                say.accept("merged into " + shown + ": " + summary(merged.policy(), null));
                say.accept(LearnRun.convergence(merged));
                return;
            }
            PolicyFile.State now = PolicyFile.State.of(target);
            if (!now.equals(before)) {
                Path beside = beside(target);
                PolicyFile.write(learned, beside);
                say.accept(shown + " was written by someone else while this program ran: not replaced. This run's "
                        + "policy is in " + Printable.escape(beside.toString()) + " (" + summary(learned, fastBase)
                        + "); to combine them: sandbox policy merge " + shown + " "
                        + Printable.escape(beside.toString()) + " -o " + shown);
                return;
            }
            String replaced = "";
            if (now.exists()) {
                Policy old = loadQuietly(target);
                replaced = old == null ? " (replaced the file there)"
                        : " (replaced the previous policy, which allowed " + old.syscalls().size() + "; --into merges "
                                + "instead)";
            }
            PolicyFile.write(learned, target);
            say.accept("saved " + summary(learned, fastBase) + " to " + shown + replaced);
        } catch (IOException e) {
            throw new SandboxException("cannot save the learned policy to " + shown + ": " + e.getMessage(),
                    ExitCodes.REFUSED);
        }
    }

    /** "12 allowed syscalls, 1 refused with EPERM (metadata lists 2 denied calls)", with fast mode's split. */
    static String summary(Policy p, Policy fastBase) {
        int allowed = p.syscalls().size();
        String what;
        if (fastBase != null) {
            long fromBase = p.syscalls().stream().filter(fastBase::lists).count();
            what = allowed + " allowed syscalls = " + fromBase + " from the base policy (fast mode cannot tell which "
                    + "of them the program used; learn without --fast to save only those) + " + (allowed - fromBase)
                    + " allowed while learning";
        } else {
            what = allowed + " allowed syscall" + (allowed == 1 ? "" : "s");
        }
        long errno = 0;
        long kill = 0;
        for (Map.Entry<SyscallRef, Action> e : p.ruled().entrySet()) {
            if (e.getValue().kind() == Action.Kind.KILL) {
                kill++;
            } else if (e.getValue().refuses()) {
                errno++;
            }
        }
        if (errno > 0) {
            what += ", " + errno + " refused with an errno";
        }
        if (kill > 0) {
            what += ", " + kill + " killed";
        }
        return what;
    }

    /** "ls.json" -> "ls.4242.json": where a --save that must not replace puts its result. */
    private static Path beside(Path target) {
        String name = target.getFileName().toString();
        int dot = name.endsWith(".json") ? name.length() - 5 : name.length();
        return target.resolveSibling(name.substring(0, dot) + "." + ProcessHandle.current().pid() + ".json");
    }

    private static Policy load(Path target) {
        return new PolicyLoader(w -> { }).load(target);
    }

    private static Policy loadQuietly(Path target) {
        try {
            return load(target);
        } catch (PolicyException e) {
            return null;
        }
    }
}

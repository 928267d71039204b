package dev.sandbox.learn;

import dev.sandbox.policy.SyscallRef;
import dev.sandbox.prompt.Prompter;
import dev.sandbox.trace.Syscall;
import dev.sandbox.trace.TraceLoop;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The learning side of a traced run, for each syscall the loop hands over: decide (the {@link Decider} chain), record
 * (the {@link LearnedPolicy}), audit, feed the screen, say it under --verbose. Every step reads the one
 * {@link Syscall} record the loop decoded; none decodes the stop again.
 */
public final class LearningSession implements TraceLoop.Handler {
    /** Receives every decided syscall on the tracer thread; it must only queue (the screen's feed). */
    public interface Feed {
        void syscall(Syscall call, Decision decision);

        /** The traced tree changed: {@code processes} thread groups, {@code threads} tasks, first pid {@code root}. */
        void tasks(int root, int processes, int threads);
    }

    private final Decider decider;
    private final LearnedPolicy learned;
    private final AuditLog audit;
    private final Feed feed;
    private final Consumer<String> verbose;
    private final Consumer<String> notice;
    private final Duration timeout;
    private TraceLoop loop;
    private SyscallRef killedAt;

    /**
     * @param audit   may be null
     * @param feed    may be null
     * @param verbose receives one {@code [TRACE]} line per syscall, or null
     * @param notice  one-line remarks for the person
     */
    public LearningSession(Decider decider, LearnedPolicy learned, AuditLog audit, Feed feed,
            Consumer<String> verbose, Consumer<String> notice, Duration timeout) {
        this.decider = decider;
        this.learned = learned;
        this.audit = audit;
        this.feed = feed;
        this.verbose = verbose;
        this.notice = notice;
        this.timeout = timeout;
    }

    /** The loop that asks; needed to still the other tasks while a question is open. */
    public void attach(TraceLoop loop) {
        this.loop = loop;
    }

    /** The syscall a "kill" decision was made on, or null. */
    public SyscallRef killedAt() {
        return killedAt;
    }

    @Override
    public TraceLoop.Reply syscall(Syscall call) {
        caller.call = call;
        long asked = audit != null ? System.nanoTime() : 0;
        Decision d = decider.decide(call.ref(), caller);
        learned.record(call.ref(), d, call.tid(), call.executable());
        if (audit != null && d.source() != Source.BASE_POLICY) {
            boolean person = d.source() == Source.PERSON || d.source() == Source.TIMEOUT;
            audit.record(call.tid(), call.executable(), call.ref(), call.text(), d,
                    person ? (System.nanoTime() - asked) / 1_000_000 : -1);
        }
        if (feed != null) {
            call.text(); // decoded now, while the task is stopped and its memory is what the call passed
            feed.syscall(call, d);
        }
        if (verbose != null) {
            verbose.accept("[TRACE] " + call.tid() + " " + call.text() + " = " + d.describe());
        }
        return switch (d.verdict()) {
            case ALLOW -> TraceLoop.Reply.ALLOW;
            case BLOCK -> TraceLoop.Reply.BLOCK;
            case KILL -> {
                killedAt = call.ref();
                yield TraceLoop.Reply.KILL;
            }
        };
    }

    @Override
    public void started(Syscall execve) {
        learned.record(execve.ref(), Decision.of(Verdict.ALLOW, Source.STARTUP), execve.tid(), "sandbox-launcher");
    }

    @Override
    public void tasks(int root, int processes, int threads) {
        if (feed != null) {
            feed.tasks(root, processes, threads);
        }
    }

    @Override
    public boolean watchesTasks() {
        return feed != null;
    }

    @Override
    public void notice(String text) {
        notice.accept(text);
    }

    /** The caller of the syscall being decided; one reused object, since the decider runs at every stop. */
    private final class CurrentCaller implements Decider.Caller {
        Syscall call;

        @Override
        public int tgid() {
            return call.tgid();
        }

        @Override
        public String executable() {
            return call.executable();
        }

        @Override
        public Prompter.Question question() {
            // Other tasks are stilled first, so their output cannot tear the question nor can they read the answer.
            loop.holdOthers(call);
            return new Prompter.Question(call.ref(), call.nr(), call.tid(), call.tgid(), call.executable(),
                    call.text(), timeout);
        }
    }

    private final CurrentCaller caller = new CurrentCaller();
}

package dev.sandbox.prompt;

import dev.sandbox.policy.SyscallRef;
import java.time.Duration;

/**
 * Asks a person about one syscall. Implementations (jline line prompt, lanterna screen) live in the tui module; the
 * tracer knows only this. {@link #ask} blocks until an answer, the timeout, or {@link #cancel}.
 */
public interface Prompter {
    /** ALWAYS means for the rest of the session; PROCESS and EXECUTABLE narrow an answer to the caller. */
    enum Answer {
        ALLOW_ONCE, ALLOW_PROCESS, ALLOW_EXECUTABLE, ALLOW_ALWAYS,
        BLOCK_ONCE, BLOCK_PROCESS, BLOCK_EXECUTABLE, BLOCK_ALWAYS,
        KILL, TIMEOUT, CANCELLED
    }

    /**
     * @param decoded the call as strace would print it, e.g. {@code openat(AT_FDCWD, "/etc/passwd", O_RDONLY)}
     */
    record Question(SyscallRef syscall, int nr, int pid, int tgid, String executable, String decoded,
            Duration timeout) {}

    Answer ask(Question q);

    /** Ends an open question at once (the session is being interrupted); may be called from any thread. */
    void cancel();

    /** Asks yes/no at the end of a session (e.g. "save the learned policy?"); false when unanswered. */
    default boolean confirm(String question) {
        return false;
    }
}

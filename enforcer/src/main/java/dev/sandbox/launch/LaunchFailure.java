package dev.sandbox.launch;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.jna.Errno;

/**
 * A launch step that failed in the child, as the launcher reported it: {@code {step, index, errno}}. Only here does
 * that record become a sentence and an exit code: 127 for a program that is not there, 126 for one that cannot be
 * executed, 125 for a step of the sandbox's own.
 */
public final class LaunchFailure extends SandboxException {
    private static final long serialVersionUID = 1L;

    private final StepKind step;
    private final int errno;

    public LaunchFailure(StepKind step, int errno, String program) {
        super(message(step, errno, program), exitCode(step, errno));
        this.step = step;
        this.errno = errno;
    }

    public StepKind step() {
        return step;
    }

    public int errno() {
        return errno;
    }

    public static int exitCode(StepKind step, int errno) {
        if (step != StepKind.STEP_EXEC) {
            return ExitCodes.REFUSED;
        }
        return switch (errno) {
            case Errno.ENOENT, Errno.ENOTDIR, Errno.ELOOP, Errno.ENAMETOOLONG -> ExitCodes.NOT_FOUND;
            case Errno.EACCES, Errno.EPERM, Errno.ENOEXEC, Errno.EISDIR, Errno.ETXTBSY -> ExitCodes.NOT_EXECUTABLE;
            default -> ExitCodes.NOT_EXECUTABLE;
        };
    }

    static String message(StepKind step, int errno, String program) {
        return message(step, errno, program, Errno.describe(errno));
    }

    /** @param reason strerror(errno), or a placeholder when the sentence is a template (the compiled-policy cache) */
    public static String message(StepKind step, int errno, String program, String reason) {
        if (step == null) {
            return "the launcher reported an unknown step (errno " + errno + "): the launcher and the Java side "
                    + "are from different builds";
        }
        return switch (step) {
            case STEP_EXEC -> "cannot execute " + program + ": " + reason
                    + (errno == Errno.ENOEXEC ? " (not a binary or script the kernel can run)" : "");
            case STEP_SECCOMP_FILTER -> "cannot apply the seccomp filter: " + reason
                    + (errno == Errno.EINVAL ? " (the kernel needs CONFIG_SECCOMP_FILTER)" : "")
                    + (errno == Errno.EACCES ? " (NO_NEW_PRIVS was not set first)" : "");
            case STEP_READ_PLAN -> "the launcher could not read its plan: " + reason
                    + " (the launcher and the Java side are from different builds?)";
            default -> step.what() + " failed: " + reason;
        };
    }
}

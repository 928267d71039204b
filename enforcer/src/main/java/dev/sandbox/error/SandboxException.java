package dev.sandbox.error;

/**
 * The one exception the command line turns into {@code sandbox: <message>} and an exit code. Every failure a person
 * can cause or meet (bad policy, missing program, missing kernel feature) is one of these; anything else is a bug
 * and gets a stack trace.
 */
public class SandboxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    public SandboxException(String userMessage, int exitCode) {
        super(userMessage);
        this.exitCode = exitCode;
    }

    public SandboxException(String userMessage, int exitCode, Throwable cause) {
        super(userMessage, cause);
        this.exitCode = exitCode;
    }

    public String userMessage() {
        return getMessage();
    }

    public int exitCode() {
        return exitCode;
    }
}

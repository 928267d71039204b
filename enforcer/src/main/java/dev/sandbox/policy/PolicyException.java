package dev.sandbox.policy;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;

/**
 * An invalid policy, worded as minijail does: {@code policy ls.json:4:7: unknown syscall "opn" (did you mean
 * "open"?)}. Position 0:0 means the problem is with the file as a whole. {@link #excerpt()} is the offending line and
 * a caret under the column, for the renderer to print below the message.
 */
public final class PolicyException extends SandboxException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final int column;
    private final String problem;
    private final String excerpt;

    public PolicyException(String file, int line, int column, String problem, String excerpt) {
        super(format(file, line, column, problem), ExitCodes.REFUSED);
        this.file = file;
        this.line = line;
        this.column = column;
        this.problem = problem;
        this.excerpt = excerpt;
    }

    public PolicyException(String file, String problem) {
        this(file, 0, 0, problem, null);
    }

    private static String format(String file, int line, int column, String problem) {
        String shown = Printable.escape(file);
        return line > 0 ? "policy " + shown + ":" + line + ":" + column + ": " + problem
                : "policy " + shown + ": " + problem;
    }

    public String file() { return file; }
    public int line() { return line; }
    public int column() { return column; }
    public String problem() { return problem; }
    /** The offending line and a caret under the column, or null. */
    public String excerpt() { return excerpt; }
}

package dev.sandbox.learn;

/** What happens to one syscall: it runs, it fails with EPERM and the program goes on, or the traced tree dies. */
public enum Verdict {
    ALLOW, BLOCK, KILL
}

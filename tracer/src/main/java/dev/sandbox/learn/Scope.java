package dev.sandbox.learn;

/** How far an answer reaches: this call, the process that made it, every task running that executable, the session. */
public enum Scope {
    ONCE("once"), PROCESS("this process"), EXECUTABLE("this executable"), SESSION("this session");

    private final String label;

    Scope(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}

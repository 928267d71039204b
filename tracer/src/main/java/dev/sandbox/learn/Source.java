package dev.sandbox.learn;

/** Who made a decision; shown in --verbose and recorded in the learned policy's metadata. */
public enum Source {
    BASE_POLICY("base policy"),
    SESSION("remembered"),
    ON_UNKNOWN("--on-unknown"),
    PERSON("you"),
    TIMEOUT("timeout"),
    NO_TERMINAL("no terminal"),
    ABI("x32 ABI or no syscall: killed, as enforced"),
    CEILING("above the ceiling"),
    STARTUP("needed to start the program");

    private final String label;

    Source(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}

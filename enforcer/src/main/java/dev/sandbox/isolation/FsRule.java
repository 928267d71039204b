package dev.sandbox.isolation;

/** One Landlock rule: what the program may do beneath {@code path} ({@code --fs-ro}, {@code --fs-rw}, {@code --fs-exec}). */
public record FsRule(Access access, String path) {
    public enum Access {
        RO("--fs-ro"), RW("--fs-rw"), EXEC("--fs-exec");

        private final String option;

        Access(String option) {
            this.option = option;
        }

        public String option() {
            return option;
        }
    }

    public String describe() {
        return access.option() + " " + path;
    }
}

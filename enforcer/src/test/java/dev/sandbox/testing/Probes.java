package dev.sandbox.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the build put the C probes and the launcher, and honest skips: a test that needs a kernel feature calls
 * {@link #assumeFeature}; with SANDBOX_MUST_WORK=1 (CI) a missing feature fails instead of skipping.
 */
public final class Probes {
    private Probes() {}

    public static Path dir() {
        return Path.of(required("sandbox.probes"));
    }

    public static String path(String probe) {
        Path p = dir().resolve(probe);
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException("probe " + p + " was not built (the native module builds it)");
        }
        return p.toString();
    }

    public static Path launcher() {
        return Path.of(required("sandbox.launcher"));
    }

    public static Path root() {
        return Path.of(required("sandbox.root"));
    }

    public static void assumeFeature(boolean available, String reason) {
        if (!available && "1".equals(System.getenv("SANDBOX_MUST_WORK"))) {
            throw new AssertionError("SANDBOX_MUST_WORK=1 but " + reason);
        }
        assumeTrue(available, reason);
    }

    /** Whether this kernel has seccomp filters (the Seccomp line exists in /proc/self/status). */
    public static boolean seccompAvailable() {
        try {
            return Files.readString(Path.of("/proc/self/status")).contains("Seccomp:");
        } catch (IOException e) {
            return false;
        }
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static String required(String prop) {
        String v = System.getProperty(prop);
        if (v == null) {
            throw new IllegalStateException("-D" + prop + " is not set; run the tests through Maven");
        }
        return v;
    }
}

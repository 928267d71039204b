package dev.sandbox.cli;

import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** The version the build stamped into sandbox-version.properties. */
final class Version implements IVersionProvider {
    /** "0.1.0" */
    static String text() {
        try {
            return new Version().getVersion()[0].split(" ")[1];
        } catch (Exception e) {
            return "unknown";
        }
    }

    @Override
    public String[] getVersion() throws Exception {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("/sandbox-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        }
        return new String[] {"sandbox " + p.getProperty("version", "unknown")
                + " (seccomp-bpf enforcer and ptrace learner, x86_64 Linux)"};
    }
}

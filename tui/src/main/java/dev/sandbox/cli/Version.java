package dev.sandbox.cli;

import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** The version the build stamped into sandbox-version.properties. */
final class Version implements IVersionProvider {
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

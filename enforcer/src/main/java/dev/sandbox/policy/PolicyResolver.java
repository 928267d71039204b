package dev.sandbox.policy;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --policy ls} finds {@code ls.json} in ./policies, then the installation's policies directory, then
 * $XDG_CONFIG_HOME/sandbox/policies (default ~/.config), then /etc/sandbox/policies. Anything with a slash or a
 * {@code .json} suffix is a path.
 */
public final class PolicyResolver {
    private PolicyResolver() {}

    public static Path resolve(String arg) {
        if (arg.isEmpty()) {
            throw new SandboxException("--policy needs a file or a policy name", ExitCodes.REFUSED);
        }
        if (arg.contains("/") || arg.endsWith(".json")) {
            return Path.of(arg);
        }
        List<Path> places = searchPath();
        for (Path dir : places) {
            Path candidate = dir.resolve(arg + ".json");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        StringBuilder looked = new StringBuilder();
        for (Path dir : places) {
            looked.append(looked.length() == 0 ? "" : ", ").append(dir.resolve(arg + ".json"));
        }
        throw new SandboxException("no policy named \"" + arg + "\" (looked in " + looked + ")", ExitCodes.REFUSED);
    }

    public static List<Path> searchPath() {
        List<Path> dirs = new ArrayList<>();
        dirs.add(Path.of("policies"));
        String home = System.getProperty("sandbox.home");
        if (home != null) {
            Path installed = Path.of(home, "policies");
            if (!installed.toAbsolutePath().normalize().equals(Path.of("policies").toAbsolutePath().normalize())) {
                dirs.add(installed);
            }
        }
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path config = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        dirs.add(config.resolve("sandbox").resolve("policies"));
        dirs.add(Path.of("/etc/sandbox/policies"));
        return dirs;
    }
}

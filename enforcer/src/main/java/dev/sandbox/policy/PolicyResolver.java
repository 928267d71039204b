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
        return resolve(arg, "policy", "policies");
    }

    /**
     * The one search for named files: {@code what} ("policy", "profile") names the option in messages, {@code dir}
     * ("policies", "profiles") the directory under each place of {@link #searchPath}.
     */
    public static Path resolve(String arg, String what, String dir) {
        if (arg.isEmpty()) {
            throw new SandboxException("--" + what + " needs a file or a " + what + " name", ExitCodes.REFUSED);
        }
        if (arg.contains("/") || arg.endsWith(".json")) {
            return Path.of(arg);
        }
        List<Path> places = searchPath(dir);
        for (Path place : places) {
            Path candidate = place.resolve(arg + ".json");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        StringBuilder looked = new StringBuilder();
        for (Path place : places) {
            looked.append(looked.length() == 0 ? "" : ", ").append(Printable.escape(place.resolve(arg + ".json")
                    .toString()));
        }
        throw new SandboxException("no " + what + " named \"" + Printable.escape(arg) + "\" (looked in " + looked
                + ")", ExitCodes.REFUSED);
    }

    /** ./DIR, the installation's DIR, $XDG_CONFIG_HOME/sandbox/DIR (default ~/.config), /etc/sandbox/DIR. */
    public static List<Path> searchPath(String dir) {
        List<Path> dirs = new ArrayList<>();
        dirs.add(Path.of(dir));
        String home = System.getProperty("sandbox.home");
        if (home != null) {
            Path installed = Path.of(home, dir);
            if (!installed.toAbsolutePath().normalize().equals(Path.of(dir).toAbsolutePath().normalize())) {
                dirs.add(installed);
            }
        }
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path config = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        dirs.add(config.resolve("sandbox").resolve(dir));
        dirs.add(Path.of("/etc/sandbox", dir));
        return dirs;
    }
}

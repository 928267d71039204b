package dev.sandbox.isolation;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.policy.PolicyException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A profile is a policy file with an {@code "isolation"} object: the syscall policy (read by the policy loader, which
 * skips this key) and the isolation settings (read here, with the same file:line:col errors). {@code --profile NAME}
 * finds NAME.json in ./profiles, the installation's profiles, $XDG_CONFIG_HOME/sandbox/profiles and
 * /etc/sandbox/profiles. docs/isolation.md documents the keys; every value is checked by the same code as the
 * command-line option of the same name, so a profile and a command line mean the same thing.
 */
public final class ProfileLoader {
    static final Set<String> KEYS = Set.of("unshare", "net", "hostname", "root", "mounts", "user", "group",
            "cap_add", "rlimits", "memory", "cpus", "pids", "landlock", "best_effort");
    static final Set<String> LANDLOCK_KEYS = Set.of("mode", "workspace", "ro", "rw", "exec");
    private static final Pattern WHERE = Pattern.compile("line (\\d+) column (\\d+)");

    private ProfileLoader() {}

    /** {@code --profile NAME}: the policy search path, with profiles/ for policies/. */
    public static Path resolve(String arg) {
        return dev.sandbox.policy.PolicyResolver.resolve(arg, "profile", "profiles");
    }

    /** The isolation settings of the profile at {@code file} (none if it has no "isolation" key). */
    public static Isolation load(Path file, String name) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SandboxException("cannot read profile " + name + ": " + e.getMessage(), ExitCodes.REFUSED);
        }
        return parse(text, name);
    }

    public static Isolation parse(String text, String name) {
        return new Parser(text, name).top();
    }

    private static final class Parser {
        private final String text;
        private final String name;
        private final JsonReader in;
        private final Isolation iso = Isolation.none();

        Parser(String text, String name) {
            this.text = text;
            this.name = name;
            this.in = new JsonReader(new StringReader(text));
        }

        Isolation top() {
            try {
                in.beginObject();
                while (in.hasNext()) {
                    if (in.nextName().equals("isolation")) {
                        isolation();
                    } else {
                        in.skipValue();
                    }
                }
                return iso;
            } catch (IOException | IllegalStateException e) {
                // Malformed JSON: the policy loader, which reads the same file first, says where.
                throw new PolicyException(name, "not valid JSON: " + e.getMessage());
            }
        }

        private void isolation() throws IOException {
            expect(JsonToken.BEGIN_OBJECT, "\"isolation\" must be an object");
            in.beginObject();
            String mode = null;
            String workspace = null;
            int[] modeAt = null;
            while (in.hasNext()) {
                int[] keyAt = where();
                String key = in.nextName();
                int[] at = where();
                try {
                    switch (key) {
                        case "unshare" -> strings(key).forEach(iso::unshare);
                        case "net" -> iso.net(string(key));
                        case "hostname" -> iso.hostname(string(key));
                        case "root" -> iso.root(string(key));
                        case "mounts" -> mounts();
                        case "user" -> iso.user(string(key));
                        case "group" -> iso.group(string(key));
                        case "cap_add" -> strings(key).forEach(iso::capAdd);
                        case "rlimits" -> rlimits();
                        case "memory" -> iso.memory(string(key));
                        case "cpus" -> iso.cpus(numberText(key));
                        case "pids" -> iso.pids(Integer.parseInt(numberText(key)));
                        case "best_effort" -> iso.bestEffort(bool(key));
                        case "landlock" -> {
                            expect(JsonToken.BEGIN_OBJECT, "\"landlock\" must be an object");
                            in.beginObject();
                            while (in.hasNext()) {
                                int[] lkAt = where();
                                String lk = in.nextName();
                                int[] lat = where();
                                try {
                                    switch (lk) {
                                        case "mode" -> {
                                            modeAt = lat;
                                            mode = string(lk);
                                        }
                                        case "workspace" -> workspace = string(lk);
                                        case "ro" -> strings(lk).forEach(p -> iso.fsRule(new FsRule(FsRule.Access.RO,
                                                p)));
                                        case "rw" -> strings(lk).forEach(p -> iso.fsRule(new FsRule(FsRule.Access.RW,
                                                p)));
                                        case "exec" -> strings(lk).forEach(p -> iso.fsRule(
                                                new FsRule(FsRule.Access.EXEC, p)));
                                        default -> throw error(lkAt, "unknown key \"" + lk + "\" in \"landlock\" "
                                                + "(known keys: " + String.join(", ", LANDLOCK_KEYS.stream().sorted()
                                                .toList()) + ")");
                                    }
                                } catch (IllegalArgumentException e) {
                                    throw error(lat, e.getMessage());
                                }
                            }
                            in.endObject();
                        }
                        default -> throw error(keyAt, "unknown key \"" + key + "\" in \"isolation\" (known keys: "
                                + String.join(", ", KEYS.stream().sorted().toList()) + ")");
                    }
                } catch (IllegalArgumentException e) {
                    throw error(at, e.getMessage());
                }
            }
            in.endObject();
            if (mode != null) {
                try {
                    iso.fsMode(mode, workspace);
                } catch (IllegalArgumentException e) {
                    throw error(modeAt, e.getMessage());
                }
            }
        }

        /** [{"ro-bind": "/usr"}, {"bind": "/a:/b"}, {"tmpfs": "/tmp"}, {"proc": "/proc"}, {"dev": "/dev"}] */
        private void mounts() throws IOException {
            expect(JsonToken.BEGIN_ARRAY, "\"mounts\" must be an array of {\"bind\"|\"ro-bind\"|\"tmpfs\"|\"proc\"|"
                    + "\"dev\": PATH} objects");
            in.beginArray();
            while (in.hasNext()) {
                expect(JsonToken.BEGIN_OBJECT, "each mount is an object such as {\"ro-bind\": \"/usr\"}");
                in.beginObject();
                while (in.hasNext()) {
                    int[] keyAt = where();
                    String kind = in.nextName();
                    int[] at = where();
                    Mount.Kind k = switch (kind) {
                        case "bind" -> Mount.Kind.BIND;
                        case "ro-bind", "ro_bind" -> Mount.Kind.RO_BIND;
                        case "tmpfs" -> Mount.Kind.TMPFS;
                        case "proc" -> Mount.Kind.PROC;
                        case "dev" -> Mount.Kind.DEV;
                        default -> throw error(keyAt, "unknown mount \"" + kind + "\" (bind, ro-bind, tmpfs, proc, "
                                + "dev)");
                    };
                    try {
                        iso.mount(Mount.parse(k, string(kind)));
                    } catch (IllegalArgumentException e) {
                        throw error(at, e.getMessage());
                    }
                }
                in.endObject();
            }
            in.endArray();
        }

        /** {"nofile": "256", "as": "1G:2G"} */
        private void rlimits() throws IOException {
            expect(JsonToken.BEGIN_OBJECT, "\"rlimits\" must be an object such as {\"nofile\": \"256\"}");
            in.beginObject();
            while (in.hasNext()) {
                String limit = in.nextName();
                int[] at = where();
                String value = in.peek() == JsonToken.NUMBER ? in.nextString() : string(limit);
                try {
                    iso.rlimit(Rlimit.parse(limit + "=" + value));
                } catch (IllegalArgumentException e) {
                    throw error(at, e.getMessage());
                }
            }
            in.endObject();
        }

        private String string(String key) throws IOException {
            expect(JsonToken.STRING, "\"" + key + "\" must be a string");
            return in.nextString();
        }

        private String numberText(String key) throws IOException {
            JsonToken t = in.peek();
            if (t != JsonToken.NUMBER && t != JsonToken.STRING) {
                throw error(where(), "\"" + key + "\" must be a number");
            }
            String v = in.nextString();
            try {
                Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("\"" + key + "\" must be a number, not \"" + v + "\"");
            }
            return v;
        }

        private boolean bool(String key) throws IOException {
            expect(JsonToken.BOOLEAN, "\"" + key + "\" must be true or false");
            return in.nextBoolean();
        }

        private List<String> strings(String key) throws IOException {
            List<String> out = new ArrayList<>();
            if (in.peek() == JsonToken.STRING) {
                out.add(in.nextString());
                return out;
            }
            expect(JsonToken.BEGIN_ARRAY, "\"" + key + "\" must be a string or an array of strings");
            in.beginArray();
            while (in.hasNext()) {
                out.add(string(key));
            }
            in.endArray();
            return out;
        }

        private void expect(JsonToken t, String problem) throws IOException {
            if (in.peek() != t) {
                throw error(where(), problem + ", not " + in.peek().name().toLowerCase(Locale.ROOT).replace('_', ' '));
            }
        }

        private int[] where() throws IOException {
            JsonToken t = in.peek();
            Matcher m = WHERE.matcher(in.toString());
            int[] pos = m.find() ? new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))}
                    : new int[] {0, 0};
            boolean consumed = t == JsonToken.STRING || t == JsonToken.NAME || t == JsonToken.BEGIN_ARRAY
                    || t == JsonToken.BEGIN_OBJECT;
            if (consumed && pos[1] > 1) {
                pos[1]--;
            }
            return pos;
        }

        private PolicyException error(int[] at, String problem) {
            String line = at[0] >= 1 ? text.lines().skip(at[0] - 1).findFirst().orElse("") : null;
            String excerpt = line == null ? null : line + "\n" + " ".repeat(Math.max(0, at[1] - 1)) + "^";
            return new PolicyException(name, at[0], at[1], problem, excerpt);
        }
    }
}

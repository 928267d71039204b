package dev.sandbox.policy;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads and validates a policy file. Streaming with gson's {@link JsonReader} so that every error can name the line
 * and column of the token at fault; nothing about a policy is guessed or silently dropped.
 */
public final class PolicyLoader {
    public static final long MAX_BYTES = 1 << 20;

    private static final Set<String> KEYS = Set.of("mode", "syscalls", "action", "errno", "rules", "known_up_to",
            "metadata", "isolation");
    private static final Set<String> RULE_KEYS = Set.of("syscalls", "action", "errno");

    private final Consumer<String> warnings;

    /** @param warnings receives non-fatal remarks (duplicate names), already worded for a person */
    public PolicyLoader(Consumer<String> warnings) {
        this.warnings = warnings;
    }

    public Policy load(Path file) {
        return load(file, file.toString());
    }

    /**
     * Reads a policy file: only a regular file (a FIFO would hang, /dev/zero would never end), at most
     * {@link #MAX_BYTES} of it, whatever its size claims to be.
     */
    public Policy load(Path file, String displayName) {
        return parse(read(file, displayName), displayName);
    }

    /** The bytes of a policy file, refused with a sentence when it is not a regular file or too large. */
    public static byte[] read(Path file, String displayName) {
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            if (attrs.isDirectory()) {
                throw new PolicyException(displayName, "is a directory, not a policy file");
            }
            if (!attrs.isRegularFile()) {
                throw new PolicyException(displayName, "is not a regular file (a device, FIFO or socket); a policy "
                        + "is read only from a regular file");
            }
            if (attrs.size() > MAX_BYTES) {
                throw tooLarge(displayName);
            }
            try (InputStream in = Files.newInputStream(file)) {
                byte[] bytes = in.readNBytes((int) MAX_BYTES + 1);
                if (bytes.length > MAX_BYTES) {
                    throw tooLarge(displayName);
                }
                return bytes;
            }
        } catch (NoSuchFileException e) {
            throw new PolicyException(displayName, "cannot read: No such file or directory");
        } catch (AccessDeniedException e) {
            throw new PolicyException(displayName, "cannot read: Permission denied");
        } catch (IOException e) {
            throw new PolicyException(displayName, "cannot read: " + e.getMessage());
        }
    }

    private static PolicyException tooLarge(String name) {
        return new PolicyException(name, "file is larger than 1 MiB; a policy is a short list");
    }

    public Policy parse(byte[] bytes, String name) {
        if (bytes.length > MAX_BYTES) {
            throw tooLarge(name);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new PolicyException(name, "is not UTF-8 text");
        }
        if (text.isBlank()) {
            throw new PolicyException(name, "file is empty; expected a JSON object such as "
                    + "{\"mode\": \"allow\", \"syscalls\": [\"read\", \"write\", \"exit_group\"]}");
        }
        return new Parse(name, text).run();
    }

    /** One parse of one file: holds the reader so that every error can say where it is. */
    private final class Parse {
        private final String name;
        private final String text;
        private final JsonReader in;

        Parse(String name, String text) {
            this.name = name;
            this.text = text;
            this.in = new JsonReader(new StringReader(text));
            in.setStrictness(Strictness.STRICT);
        }

        Policy run() {
            try {
                return object();
            } catch (MalformedJsonException | java.io.EOFException e) {
                throw malformed(e);
            } catch (IOException e) {
                throw new PolicyException(name, "cannot read: " + e.getMessage());
            }
        }

        private Policy object() throws IOException {
            JsonToken first = in.peek();
            if (first != JsonToken.BEGIN_OBJECT) {
                throw error("the policy must be a JSON object, not " + describe(first));
            }
            in.beginObject();
            Mode mode = null;
            Action.Kind kind = null;
            int[] kindAt = null;
            Integer errno = null;
            int[] errnoAt = null;
            List<SyscallRef> syscalls = null;
            JsonObject metadata = null;
            JsonObject isolation = null;
            List<Rule> rules = List.of();
            String knownUpTo = null;
            Set<String> seen = new HashSet<>();
            while (in.hasNext()) {
                int[] keyAt = where();
                String key = in.nextName();
                if (!seen.add(key)) {
                    throw error(keyAt, "key \"" + Printable.escape(key) + "\" appears twice");
                }
                switch (key) {
                    case "mode" -> mode = mode();
                    case "action" -> {
                        kindAt = where();
                        kind = actionKind();
                    }
                    case "errno" -> {
                        errnoAt = where();
                        errno = errno();
                    }
                    case "syscalls" -> syscalls = syscalls();
                    case "metadata" -> metadata = metadata();
                    // A profile's isolation settings: dev.sandbox.isolation.ProfileLoader reads and checks them;
                    // the policy keeps them verbatim, so that whatever writes the policy back keeps them too.
                    case "isolation" -> isolation = object("isolation");
                    case "rules" -> rules = rules();
                    case "known_up_to" -> {
                        int[] at = where();
                        knownUpTo = string("\"known_up_to\"");
                        check(SyscallRef.parse(knownUpTo), knownUpTo, at);
                    }
                    default -> throw error(keyAt, "unknown key \"" + Printable.escape(key) + "\" (known keys: "
                            + String.join(", ", KEYS.stream().sorted().toList()) + ")");
                }
            }
            in.endObject();
            trailing(parseWhere(in.toString()));
            if (mode == null) {
                throw new PolicyException(name, "missing \"mode\" (\"allow\" or \"block\")");
            }
            if (syscalls == null) {
                throw new PolicyException(name, "missing \"syscalls\" (a list of syscall names)");
            }
            if (kind == null) {
                kind = errno != null ? Action.Kind.ERRNO : Action.Kind.KILL;
            }
            if (errno != null && kind != Action.Kind.ERRNO) {
                throw error(errnoAt, "\"errno\" only applies with \"action\": \"errno\", not \"" + kind.label()
                        + "\"");
            }
            if (kind == Action.Kind.ERRNO && errno == null) {
                errno = ErrnoName.EPERM;
            }
            if (mode == Mode.BLOCK && kindAt != null && kind == Action.Kind.LOG) {
                // Legal (an audit-only blocklist), worth saying: nothing will actually be refused.
                warnings.accept("policy " + Printable.escape(name) + ": block mode with action \"log\" refuses nothing; "
                        + "the listed syscalls are only logged");
            }
            Set<SyscallRef> listed = new HashSet<>(syscalls);
            for (Rule r : rules) {
                for (SyscallRef s : r.syscalls()) {
                    if (listed.contains(s)) {
                        throw new PolicyException(name, "\"" + s + "\" is both in \"syscalls\" and in a rule; "
                                + "a syscall may have only one treatment");
                    }
                }
            }
            return new Policy(name, mode, kind == Action.Kind.ERRNO ? Action.errno(errno) : new Action(kind, 0),
                    syscalls, rules, knownUpTo, Metadata.fromJson(metadata)).withIsolation(isolation);
        }

        /** gson in strict mode refuses a second top-level value without saying so; say it, at its position. */
        private void trailing(int[] after) {
            int line = 1;
            int i = 0;
            while (line < after[0] && i < text.length()) {
                if (text.charAt(i++) == '\n') {
                    line++;
                }
            }
            int col = after[1] - 1;
            for (int j = i + Math.max(0, after[1] - 1); j < text.length(); j++) {
                char c = text.charAt(j);
                if (c == '\n') {
                    line++;
                    col = 0;
                } else {
                    col++;
                }
                if (!Character.isWhitespace(c)) {
                    throw error(new int[] {line, col}, "unexpected content after the policy object");
                }
            }
        }

        private Mode mode() throws IOException {
            int[] at = where();
            String value = string("\"mode\"");
            return switch (value) {
                case "allow" -> Mode.ALLOW;
                case "block" -> Mode.BLOCK;
                default -> throw error(at, "\"mode\" must be \"allow\" or \"block\", not \"" + Printable.escape(value) + "\"");
            };
        }

        private Action.Kind actionKind() throws IOException {
            int[] at = where();
            String value = string("\"action\"");
            for (Action.Kind k : Action.Kind.values()) {
                if (k != Action.Kind.ALLOW && k.label().equals(value)) {
                    return k;
                }
            }
            throw error(at, "unknown action \"" + Printable.escape(value) + "\" (use kill, errno, trap or log)");
        }

        private int errno() throws IOException {
            int[] at = where();
            JsonToken t = in.peek();
            if (t == JsonToken.NUMBER) {
                String raw = in.nextString();
                int n;
                try {
                    n = Integer.parseInt(raw);
                } catch (NumberFormatException e) {
                    throw error(at, "\"errno\" must be a whole number between 1 and " + ErrnoName.MAX + ", not " + raw);
                }
                if (n < 1 || n > ErrnoName.MAX) {
                    throw error(at, "\"errno\" must be between 1 and " + ErrnoName.MAX + ", not " + n);
                }
                return n;
            }
            if (t == JsonToken.STRING) {
                String value = in.nextString();
                int n = ErrnoName.number(value.toUpperCase(Locale.ROOT));
                if (n < 0) {
                    throw error(at, "unknown errno \"" + Printable.escape(value) + "\" (a name such as EPERM or ENOSYS, or a number)");
                }
                return n;
            }
            throw error(at, "\"errno\" must be a name such as \"EPERM\" or a number, not " + describe(t));
        }

        private List<Rule> rules() throws IOException {
            if (in.peek() != JsonToken.BEGIN_ARRAY) {
                throw error("\"rules\" must be a list of objects, not " + describe(in.peek()));
            }
            in.beginArray();
            List<Rule> rules = new ArrayList<>();
            Set<SyscallRef> ruled = new HashSet<>();
            while (in.hasNext()) {
                int[] ruleAt = where();
                if (in.peek() != JsonToken.BEGIN_OBJECT) {
                    throw error(ruleAt, "each rule must be an object such as {\"syscalls\": [\"mkdir\"], "
                            + "\"action\": \"errno\"}, not " + describe(in.peek()));
                }
                in.beginObject();
                List<SyscallRef> list = null;
                Action.Kind kind = null;
                Integer errno = null;
                int[] errnoAt = null;
                Set<String> keys = new HashSet<>();
                while (in.hasNext()) {
                    int[] keyAt = where();
                    String key = in.nextName();
                    if (!keys.add(key)) {
                        throw error(keyAt, "key \"" + Printable.escape(key) + "\" appears twice in this rule");
                    }
                    switch (key) {
                        case "syscalls" -> list = syscalls();
                        case "action" -> kind = actionKind();
                        case "errno" -> {
                            errnoAt = where();
                            errno = errno();
                        }
                        default -> throw error(keyAt, "unknown key \"" + Printable.escape(key) + "\" in a rule (known keys: "
                                + String.join(", ", RULE_KEYS.stream().sorted().toList()) + ")");
                    }
                }
                in.endObject();
                if (list == null || kind == null && errno == null) {
                    throw error(ruleAt, "a rule needs \"syscalls\" and \"action\"");
                }
                if (kind == null) {
                    kind = Action.Kind.ERRNO;
                }
                if (errno != null && kind != Action.Kind.ERRNO) {
                    throw error(errnoAt, "\"errno\" only applies with \"action\": \"errno\"");
                }
                for (SyscallRef s : list) {
                    if (!ruled.add(s)) {
                        throw error(ruleAt, "\"" + s + "\" is in more than one rule");
                    }
                }
                Action action = kind == Action.Kind.ERRNO ? Action.errno(errno == null ? ErrnoName.EPERM : errno)
                        : new Action(kind, 0);
                rules.add(new Rule(list, action));
            }
            in.endArray();
            return rules;
        }

        private List<SyscallRef> syscalls() throws IOException {
            if (in.peek() != JsonToken.BEGIN_ARRAY) {
                throw error("\"syscalls\" must be a list of syscall names, not " + describe(in.peek()));
            }
            String listPath = in.getPath();
            in.beginArray();
            List<SyscallRef> list = new ArrayList<>();
            Set<SyscallRef> seen = new HashSet<>();
            List<Integer> again = new ArrayList<>();
            List<String> againText = new ArrayList<>();
            for (int index = 0; in.hasNext(); index++) {
                if (in.peek() != JsonToken.STRING) {
                    throw error(where(), "\"syscalls\" must hold only strings, found " + describe(in.peek()));
                }
                String text = in.nextString();
                SyscallRef ref = SyscallRef.parse(text);
                // Where an entry is, is asked of gson only for an entry to complain about: its toString() builds
                // the whole path each time, which was most of a long allowlist's parse.
                if (ref.arch() == Arch.X32 || ref.numeric() || !SyscallNames.known(ref.arch(), ref.name())) {
                    repeated(listPath, again, againText); // said before this entry's error, in their order
                    check(ref, text, elementsAt(listPath, List.of(index)).get(0));
                }
                if (!seen.add(ref)) {
                    again.add(index);
                    againText.add(text);
                    continue;
                }
                list.add(ref);
            }
            in.endArray();
            repeated(listPath, again, againText);
            return list;
        }

        /** Warns of the repeated entries at {@code indices}, and forgets them. */
        private void repeated(String listPath, List<Integer> indices, List<String> texts) {
            // the positions of every repeated entry from one reading again, not one each
            List<int[]> at = indices.isEmpty() ? List.of() : elementsAt(listPath, indices);
            for (int i = 0; i < indices.size(); i++) {
                warnings.accept("policy " + Printable.escape(name) + ":" + at.get(i)[0] + ":" + at.get(i)[1] + ": \""
                        + Printable.escape(texts.get(i)) + "\" is listed more than once");
            }
            indices.clear();
            texts.clear();
        }

        /**
         * Where entries {@code indices} (ascending) of the list at {@code listPath} (gson's path:
         * "$.rules[2].syscalls") start, read again from the beginning.
         */
        private List<int[]> elementsAt(String listPath, List<Integer> indices) {
            List<int[]> out = new ArrayList<>();
            try {
                Parse again = new Parse(name, text);
                JsonReader r = again.in;
                for (int i = 1; i < listPath.length();) {
                    if (listPath.charAt(i) == '.') {
                        int end = i + 1;
                        while (end < listPath.length() && listPath.charAt(end) != '.' && listPath.charAt(end) != '[') {
                            end++;
                        }
                        String key = listPath.substring(i + 1, end);
                        r.beginObject();
                        while (!r.nextName().equals(key)) {
                            r.skipValue();
                        }
                        i = end;
                    } else {
                        int end = listPath.indexOf(']', i);
                        int n = Integer.parseInt(listPath.substring(i + 1, end));
                        r.beginArray();
                        for (int k = 0; k < n; k++) {
                            r.skipValue();
                        }
                        i = end + 1;
                    }
                }
                r.beginArray();
                for (int k = 0, next = 0; next < indices.size(); k++) {
                    if (k == indices.get(next)) {
                        out.add(again.where());
                        next++;
                    }
                    r.skipValue();
                }
            } catch (IOException | RuntimeException e) {
                // this text was read once already; a second reading cannot fail
            }
            while (out.size() < indices.size()) {
                out.add(new int[] {0, 0});
            }
            return out;
        }

        private void check(SyscallRef ref, String text, int[] at) {
            if (ref.arch() == Arch.X32) {
                throw error(at, "x32 syscalls cannot be allowed: the sandbox always refuses the x32 ABI");
            }
            if (ref.numeric()) {
                number(ref, text, at);
                return;
            }
            if (SyscallNames.known(ref.arch(), ref.name())) {
                return;
            }
            if (ref.arch() == Arch.X86_64 && SyscallNames.known(Arch.I386, ref.name())) {
                throw error(at, "\"" + text + "\" is not an x86_64 syscall; an i386 (int $0x80) syscall is "
                        + "written \"i386:" + text + "\"");
            }
            String hint = SyscallNames.suggest(ref.arch(), ref.name());
            String prefix = ref.arch() == Arch.X86_64 ? "" : ref.arch().label() + ":";
            throw error(at, "unknown syscall \"" + Printable.escape(text) + "\""
                    + (hint != null ? " (did you mean \"" + prefix + hint + "\"?)" : ""));
        }

        /** A syscall written as its number: only for an x86_64 number no table names (see SyscallRef). */
        private void number(SyscallRef ref, String text, int[] at) {
            if (ref.arch() != Arch.X86_64) {
                throw error(at, "\"" + Printable.escape(text) + "\": an i386 syscall is written by its name; a number without a "
                        + "name cannot be put in a filter for i386");
            }
            if (!ref.name().matches("0|[1-9][0-9]{0,9}") || ref.number() < 0) {
                throw error(at, "\"" + Printable.escape(text) + "\" is not a syscall number (0 to "
                        + SyscallRef.MAX_NUMBER + "; higher numbers are x32 or no syscall, always refused)");
            }
            String name = SyscallNames.nameOrNull(Arch.X86_64, ref.number());
            if (name != null) {
                throw error(at, "syscall " + text + " is \"" + name + "\"; write its name");
            }
        }

        private JsonObject metadata() throws IOException {
            return object("metadata");
        }

        private JsonObject object(String key) throws IOException {
            if (in.peek() != JsonToken.BEGIN_OBJECT) {
                throw error("\"" + key + "\" must be an object, not " + describe(in.peek()));
            }
            try {
                JsonElement e = JsonParser.parseReader(in);
                return e.getAsJsonObject();
            } catch (JsonParseException e) {
                throw malformed(e.getCause() != null ? e.getCause() : e);
            }
        }

        private String string(String what) throws IOException {
            JsonToken t = in.peek();
            if (t != JsonToken.STRING) {
                throw error(what + " must be a string, not " + describe(t));
            }
            return in.nextString();
        }

        /** Line and column (1-based) of the next token's first character. */
        private int[] where() throws IOException {
            JsonToken t = in.peek();
            int[] pos = parseWhere(in.toString());
            // peek() has consumed the opening quote or bracket of these tokens, but not the first char of the others.
            boolean consumed = t == JsonToken.STRING || t == JsonToken.NAME || t == JsonToken.BEGIN_ARRAY
                    || t == JsonToken.BEGIN_OBJECT;
            if (consumed && pos[1] > 1) {
                pos[1]--;
            }
            return pos;
        }

        private PolicyException error(String problem) throws IOException {
            return error(where(), problem);
        }

        private PolicyException error(int[] at, String problem) {
            return new PolicyException(name, at[0], at[1], problem, excerpt(at[0], at[1]));
        }

        private PolicyException malformed(Throwable e) {
            String msg = String.valueOf(e.getMessage());
            int[] at = parseWhere(msg);
            if (e instanceof java.io.EOFException || msg.contains("End of input")) {
                int lines = (int) text.lines().count();
                String last = text.lines().reduce((a, b) -> b).orElse("");
                return new PolicyException(name, Math.max(1, lines), last.length() + 1,
                        "not valid JSON: the file ends in the middle of the policy", excerpt(lines, last.length() + 1));
            }
            String reason = msg.replaceAll("\\s*at line \\d+ column \\d+.*", "").replaceAll("\\s*See https?://\\S+", "")
                    .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "");
            reason = reason.strip();
            if (reason.isEmpty()) {
                reason = "unexpected character";
            }
            if (reason.endsWith(";")) {
                reason = reason.substring(0, reason.length() - 1);
            }
            if (at[0] == 0) {
                return new PolicyException(name, "not valid JSON: " + reason);
            }
            // gson reports the column after the offending character.
            int col = Math.max(1, at[1] - 1);
            return new PolicyException(name, at[0], col, "not valid JSON: " + lowerFirst(reason),
                    excerpt(at[0], col));
        }

        private String excerpt(int line, int column) {
            if (line < 1) {
                return null;
            }
            String src = text.lines().skip(line - 1).findFirst().orElse("");
            if (src.length() > 200) {
                return null;
            }
            StringBuilder caret = new StringBuilder();
            for (int i = 1; i < column && i <= src.length(); i++) {
                caret.append(src.charAt(i - 1) == '\t' ? '\t' : ' ');
            }
            return Printable.masked(src) + "\n" + caret + "^";
        }
    }

    private static int[] parseWhere(String s) {
        // gson's JsonReader says where it is only in toString() and its messages: "at line 4 column 7 path $.x".
        // The first "line (\d+) column (\d+)", found by hand: this runs for every token of a policy (where()),
        // and a regex costs a first run more than the rest of the parse.
        for (int at = s.indexOf("line "); at >= 0; at = s.indexOf("line ", at + 1)) {
            int lineEnd = digits(s, at + 5);
            if (lineEnd > at + 5 && s.startsWith(" column ", lineEnd)) {
                int colEnd = digits(s, lineEnd + 8);
                if (colEnd > lineEnd + 8) {
                    return new int[] {Integer.parseInt(s.substring(at + 5, lineEnd)),
                        Integer.parseInt(s.substring(lineEnd + 8, colEnd))};
                }
            }
        }
        return new int[] {0, 0};
    }

    /** The end of the ASCII digits (a regex's \d) starting at {@code from}. */
    private static int digits(String s, int from) {
        int i = from;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        return i;
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case BEGIN_ARRAY -> "a list";
            case BEGIN_OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "true/false";
            case NULL -> "null";
            case END_DOCUMENT -> "the end of the file";
            default -> t.toString().toLowerCase(Locale.ROOT);
        };
    }
}

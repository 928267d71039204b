package dev.sandbox.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.syscall.Arch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyLoaderTest {
    private final List<String> warnings = new ArrayList<>();
    private final PolicyLoader loader = new PolicyLoader(warnings::add);

    private Policy parse(String json) {
        return loader.parse(json.getBytes(StandardCharsets.UTF_8), "p.json");
    }

    private PolicyException error(String json) {
        PolicyException e = assertThrows(PolicyException.class, () -> parse(json));
        assertEquals(125, e.exitCode());
        return e;
    }

    @Test
    @DisplayName("the seed format loads: mode, syscalls, kill by default")
    void seedFormat() {
        Policy p = parse("{ \"mode\": \"allow\", \"syscalls\": [\"read\", \"write\", \"exit_group\"] }");
        assertEquals(Mode.ALLOW, p.mode());
        assertEquals(Action.KILL, p.action());
        assertEquals(List.of("read", "write", "exit_group"), p.syscalls().stream().map(Object::toString).toList());
        assertTrue(warnings.isEmpty());
    }

    @Test
    @DisplayName("action errno takes a name or a number and defaults to EPERM")
    void errnoAction() {
        assertEquals(Action.errno(1), parse("{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[]}").action());
        assertEquals(Action.errno(38),
                parse("{\"mode\":\"block\",\"action\":\"errno\",\"errno\":\"ENOSYS\",\"syscalls\":[]}").action());
        assertEquals(Action.errno(13),
                parse("{\"mode\":\"block\",\"action\":\"errno\",\"errno\":13,\"syscalls\":[]}").action());
        assertEquals(Action.Kind.TRAP, parse("{\"mode\":\"block\",\"action\":\"trap\",\"syscalls\":[]}").action().kind());
    }

    @Test
    @DisplayName("an unknown syscall names line and column and suggests the near miss")
    void unknownSyscall() {
        PolicyException e = error("{\n  \"mode\": \"allow\",\n  \"syscalls\": [\n    \"read\", \"opne\"\n  ]\n}");
        assertEquals("policy p.json:4:13: unknown syscall \"opne\" (did you mean \"open\"?)", e.userMessage());
        assertEquals("    \"read\", \"opne\"\n            ^", e.excerpt());
    }

    @Test
    @DisplayName("a name far from every syscall gets no suggestion")
    void noSuggestion() {
        assertEquals("policy p.json:1:29: unknown syscall \"frobnicate_everything\"",
                error("{\"mode\":\"allow\",\"syscalls\":[\"frobnicate_everything\"]}").userMessage());
    }

    @Test
    @DisplayName("an i386-only syscall written without its arch says how to write it")
    void i386Only() {
        assertTrue(error("{\"mode\":\"allow\",\"syscalls\":[\"socketcall\"]}").problem()
                .contains("\"i386:socketcall\""));
        Policy p = parse("{\"mode\":\"allow\",\"syscalls\":[\"i386:socketcall\"]}");
        assertEquals(new SyscallRef(Arch.I386, "socketcall"), p.syscalls().get(0));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        not JSON                 | mode: allow                                        | not valid JSON
        a list, not an object    | ["read"]                                           | the policy must be a JSON object, not a list
        missing mode             | {"syscalls": []}                                   | missing "mode"
        wrong mode               | {"mode": "deny", "syscalls": []}                   | "mode" must be "allow" or "block", not "deny"
        mode not a string        | {"mode": 1, "syscalls": []}                        | "mode" must be a string, not a number
        missing syscalls         | {"mode": "allow"}                                  | missing "syscalls"
        syscalls not a list      | {"mode": "allow", "syscalls": "read"}              | "syscalls" must be a list of syscall names, not a string
        syscalls not strings     | {"mode": "allow", "syscalls": ["read", 3]}         | "syscalls" must hold only strings, found a number
        unknown key              | {"mode": "allow", "syscalls": [], "sycalls": []}   | unknown key "sycalls"
        duplicate key            | {"mode": "allow", "mode": "block", "syscalls": []} | key "mode" appears twice
        unknown action           | {"mode": "allow", "action": "deny", "syscalls": []}| unknown action "deny"
        unknown errno name       | {"mode": "block", "errno": "EWHAT", "syscalls": []}| unknown errno "EWHAT"
        errno out of range       | {"mode": "block", "errno": 70000, "syscalls": []}  | "errno" must be between 1 and 4095
        errno with kill          | {"mode": "block", "action": "kill", "errno": 1, "syscalls": []} | "errno" only applies with "action": "errno"
        x32 names are refused    | {"mode": "allow", "syscalls": ["x32:read"]}        | x32 syscalls cannot be allowed
        trailing content         | {"mode": "allow", "syscalls": []} []               | unexpected content after the policy object
        truncated                | {"mode": "allow", "syscalls": [                    | the file ends in the middle of the policy
        rules not a list         | {"mode": "allow", "syscalls": [], "rules": {}}     | "rules" must be a list of objects
        rule without action      | {"mode": "allow", "syscalls": [], "rules": [{"syscalls": ["mkdir"]}]} | a rule needs "syscalls" and "action"
        unknown rule key         | {"mode": "allow", "syscalls": [], "rules": [{"syscalls": [], "action": "kill", "why": 1}]} | unknown key "why" in a rule
        syscall in two rules     | {"mode": "allow", "syscalls": [], "rules": [{"syscalls": ["mkdir"], "action": "trap"}, {"syscalls": ["mkdir"], "action": "kill"}]} | "mkdir" is in more than one rule
        syscall listed and ruled | {"mode": "allow", "syscalls": ["mkdir"], "rules": [{"syscalls": ["mkdir"], "action": "errno"}]} | "mkdir" is both in "syscalls" and in a rule
        unknown known_up_to      | {"mode": "allow", "syscalls": [], "known_up_to": "stax"} | unknown syscall "stax"
        """)
    void badInput(String what, String json, String expected) {
        PolicyException e = error(json);
        assertTrue(e.userMessage().startsWith("policy p.json"), e.userMessage());
        assertTrue(e.problem().contains(expected), what + ": " + e.userMessage());
    }

    @Test
    @DisplayName("rules give their syscalls their own action; refuses() follows them")
    void rules() {
        Policy p = parse("{\"mode\":\"allow\",\"syscalls\":[\"read\"],\"known_up_to\":\"statx\",\"rules\":["
                + "{\"syscalls\":[\"mkdir\"],\"action\":\"errno\",\"errno\":\"EACCES\"},"
                + "{\"syscalls\":[\"getpid\"],\"action\":\"log\"}]}");
        assertEquals(Action.errno(13), p.ruleFor(new SyscallRef(Arch.X86_64, "mkdir")));
        assertEquals(true, p.refuses(new SyscallRef(Arch.X86_64, "mkdir")));
        assertEquals(false, p.refuses(new SyscallRef(Arch.X86_64, "getpid")));
        assertEquals("statx", p.knownUpTo());
    }

    @Test
    @DisplayName("an empty file is an error that shows the expected shape")
    void emptyFile() {
        assertTrue(error("  \n").problem().startsWith("file is empty"));
    }

    @Test
    @DisplayName("duplicate syscall names load with a warning naming the position")
    void duplicates() {
        Policy p = parse("{\"mode\":\"allow\",\"syscalls\":[\"read\",\"read\"]}");
        assertEquals(1, p.syscalls().size());
        assertEquals(List.of("policy p.json:1:36: \"read\" is listed more than once"), warnings);
        warnings.clear();
        parse("{\"mode\":\"allow\",\"syscalls\":[\"read\",\n \"write\", \"read\",\n\"write\",\"read\"],\n"
                + "\"rules\":[{\"action\":\"errno\",\"syscalls\":[\"mkdir\",\"mkdir\"]}]}");
        assertEquals(List.of("policy p.json:2:11: \"read\" is listed more than once",
                "policy p.json:3:1: \"write\" is listed more than once",
                "policy p.json:3:9: \"read\" is listed more than once",
                "policy p.json:4:48: \"mkdir\" is listed more than once"), warnings, "in order, each where it is");
    }

    @Test
    @DisplayName("files: missing, directory, too large")
    void files(@TempDir Path dir) throws IOException {
        assertEquals("policy " + dir.resolve("none.json") + ": cannot read: No such file or directory",
                assertThrows(PolicyException.class, () -> loader.load(dir.resolve("none.json"))).userMessage());
        assertTrue(assertThrows(PolicyException.class, () -> loader.load(dir)).problem().contains("directory"));
        Path big = dir.resolve("big.json");
        Files.write(big, new byte[(int) PolicyLoader.MAX_BYTES + 1]);
        assertTrue(assertThrows(PolicyException.class, () -> loader.load(big)).problem().contains("1 MiB"));
    }

    @Test
    @DisplayName("metadata is kept and ignored by the enforcer")
    void metadata() {
        Policy p = parse("{\"mode\":\"allow\",\"syscalls\":[\"read\"],\"metadata\":{\"program\":\"/bin/ls\",\"counts\":{}}}");
        assertEquals("/bin/ls", p.metadata().get("program").getAsString());
    }

    @Test
    @DisplayName("refuses(): allowlists refuse the unlisted; foreign arches are refused unless named; x32 always")
    void refuses() {
        Policy allow = parse("{\"mode\":\"allow\",\"syscalls\":[\"getpid\",\"i386:getpid\"]}");
        assertEquals(false, allow.refuses(new SyscallRef(Arch.X86_64, "getpid")));
        assertEquals(true, allow.refuses(new SyscallRef(Arch.X86_64, "mkdir")));
        assertEquals(false, allow.refuses(new SyscallRef(Arch.I386, "getpid")));
        assertEquals(true, allow.refuses(new SyscallRef(Arch.I386, "mkdir")));
        assertEquals(true, allow.refuses(new SyscallRef(Arch.X32, "getpid")));
        Policy block = parse("{\"mode\":\"block\",\"syscalls\":[\"mkdir\"]}");
        assertEquals(true, block.refuses(new SyscallRef(Arch.X86_64, "mkdir")));
        assertEquals(false, block.refuses(new SyscallRef(Arch.X86_64, "getpid")));
        assertEquals(true, block.refuses(new SyscallRef(Arch.I386, "getpid")));
    }

    @Test
    @DisplayName("only regular files are read: a FIFO does not hang, /dev/zero does not exhaust memory")
    void specialFiles(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("fifo.json");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        assertTrue(assertThrows(PolicyException.class, () -> loader.load(fifo)).problem()
                .startsWith("is not a regular file"));
        assertTrue(assertThrows(PolicyException.class, () -> loader.load(Path.of("/dev/zero"))).problem()
                .startsWith("is not a regular file"));
    }

    @Test
    @DisplayName("a number no table names is a syscall; a named number, x32 numbers and i386 numbers are not")
    void numbers() {
        Policy p = parse("{\"mode\":\"allow\",\"syscalls\":[\"1000\"]}");
        assertEquals(List.of(new SyscallRef(Arch.X86_64, "1000")), p.syscalls());
        assertEquals(Action.ALLOW, p.actionFor(Arch.X86_64, 1000));
        assertEquals("policy p.json:1:29: syscall 39 is \"getpid\"; write its name",
                error("{\"mode\":\"allow\",\"syscalls\":[\"39\"]}").userMessage());
        assertTrue(error("{\"mode\":\"allow\",\"syscalls\":[\"1073741824\"]}").problem()
                .contains("is not a syscall number"));
        assertTrue(error("{\"mode\":\"allow\",\"syscalls\":[\"0100\"]}").problem().contains("is not a syscall number"));
        assertTrue(error("{\"mode\":\"allow\",\"syscalls\":[\"i386:1000\"]}").problem()
                .contains("an i386 syscall is written by its name"));
    }

    @Test
    @DisplayName("text from the file is printed with its control characters escaped")
    void escapes() {
        PolicyException e = error("{\"mode\":\"allow\",\"syscalls\":[\"\\u001b]0;pwned\\u0007\"]}");
        assertEquals("policy p.json:1:29: unknown syscall \"\\x1b]0;pwned\\x07\"", e.userMessage());
        PolicyException raw = error("{\"mode\":\"allow\",\"syscalls\":[\"\u001b]0;pwned\"]}");
        assertTrue(raw.excerpt().startsWith("{\"mode\":\"allow\",\"syscalls\":[\"?]0;pwned"), raw.excerpt());
        PolicyException named = new PolicyException("a\u001b[2Jb.json", "x");
        assertEquals("policy a\\x1b[2Jb.json: x", named.userMessage());
    }

    @Test
    @DisplayName("a policy the enforcer cannot start a program under is refused by the one check")
    void enforceable() {
        parse("{\"mode\":\"allow\",\"syscalls\":[\"execve\"]}").checkEnforceable();
        parse("{\"mode\":\"block\",\"action\":\"log\",\"syscalls\":[\"execve\"]}").checkEnforceable();
        assertEquals("policy p.json: refuses execve (kill), so no program could start under it: remove \"execve\" "
                + "from the refused syscalls", assertThrows(PolicyException.class,
                () -> parse("{\"mode\":\"block\",\"syscalls\":[\"execve\"]}").checkEnforceable()).userMessage());
        assertThrows(PolicyException.class, () -> parse("{\"mode\":\"allow\",\"syscalls\":[\"read\"],\"rules\":"
                + "[{\"syscalls\":[\"execve\"],\"action\":\"errno\"}]}").checkEnforceable());
    }
}

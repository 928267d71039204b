package dev.sandbox.screen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.virtual.DefaultVirtualTerminal;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The authoring session on lanterna's virtual terminal: keys in, rendered text and the saved file out. */
class PolicyEditorTest {
    @TempDir
    Path tmp;

    private DefaultVirtualTerminal terminal;
    private TerminalScreen screen;
    private Path file;
    private PolicyEditor editor;

    @BeforeEach
    void open() throws IOException {
        file = tmp.resolve("p.json");
        Files.writeString(file, "{\"mode\":\"allow\",\"syscalls\":[\"execve\",\"read\",\"write\",\"exit_group\"],"
                + "\"metadata\":{\"counts\":{\"read\":12},\"provenance\":{\"read\":{\"first_executable\":\"/bin/x\","
                + "\"decided_by\":\"you\"}}}}");
        Path other = Files.writeString(tmp.resolve("o.json"),
                "{\"mode\":\"allow\",\"syscalls\":[\"execve\",\"read\",\"openat\"]}");
        PolicyLoader loader = new PolicyLoader(w -> { });
        Policy p = loader.load(file);
        terminal = new DefaultVirtualTerminal(new TerminalSize(140, 30));
        screen = new TerminalScreen(terminal);
        screen.startScreen();
        editor = new PolicyEditor(new EditorModel(p, loader.load(other)), file, screen);
        editor.render();
    }

    @AfterEach
    void close() throws IOException {
        screen.stopScreen();
    }

    private String text() {
        StringBuilder b = new StringBuilder();
        for (int row = 0; row < 30; row++) {
            for (int col = 0; col < 140; col++) {
                b.append(terminal.getCharacter(col, row).getCharacterString());
            }
            b.append('\n');
        }
        return b.toString();
    }

    private void type(String s) {
        for (char c : s.toCharArray()) {
            editor.handle(new KeyStroke(c, false, false));
            editor.render();
        }
    }

    private void key(KeyType t) {
        editor.handle(new KeyStroke(t));
        editor.render();
    }

    @Test
    @DisplayName("rows show category, state, learned counts, risk and description; the header the policy")
    void rendering() {
        type("/read");
        key(KeyType.Enter);
        String s = text();
        assertTrue(s.contains("sandbox edit " + file + " - allow mode, refused calls get kill - 4 allowed"), s);
        assertTrue(s.contains(" [x] file     read                           12x low    read from a file descriptor "
                + "(first: /bin/x, you)"), s);
        assertTrue(s.contains("space toggle  / search  a add  m mode  c action  d differences  s save  q quit"), s);
    }

    @Test
    @DisplayName("the editor opens on what the policy lists, then the rest")
    void listedFirst() {
        String s = text();
        String[] rows = s.split("\n");
        assertTrue(rows[1].substring(1).startsWith("[x] file     read "), s);
        assertTrue(rows[2].substring(1).startsWith("[x] file     write "), s);
        assertTrue(rows[3].substring(1).startsWith("[x] process  execve "), s);
        assertTrue(rows[4].substring(1).startsWith("[x] process  exit_group "), s);
        assertTrue(rows[5].substring(1).startsWith("[ ] "), s);
    }

    @Test
    @DisplayName("toggling a syscall and saving writes a file the loader accepts, with a backup of the old one")
    void toggleAndSave() throws IOException {
        String before = Files.readString(file);
        type("/write");
        key(KeyType.Enter);
        type(" ");
        assertTrue(text().contains("3 allowed [modified]"), text());
        type("s");
        assertTrue(text().contains("saved " + file + " (previous version in p.json.bak)"), text());
        Policy saved = new PolicyLoader(w -> { }).load(file);
        assertEquals("[execve, exit_group, read]", saved.syscalls().toString());
        assertEquals(before, Files.readString(tmp.resolve("p.json.bak")));
        assertEquals(12, saved.metadata().getAsJsonObject("counts").get("read").getAsInt(), "metadata kept");
    }

    @Test
    @DisplayName("add by name with Tab completion; an unknown name is refused with a sentence")
    void add() throws IOException {
        type("anewfsta");
        key(KeyType.Tab);
        assertTrue(text().contains("add syscall (Tab completes): newfstatat"), text());
        key(KeyType.Enter);
        assertTrue(text().contains("newfstatat is allowed"), text());
        type("aopne");
        key(KeyType.Enter);
        assertTrue(text().contains("no x86_64 syscall is called \"opne\""), text());
        type("s");
        assertTrue(new PolicyLoader(w -> { }).load(file).syscalls().toString().contains("newfstatat"));
    }

    @Test
    @DisplayName("mode and action switch; 'd' shows only the differences with --against")
    void modeActionDiff() throws IOException {
        type("mc");
        assertTrue(text().contains("block mode, refused calls get errno EPERM"), text());
        type("d");
        String s = text();
        assertTrue(s.contains("4 refused [modified] - differences with "), s);
        assertTrue(s.contains("-[ ] file     openat"), s);
        assertTrue(s.contains("+[x] file     write"), s);
        assertFalse(s.contains("] file     read "), "read is in both: " + s);
        type("s");
        Policy saved = new PolicyLoader(w -> { }).load(file);
        assertEquals("block", saved.mode().label());
        assertEquals("errno EPERM", saved.action().describe());
    }

    @Test
    @DisplayName("quitting with unsaved changes asks first; 'n' quits without writing")
    void quitAsks() throws IOException {
        String before = Files.readString(file);
        type(" ");
        assertTrue(editor.handle(new KeyStroke('q', false, false)), "the first q only asks");
        editor.render();
        assertTrue(text().contains("save the changes before quitting?"), text());
        assertFalse(editor.handle(new KeyStroke('n', false, false)));
        assertEquals(before, Files.readString(file));
    }

    @Test
    @DisplayName("a policy saved by the editor is one the enforcer runs: minimal.json plus getpid runs the probe")
    void savedPolicyRuns() throws IOException {
        Path minimal = tmp.resolve("minimal.json");
        Files.copy(dev.sandbox.testing.Probes.root().resolve("policies/minimal.json"), minimal);
        PolicyLoader loader = new PolicyLoader(w -> { });
        PolicyEditor ed = new PolicyEditor(new EditorModel(loader.load(minimal), null), minimal, screen);
        for (char c : "agetpid".toCharArray()) {
            ed.handle(new KeyStroke(c, false, false));
        }
        ed.handle(new KeyStroke(KeyType.Enter));
        ed.handle(new KeyStroke('s', false, false));
        assertTrue(loader.load(minimal).syscalls().toString().contains("getpid"));
        dev.sandbox.cli.SandboxRun r = dev.sandbox.cli.SandboxRun.run("--policy", minimal.toString(), "--exec",
                dev.sandbox.testing.Probes.path("static_hello"));
        assertEquals("hello from a static program\n", r.out(), r::toString);
        assertEquals(0, r.exit());
    }
}

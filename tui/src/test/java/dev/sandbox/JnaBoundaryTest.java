package dev.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * JNA stays inside the binding packages ({@code dev.sandbox.jna}, {@code dev.sandbox.trace.jna}): the rest of the code
 * calls methods with Java types ({@code Posix}, {@code Ptrace}, {@code StopBuffers}, ...) and catches
 * {@code NativeCallException}, never a JNA type. Checked on every module's main sources (the text) and on their
 * compiled classes (what they use, also through {@code var} or a call that returns a JNA type without naming it).
 */
class JnaBoundaryTest {
    private static final String JNA = "com.sun.jna";

    /** Every module with Java sources, found rather than listed, so a new module is checked too. */
    private static List<Path> modules() throws IOException {
        Path root = Probes.root();
        try (Stream<Path> dirs = Files.list(root)) {
            List<Path> found = dirs.filter(d -> Files.isDirectory(d.resolve("src/main/java"))).sorted().toList();
            assertTrue(found.size() >= 3, "expected the enforcer, tracer and tui modules under " + root);
            return found;
        }
    }

    /** A binding package: the file's own directory is named jna. */
    private static boolean inBinding(Path relativeToSourceRoot) {
        Path dir = relativeToSourceRoot.getParent();
        return dir != null && dir.getFileName().toString().equals("jna");
    }

    private static String read(Path f) {
        try {
            return Files.readString(f, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Source files (outside the binding packages unless {@code all}) whose text names JNA, from the project root. */
    static Set<String> sourceOffenders(boolean all) throws IOException {
        Path root = Probes.root();
        Set<String> out = new TreeSet<>();
        for (Path module : modules()) {
            Path src = module.resolve("src/main/java");
            try (Stream<Path> files = Files.walk(src)) {
                files.filter(f -> f.toString().endsWith(".java"))
                        .filter(f -> all || !inBinding(src.relativize(f)))
                        .filter(f -> read(f).contains(JNA))
                        .forEach(f -> out.add(root.relativize(f).toString()));
            }
        }
        return out;
    }

    /**
     * Compiled classes (outside the binding packages unless {@code all}) that refer to a JNA type, named by the source
     * file they come from (a nested class {@code Launcher$Child} by {@code Launcher.java}).
     */
    static Set<String> classOffenders(boolean all) throws IOException {
        Path root = Probes.root();
        byte[] needle = JNA.replace('.', '/').getBytes(StandardCharsets.US_ASCII);
        Set<String> out = new TreeSet<>();
        for (Path module : modules()) {
            Path classes = module.resolve("target/classes");
            assertTrue(Files.isDirectory(classes), classes + " is missing: build the module before its tests run");
            List<Path> found = new ArrayList<>();
            try (Stream<Path> files = Files.walk(classes)) {
                files.filter(f -> f.toString().endsWith(".class"))
                        .filter(f -> all || !inBinding(classes.relativize(f)))
                        .filter(f -> contains(bytes(f), needle))
                        .forEach(found::add);
            }
            for (Path f : found) {
                String rel = classes.relativize(f).toString();
                String outer = rel.substring(0, rel.length() - ".class".length()).replaceFirst("\\$.*", "");
                out.add(root.relativize(module.resolve("src/main/java").resolve(outer + ".java")).toString());
            }
        }
        return out;
    }

    private static byte[] bytes(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    @DisplayName("no main source outside a .jna package names com.sun.jna")
    void sources() throws IOException {
        assertEquals(Set.of(), sourceOffenders(false),
                "JNA belongs in dev.sandbox.jna / dev.sandbox.trace.jna: add a method with Java types there "
                        + "(Posix, Ptrace, StopBuffers) and catch NativeCallException instead");
    }

    @Test
    @DisplayName("no compiled class outside a .jna package uses a JNA type, even without naming it")
    void classes() throws IOException {
        assertEquals(Set.of(), classOffenders(false),
                "these classes use a JNA type (perhaps through var, or a binding method that returns one): give "
                        + "the binding a method with Java types instead");
    }

    @Test
    @DisplayName("the scans find what they look for: the binding packages' own JNA use")
    void scansSeeJna() throws IOException {
        // Guards the tests above against a scan that silently looks at nothing (a moved tree, a wrong root).
        for (Set<String> found : List.of(sourceOffenders(true), classOffenders(true))) {
            assertTrue(found.contains("enforcer/src/main/java/dev/sandbox/jna/LibC.java"), found.toString());
            assertTrue(found.contains("tracer/src/main/java/dev/sandbox/trace/jna/Ptrace.java"), found.toString());
        }
    }
}

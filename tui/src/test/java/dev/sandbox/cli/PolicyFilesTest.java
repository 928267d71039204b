package dev.sandbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sandbox.testing.Probes;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;

import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every shipped policy runs its program in static mode with the same exit status and output as a bare run, with the
 * output going to each kind of file a program can tell apart: a regular file, a pipe and a terminal. The program gets
 * the sandbox's own fds, and takes another path for each (cat copies to a regular file with copy_file_range, ls asks
 * a terminal for its width), so a policy learned with one kind only can kill the program in another.
 */
class PolicyFilesTest {
    @TempDir
    Path tmp;

    /** Where the program's stdout and stderr go. */
    enum Output { FILE, PIPE, TERMINAL }

    /** What the program's stdin is: nothing to read (or the terminal itself), a regular file, a pipe. */
    enum Input { NONE, FILE, PIPE }

    @BeforeAll
    static void kernel() {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
    }

    static Stream<Arguments> runs() {
        List<Arguments> all = new ArrayList<>();
        List<Arguments> programs = List.of(
                Arguments.of("ls", List.of("/bin/ls", "/")),
                Arguments.of("ls", List.of("/bin/ls", "-la", "/usr/share/doc")),
                Arguments.of("ls", List.of("/bin/ls", "-lR", "/etc/apt")),
                Arguments.of("ls", List.of("/bin/ls", "-la", "/nonexistent/missing")),
                Arguments.of("echo", List.of("/bin/echo", "hello", "world")),
                Arguments.of("cat", List.of("/bin/cat", "/etc/os-release")),
                Arguments.of("cat", List.of("/bin/cat", "/etc/hostname", "/etc/os-release")),
                Arguments.of("cat", List.of("/bin/cat", "/nonexistent/missing")),
                Arguments.of("sh", List.of("/bin/sh", "-c", "echo hi; cd /tmp; pwd")),
                Arguments.of("sh", List.of("/bin/sh", "-c", "x=$(echo y); /bin/true && echo $x")),
                Arguments.of("python3", List.of("/usr/bin/python3", "-c", "print(6 * 7)")));
        for (Arguments a : programs) {
            for (Output o : Output.values()) {
                all.add(Arguments.of(a.get()[0], a.get()[1], o));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "policies/{0}.json runs {1} with output to a {2}")
    @MethodSource("runs")
    void shippedPolicy(String policy, List<String> cmd, Output output) throws Exception {
        Probes.assumeFeature(Files.isExecutable(Path.of(cmd.get(0))), cmd.get(0) + " is not installed");
        assumeTerminal(output);
        SandboxRun expected = in(output, Input.NONE, null, cmd);
        SandboxRun actual = in(output, Input.NONE, null, enforced(policy, cmd));
        assertEquals(expected.exit(), actual.exit(), actual::toString);
        assertEquals(expected.out(), actual.out());
        assertEquals(expected.err(), actual.err());
    }

    static Stream<Arguments> catStdin() {
        List<Arguments> all = new ArrayList<>();
        for (Input i : List.of(Input.FILE, Input.PIPE)) {
            for (Output o : Output.values()) {
                all.add(Arguments.of(i, o));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "policies/cat.json copies its stdin from a {0} to a {1}")
    @MethodSource("catStdin")
    void catStdin(Input input, Output output) throws Exception {
        assumeTerminal(output);
        Path in = tmp.resolve("in");
        Files.writeString(in, "through the filter\nand a second line\n");
        SandboxRun expected = in(output, input, in, List.of("/bin/cat"));
        SandboxRun actual = in(output, input, in, enforced("cat", List.of("/bin/cat")));
        assertEquals(0, expected.exit(), expected::toString);
        assertEquals(expected.exit(), actual.exit(), actual::toString);
        // A terminal turns \n into \r\n on the way out
        assertEquals("through the filter\nand a second line\n", actual.out().replace("\r\n", "\n"));
        assertEquals(expected.out(), actual.out());
        assertEquals(expected.err(), actual.err());
    }

    @Test
    @DisplayName("policies/cat.json: cat in > out copies a regular file to a regular file (copy_file_range)")
    void catFileToFile() throws Exception {
        Path in = tmp.resolve("in");
        Path out = tmp.resolve("out");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            text.append("line ").append(i).append('\n');
        }
        Files.writeString(in, text);
        ProcessBuilder pb = new ProcessBuilder(setsid(SandboxRun.command("--policy", "cat", "--exec", "/bin/cat",
                in.toString()))).directory(Probes.root().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(tmp.resolve("err").toFile());
        Process p = pb.start();
        SandboxRun r = SandboxRun.finish(p, 60);
        assertEquals(0, r.exit(), "stderr: " + read(tmp.resolve("err")));
        assertEquals(text.toString(), Files.readString(out));
    }

    @Test
    @DisplayName("every invocation of a learned shipped policy was learned with output to a terminal, a pipe and a file")
    void learnedWithEveryOutput() throws IOException {
        for (String name : List.of("ls", "cat", "echo", "sh", "python3")) {
            Path file = Probes.root().resolve("policies").resolve(name + ".json");
            JsonObject meta = JsonParser.parseString(Files.readString(file)).getAsJsonObject()
                    .getAsJsonObject("metadata");
            Map<String, Set<String>> outputs = new TreeMap<>();
            for (JsonElement e : meta.getAsJsonArray("runs")) {
                assertTrue(e.isJsonObject() && e.getAsJsonObject().get("stdio") instanceof JsonObject,
                        name + ".json: a run without its stdio (not learned by regenerate.sh?): " + e);
                JsonObject run = e.getAsJsonObject();
                JsonObject stdio = run.getAsJsonObject("stdio");
                outputs.computeIfAbsent(run.get("command").toString(), k -> new TreeSet<>())
                        .add(stdio.get("stdout").getAsString());
            }
            assertTrue(outputs.size() > 1, name + ".json has runs of " + outputs.keySet());
            outputs.forEach((command, kinds) -> assertEquals(Set.of("file", "pipe", "terminal"), kinds,
                    name + ".json: " + command));
        }
    }

    private static List<String> enforced(String policy, List<String> cmd) {
        List<String> args = new ArrayList<>(List.of("--policy", policy, "--exec"));
        args.addAll(cmd);
        return SandboxRun.command(args.toArray(String[]::new));
    }

    private static void assumeTerminal(Output output) throws InterruptedException {
        if (output == Output.TERMINAL) {
            boolean script;
            try {
                script = new ProcessBuilder("script", "--version").start().waitFor() == 0;
            } catch (IOException e) {
                script = false;
            }
            Probes.assumeFeature(script, "script (util-linux) is not installed");
        }
    }

    /**
     * Runs {@code cmd} (a bare program, or the sandbox) in its own session with stdout and stderr of kind
     * {@code output} and stdin of kind {@code input} (read from {@code inFile}). A terminal is a pty of util-linux
     * script, which is also the program's stdin and controlling terminal; its out is what the terminal showed (stdout
     * and stderr together) and its err is empty.
     */
    private SandboxRun in(Output output, Input input, Path inFile, List<String> cmd) throws Exception {
        Path out = Files.createTempFile(tmp, "out", "");
        Path err = Files.createTempFile(tmp, "err", "");
        File dir = Probes.root().toFile();
        ProcessBuilder pb;
        if (output == Output.TERMINAL) {
            StringBuilder line = new StringBuilder(input == Input.PIPE ? "cat " + quote(inFile.toString()) + " | "
                    : "exec ");
            cmd.forEach(a -> line.append(quote(a)).append(' '));
            if (input == Input.FILE) {
                line.append("<").append(quote(inFile.toString()));
            }
            // SHELL: script runs the line with it; sh, so the quoting above is the quoting it reads
            pb = new ProcessBuilder("script", "-qec", line.toString(), "/dev/null");
            pb.environment().put("SHELL", "/bin/sh");
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        } else {
            pb = new ProcessBuilder(setsid(cmd));
            pb.redirectInput(switch (input) {
                case NONE -> ProcessBuilder.Redirect.from(new File("/dev/null"));
                case FILE -> ProcessBuilder.Redirect.from(inFile.toFile());
                case PIPE -> ProcessBuilder.Redirect.PIPE;
            });
            if (output == Output.FILE) {
                pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            }
        }
        Process p = pb.directory(dir).start();
        if (output != Output.TERMINAL && input == Input.PIPE) {
            p.getOutputStream().write(Files.readAllBytes(inFile));
            p.getOutputStream().close();
        }
        SandboxRun r = SandboxRun.finish(p, 60);
        if (output == Output.PIPE) {
            return r;
        }
        return new SandboxRun(r.exit(), read(out), read(err));
    }

    private static List<String> setsid(List<String> cmd) {
        List<String> full = new ArrayList<>(List.of("setsid"));
        full.addAll(cmd);
        return full;
    }

    private static String read(Path f) throws IOException {
        return new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}

package dev.sandbox.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PlanHeaderTest {
    private static String header() throws IOException {
        return Files.readString(Probes.root().resolve("native/src/plan.h"));
    }

    @Test
    @DisplayName("StepKind has the same names and numbers as enum step_kind in plan.h")
    void stepKinds() throws IOException {
        Map<String, Integer> c = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(STEP_[A-Z_]+)\\s*=\\s*(\\d+),").matcher(header());
        while (m.find()) {
            c.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        Map<String, Integer> java = new LinkedHashMap<>();
        for (StepKind k : StepKind.values()) {
            java.put(k.name(), k.number());
        }
        assertEquals(c, java);
    }

    @Test
    @DisplayName("magic, version, fds and the launcher argument agree with plan.h")
    void constants() throws IOException {
        String h = header();
        assertEquals(LaunchPlan.MAGIC, Integer.parseUnsignedInt(define(h, "PLAN_MAGIC").replace("u", "").substring(2), 16));
        assertEquals(LaunchPlan.VERSION, Integer.parseInt(define(h, "PLAN_VERSION")));
        assertEquals(Launcher.PLAN_FD, Integer.parseInt(define(h, "PLAN_FD")));
        assertEquals(Launcher.ERROR_FD, Integer.parseInt(define(h, "ERROR_FD")));
        assertEquals("\"" + Launcher.LAUNCHER_ARG + "\"", define(h, "LAUNCHER_ARG"));
    }

    private static String define(String h, String name) {
        Matcher m = Pattern.compile("#define " + name + "\\s+(\\S+)").matcher(h);
        if (!m.find()) {
            throw new AssertionError(name + " not in plan.h");
        }
        return m.group(1);
    }
}

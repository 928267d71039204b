package dev.sandbox.syscall;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What each x86_64 syscall is for, how risky it is to allow, and why: the project's own table
 * (resources/dev/sandbox/syscall/syscalls.tsv), used by the prompts and the policy tools.
 */
public final class SyscallKnowledge {
    public enum Risk {
        LOW, MEDIUM, HIGH;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** @param category file, process, memory, network, ipc, signals, time, system or security */
    public record Entry(String name, String category, Risk risk, String description) {}

    private static volatile Map<String, Entry> table;

    private SyscallKnowledge() {}

    /** The entry for an x86_64 syscall name; an unknown name is "unknown", medium risk. */
    public static Entry of(String name) {
        Entry e = table().get(name);
        return e != null ? e : new Entry(name, "unknown", Risk.MEDIUM, "not in sandbox's syscall table");
    }

    public static boolean has(String name) {
        return table().containsKey(name);
    }

    private static Map<String, Entry> table() {
        Map<String, Entry> t = table;
        if (t == null) {
            t = load();
            table = t;
        }
        return t;
    }

    private static Map<String, Entry> load() {
        Map<String, Entry> t = new HashMap<>();
        try (InputStream in = SyscallKnowledge.class.getResourceAsStream("syscalls.tsv")) {
            if (in == null) {
                throw new IllegalStateException("syscalls.tsv is missing from the build");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null;) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t", 4);
                t.put(f[0], new Entry(f[0], f[1], Risk.valueOf(f[2].toUpperCase(Locale.ROOT)), f[3]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return t;
    }
}

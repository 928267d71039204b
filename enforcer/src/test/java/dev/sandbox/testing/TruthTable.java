package dev.sandbox.testing;

import dev.sandbox.policy.Action;
import dev.sandbox.policy.ErrnoName;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The policy truth table (enforcer/src/test/resources/dev/sandbox/policy/truth-table.txt), parsed. */
public final class TruthTable {
    /**
     * One row.
     *
     * @param arch     the entry the call comes through; x32 calls are x86_64 with bit 30 in {@code nr}
     * @param nr       the number as seccomp_data carries it
     * @param probe    the probe invocation for the live run (probe name, then its arguments), or empty
     */
    public record Row(String policy, String json, Arch arch, String syscall, int nr, Action expected,
            List<String> probe) {
        /** AUDIT_ARCH_* as seccomp_data carries it: x32 calls come with the x86_64 token. */
        public int auditArch() {
            return arch == Arch.X32 ? Arch.X86_64.auditArch() : arch.auditArch();
        }

        /** The arch as the kernel reports it for seccomp. */
        public Arch kernelArch() {
            return arch == Arch.X32 ? Arch.X86_64 : arch;
        }

        public Policy load() {
            return new PolicyLoader(w -> { }).parse(json.getBytes(StandardCharsets.UTF_8), policy + ".json");
        }

        @Override
        public String toString() {
            return policy + " " + arch.label() + " " + syscall + " -> " + expected.describe();
        }
    }

    private TruthTable() {}

    public static Path file() {
        return Probes.root().resolve("enforcer/src/test/resources/dev/sandbox/policy/truth-table.txt");
    }

    public static List<Row> rows() {
        List<String> lines;
        try {
            lines = Files.readAllLines(file());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String runtime = "";
        Map<String, String> policies = new LinkedHashMap<>();
        List<Row> rows = new ArrayList<>();
        for (String line : lines) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.split("\\s+");
            if (f[0].equals("runtime")) {
                runtime = l.substring("runtime".length()).strip();
            } else if (f[0].equals("policy")) {
                String json = l.substring(l.indexOf('{')).replace("@runtime", runtime);
                policies.put(f[1], json);
            } else {
                String json = policies.get(f[0]);
                if (json == null) {
                    throw new IllegalStateException("truth table: no policy " + f[0]);
                }
                Arch arch = Arch.byLabel(f[1]);
                rows.add(new Row(f[0], json, arch, f[2], number(arch, f[2]), expected(f[3]),
                        probe(arch, Arrays.asList(f).subList(4, f.length))));
            }
        }
        return rows;
    }

    private static int number(Arch arch, String s) {
        int nr;
        if (s.startsWith("0x")) {
            nr = (int) Long.parseLong(s.substring(2), 16);
        } else if (Character.isDigit(s.charAt(0))) {
            nr = (int) Long.parseLong(s);
        } else {
            nr = SyscallNames.number(arch, s);
            if (nr < 0) {
                throw new IllegalStateException("truth table: " + arch.label() + " has no " + s);
            }
        }
        return arch == Arch.X32 ? nr | Arch.X32_SYSCALL_BIT : nr;
    }

    private static Action expected(String s) {
        if (s.startsWith("ERRNO(")) {
            return Action.errno(ErrnoName.number(s.substring(6, s.length() - 1)));
        }
        return Action.of(Action.Kind.valueOf(s));
    }

    /** "i386 20" runs int80_syscall 20, "x32" x32_getpid, anything else raw_syscall with those arguments. */
    private static List<String> probe(Arch arch, List<String> args) {
        if (args.isEmpty()) {
            return List.of();
        }
        List<String> p = new ArrayList<>();
        if (args.get(0).equals("i386")) {
            p.add("int80_syscall");
            p.addAll(args.subList(1, args.size()));
        } else if (args.get(0).equals("x32")) {
            p.add("x32_getpid");
        } else {
            p.add("raw_syscall");
            p.addAll(args);
        }
        return p;
    }
}

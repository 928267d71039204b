package dev.sandbox.syscall;

import dev.sandbox.jna.LibSeccomp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Syscall names and numbers per arch, from libseccomp's tables; nothing here is a hand-written list. */
public final class SyscallNames {
    /** Numbers above this are not syscalls on any arch libseccomp 2.5 knows; the scan for names stops here. */
    static final int SCAN_LIMIT = 1024;

    private static final Map<Arch, List<String>> ALL = new EnumMap<>(Arch.class);
    /**
     * Per arch, names by number, filled on first use. The tracer looks a name up at every stop, so this is a plain
     * array read; a race between two threads filling the same slot writes the same immutable String twice.
     */
    private static final String[][] NAMES = new String[Arch.values().length][SCAN_LIMIT];

    private SyscallNames() {}

    /** Per arch, numbers by name, filled on first use (the learner may ask at every stop). */
    @SuppressWarnings("unchecked")
    private static final Map<String, Integer>[] NUMBERS = new Map[Arch.values().length];

    static {
        for (Arch a : Arch.values()) {
            NUMBERS[a.ordinal()] = new java.util.concurrent.ConcurrentHashMap<>();
        }
    }

    /** The number of {@code name} on {@code arch} (without the x32 bit), or -1 if it has none there. */
    public static int number(Arch arch, String name) {
        return NUMBERS[arch.ordinal()].computeIfAbsent(name, n -> lookup(arch, n));
    }

    private static int lookup(Arch arch, String name) {
        LibSeccomp.ensureAvailable();
        int nr = LibSeccomp.seccomp_syscall_resolve_name_arch(arch.auditArch(), name);
        if (nr < 0) {
            // libseccomp answers negative "pseudo numbers" for syscalls that exist only on other arches
            return -1;
        }
        return arch == Arch.X32 ? nr & ~Arch.X32_SYSCALL_BIT : nr;
    }

    /** The name of syscall {@code nr} on {@code arch}, or {@code syscall_NNN} when libseccomp knows none. */
    public static String name(Arch arch, int nr) {
        String name = nameOrNull(arch, nr);
        return name != null ? name : "syscall_" + nr;
    }

    /** The name of syscall {@code nr} on {@code arch}, or null when libseccomp knows none. */
    public static String nameOrNull(Arch arch, int nr) {
        String[] cache = NAMES[arch.ordinal()];
        String cached = nr >= 0 && nr < SCAN_LIMIT ? cache[nr] : null;
        if (cached != null) {
            return cached == NONE ? null : cached;
        }
        if (nr < 0 || nr > Arch.X32_SYSCALL_BIT - 1) {
            return null;
        }
        LibSeccomp.ensureAvailable();
        int lookup = arch == Arch.X32 ? nr | Arch.X32_SYSCALL_BIT : nr;
        String name = LibSeccomp.resolveNum(arch.auditArch(), lookup);
        if (nr < SCAN_LIMIT) {
            cache[nr] = name != null ? name : NONE;
        }
        return name;
    }

    /** Marks "no name" in the cache; compared by identity. */
    @SuppressWarnings("StringOperationCanBeSimplified")
    private static final String NONE = new String("");

    /** Whether libseccomp knows a syscall by this name on {@code arch}. */
    public static boolean known(Arch arch, String name) {
        return number(arch, name) >= 0;
    }

    /** Every name libseccomp knows on {@code arch}, in number order. */
    public static synchronized List<String> all(Arch arch) {
        return ALL.computeIfAbsent(arch, a -> {
            List<String> names = new ArrayList<>();
            for (int nr = 0; nr < SCAN_LIMIT; nr++) {
                String n = nameOrNull(a, nr);
                if (n != null) {
                    names.add(n);
                }
            }
            return Collections.unmodifiableList(names);
        });
    }

    /** The highest syscall number libseccomp knows on {@code arch}. */
    public static int highest(Arch arch) {
        List<String> names = all(arch);
        return number(arch, names.get(names.size() - 1));
    }

    /** The closest known name to a misspelt one, or null when nothing is close. */
    public static String suggest(Arch arch, String wrong) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        int allowed = Math.max(1, Math.min(3, wrong.length() / 3));
        for (String candidate : all(arch)) {
            int d = distance(wrong, candidate);
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        return bestDistance <= allowed ? best : null;
    }

    /** Damerau-Levenshtein (optimal string alignment) distance: a swapped pair of letters counts once. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}

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
        if (fromTable) {
            readTable(arch);
            Integer nr = NUMBERS[arch.ordinal()].get(name);
            return nr != null ? nr : -1; // the table holds every name the arch has
        }
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
        if (fromTable) {
            readTable(arch);
            return nr < SCAN_LIMIT && cache[nr] != NONE ? cache[nr] : null;
        }
        LibSeccomp.ensureAvailable();
        int lookup = arch == Arch.X32 ? nr | Arch.X32_SYSCALL_BIT : nr;
        String name = LibSeccomp.resolveNum(arch.auditArch(), lookup);
        if (nr < SCAN_LIMIT) {
            cache[nr] = name != null ? name : NONE;
        }
        return name;
    }

    /** Set by {@link #useTable}: libseccomp is then not loaded into this JVM. */
    private static volatile boolean fromTable;
    /** The table, and per arch where its part starts (-1: none), until that part is read into the caches. */
    private static byte[] table;
    private static final int[] TABLE_AT = new int[Arch.values().length];

    /**
     * Takes every name from {@code table}, which sandbox-run made with the libseccomp it compiles with (recipe.h,
     * "names"), instead of asking libseccomp here: a first run's JVM then never loads JNA. For each arch, every
     * number below {@link #SCAN_LIMIT} that has a name: {@code seccomp_syscall_resolve_num_arch(arch token, nr, with
     * the x32 bit for x32)}, which is what this class asks libseccomp otherwise, so the answers are the same. An
     * arch's part is read on its first use (a plain policy needs only x86_64's). Called once, before any lookup.
     */
    public static synchronized void useTable(byte[] names) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(names).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        java.util.Arrays.fill(TABLE_AT, -1);
        while (b.hasRemaining()) {
            int token = b.getInt();
            int count = b.getInt();
            int len = b.getInt();
            Arch arch = null;
            for (Arch a : Arch.values()) {
                arch = a.auditArch() == token ? a : arch;
            }
            if (arch == null || count < 0 || count > SCAN_LIMIT || len < 0 || len > b.remaining()) {
                throw new IllegalArgumentException("a syscall name table with arch " + token + ", count " + count);
            }
            TABLE_AT[arch.ordinal()] = b.position() - 8;
            b.position(b.position() + len);
        }
        table = names;
        fromTable = true;
    }

    /** Reads {@code arch}'s part of the table into the caches, once. */
    private static synchronized void readTable(Arch arch) {
        int at = TABLE_AT[arch.ordinal()];
        if (at == -2) {
            return;
        }
        String[] names = NAMES[arch.ordinal()];
        Map<String, Integer> numbers = NUMBERS[arch.ordinal()];
        if (at >= 0) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(table).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.position(at);
            int count = b.getInt();
            b.getInt();
            for (int i = 0; i < count; i++) {
                int nr = b.getInt();
                int len = b.getInt();
                if (nr < 0 || nr >= SCAN_LIMIT || len < 0 || len > b.remaining()) {
                    throw new IllegalArgumentException("a syscall name table with number " + nr);
                }
                // libseccomp's names are ASCII
                String name = new String(table, b.position(), len, java.nio.charset.StandardCharsets.ISO_8859_1);
                b.position(b.position() + len);
                names[nr] = name;
                numbers.putIfAbsent(name, nr);
            }
        }
        for (int nr = 0; nr < SCAN_LIMIT; nr++) {
            if (names[nr] == null) {
                names[nr] = NONE;
            }
        }
        TABLE_AT[arch.ordinal()] = -2;
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
        List<String> known = ALL.get(arch);
        if (known == null) {
            List<String> names = new ArrayList<>();
            for (int nr = 0; nr < SCAN_LIMIT; nr++) {
                String n = nameOrNull(arch, nr);
                if (n != null) {
                    names.add(n);
                }
            }
            known = Collections.unmodifiableList(names);
            ALL.put(arch, known);
        }
        return known;
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

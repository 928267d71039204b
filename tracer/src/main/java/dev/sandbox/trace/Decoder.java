package dev.sandbox.trace;

import dev.sandbox.syscall.Arch;
import dev.sandbox.trace.jna.TraceeMemory;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Shows a syscall's arguments the way strace does, enough for a person to decide: paths and strings read from the
 * tracee (process_vm_readv), flags as names for open/openat/mmap/socket/clone. Used for prompts and --verbose only,
 * never on the silent fast path.
 */
public final class Decoder {
    /** How to show one argument; the names are those of arguments.tsv, in lower case. */
    enum Kind { INT, HEX, FD, DIRFD, PATH, STR, OPEN_FLAGS, MODE, PROT, MMAP_FLAGS, DOMAIN, SOCK_TYPE, CLONE_FLAGS, SIG,
        PTR }

    /** Every x86_64 syscall's arguments, as many as it takes (none for getuid, one for personality). */
    private static final Map<String, Kind[]> SIGNATURES = load();

    private static Map<String, Kind[]> load() {
        Map<String, Kind[]> m = new HashMap<>();
        try (var in = Decoder.class.getResourceAsStream("arguments.tsv")) {
            if (in == null) {
                throw new IllegalStateException("arguments.tsv is missing from the build");
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] cols = line.split("\t", 2);
                String[] words = cols.length < 2 || cols[1].isBlank() ? new String[0] : cols[1].trim().split(" ");
                Kind[] kinds = new Kind[words.length];
                for (int i = 0; i < words.length; i++) {
                    kinds[i] = Kind.valueOf(words[i].toUpperCase(java.util.Locale.ROOT));
                }
                m.put(cols[0].trim(), kinds);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return m;
    }

    /** How many arguments {@code name} takes on x86_64; -1 if the table does not know it. */
    static int arity(String name) {
        Kind[] k = SIGNATURES.get(name);
        return k == null ? -1 : k.length;
    }

    /** The kind of argument {@code i} of {@code name}, for tests. */
    static Kind kind(String name, int i) {
        return SIGNATURES.get(name)[i];
    }

    private static final int PATH_MAX_SHOWN = 256;
    private static final long O_CREAT = 0100;
    private static final long O_TMPFILE = 020000000;

    private final TraceeMemory memory = new TraceeMemory(PATH_MAX_SHOWN);

    /**
     * {@code openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC)}. A call through another ABI shows its raw
     * arguments (as many as the x86_64 call of that name takes); a syscall newer than the table shows three.
     */
    public String decode(int pid, SyscallInfo call) {
        String name = call.name();
        Kind[] kinds = SIGNATURES.get(name);
        StringJoiner out = new StringJoiner(", ", name + "(", ")");
        if (kinds == null || call.arch() != Arch.X86_64) {
            int n = kinds == null ? 3 : kinds.length;
            for (int i = 0; i < n; i++) {
                out.add(hex(call.args()[i]));
            }
            return out.toString();
        }
        for (int i = 0; i < kinds.length; i++) {
            // strace shows open's mode only when the flags can create a file
            if (kinds[i] == Kind.MODE && i > 0 && kinds[i - 1] == Kind.OPEN_FLAGS
                    && (call.args()[i - 1] & (O_CREAT | O_TMPFILE)) == 0) {
                break;
            }
            out.add(arg(pid, kinds[i], call.args()[i]));
        }
        return out.toString();
    }

    private String arg(int pid, Kind kind, long v) {
        return switch (kind) {
            case FD -> Integer.toString((int) v);
            case INT -> Long.toString((int) v == v ? (int) v : v);
            case HEX, PTR -> v == 0 && kind == Kind.PTR ? "NULL" : hex(v);
            case DIRFD -> (int) v == -100 ? "AT_FDCWD" : Integer.toString((int) v);
            case PATH, STR -> string(pid, v);
            case MODE -> "0" + Long.toOctalString(v & 07777);
            case OPEN_FLAGS -> openFlags(v);
            case PROT -> flags(v, PROT, "PROT_NONE");
            case MMAP_FLAGS -> flags(v, MMAP, "0");
            case DOMAIN -> named(v, DOMAINS, "AF_");
            case SOCK_TYPE -> named(v & 0xf, SOCK_TYPES, "SOCK_") + flagsSuffix(v & ~0xfL, SOCK_FLAGS);
            case CLONE_FLAGS -> cloneFlags(v);
            case SIG -> dev.sandbox.launch.Signals.name((int) v);
        };
    }

    /** A NUL-terminated string in the tracee, quoted; the address in hex if it cannot be read. */
    public String string(int pid, long addr) {
        if (addr == 0) {
            return "NULL";
        }
        // Read at most to the end of the page that holds addr, so an unmapped next page does not fail the read.
        long toPageEnd = 4096 - (addr & 4095);
        int want = (int) Math.min(PATH_MAX_SHOWN, toPageEnd);
        byte[] got = memory.read(pid, addr, want);
        if (got == null) {
            return hex(addr);
        }
        int len = 0;
        while (len < got.length && got[len] != 0) {
            len++;
        }
        if (len == got.length && want < PATH_MAX_SHOWN) {
            byte[] more = memory.read(pid, addr + want, PATH_MAX_SHOWN - want);
            if (more != null) {
                byte[] all = new byte[got.length + more.length];
                System.arraycopy(got, 0, all, 0, got.length);
                System.arraycopy(more, 0, all, got.length, more.length);
                got = all;
                while (len < got.length && got[len] != 0) {
                    len++;
                }
            }
        }
        String s = new String(got, 0, len, StandardCharsets.UTF_8);
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                case '\t' -> q.append("\\t");
                default -> q.append(c < 0x20 ? String.format("\\x%02x", (int) c) : String.valueOf(c));
            }
        }
        q.append('"');
        if (len == got.length) {
            q.append("...");
        }
        return q.toString();
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    // <asm-generic/fcntl.h>
    private static final Object[][] OPEN = {
        {0100L, "O_CREAT"}, {0200L, "O_EXCL"}, {0400L, "O_NOCTTY"}, {01000L, "O_TRUNC"}, {02000L, "O_APPEND"},
        {04000L, "O_NONBLOCK"}, {010000L, "O_DSYNC"}, {020000L, "O_ASYNC"}, {040000L, "O_DIRECT"},
        {0200000L, "O_DIRECTORY"}, {0400000L, "O_NOFOLLOW"}, {01000000L, "O_NOATIME"}, {02000000L, "O_CLOEXEC"},
        {04000000L, "O_SYNC"}, {010000000L, "O_PATH"}, {020000000L, "O_TMPFILE"}, {0100000L, "O_LARGEFILE"},
    };
    // <asm-generic/mman-common.h>
    private static final Object[][] PROT = {{1L, "PROT_READ"}, {2L, "PROT_WRITE"}, {4L, "PROT_EXEC"}};
    private static final Object[][] MMAP = {
        {0x01L, "MAP_SHARED"}, {0x02L, "MAP_PRIVATE"}, {0x10L, "MAP_FIXED"}, {0x20L, "MAP_ANONYMOUS"},
        {0x100L, "MAP_GROWSDOWN"}, {0x800L, "MAP_DENYWRITE"}, {0x2000L, "MAP_LOCKED"}, {0x4000L, "MAP_NORESERVE"},
        {0x8000L, "MAP_POPULATE"}, {0x20000L, "MAP_STACK"}, {0x100000L, "MAP_FIXED_NOREPLACE"},
    };
    // <bits/socket.h>
    private static final Map<Long, String> DOMAINS = Map.of(1L, "AF_UNIX", 2L, "AF_INET", 10L, "AF_INET6",
            16L, "AF_NETLINK", 17L, "AF_PACKET");
    private static final Map<Long, String> SOCK_TYPES = Map.of(1L, "SOCK_STREAM", 2L, "SOCK_DGRAM", 3L, "SOCK_RAW",
            5L, "SOCK_SEQPACKET");
    private static final Object[][] SOCK_FLAGS = {{04000L, "SOCK_NONBLOCK"}, {02000000L, "SOCK_CLOEXEC"}};
    // <linux/sched.h>
    private static final Object[][] CLONE = {
        {0x100L, "CLONE_VM"}, {0x200L, "CLONE_FS"}, {0x400L, "CLONE_FILES"}, {0x800L, "CLONE_SIGHAND"},
        {0x1000L, "CLONE_PIDFD"}, {0x2000L, "CLONE_PTRACE"}, {0x4000L, "CLONE_VFORK"}, {0x8000L, "CLONE_PARENT"},
        {0x10000L, "CLONE_THREAD"}, {0x20000L, "CLONE_NEWNS"}, {0x40000L, "CLONE_SYSVSEM"},
        {0x80000L, "CLONE_SETTLS"}, {0x100000L, "CLONE_PARENT_SETTID"}, {0x200000L, "CLONE_CHILD_CLEARTID"},
        {0x800000L, "CLONE_UNTRACED"}, {0x1000000L, "CLONE_CHILD_SETTID"}, {0x2000000L, "CLONE_NEWCGROUP"},
        {0x4000000L, "CLONE_NEWUTS"}, {0x8000000L, "CLONE_NEWIPC"}, {0x10000000L, "CLONE_NEWUSER"},
        {0x20000000L, "CLONE_NEWPID"}, {0x40000000L, "CLONE_NEWNET"}, {0x80000000L, "CLONE_IO"},
    };

    static String openFlags(long v) {
        String access = switch ((int) (v & 3)) {
            case 0 -> "O_RDONLY";
            case 1 -> "O_WRONLY";
            case 2 -> "O_RDWR";
            default -> "O_ACCMODE";
        };
        return access + flagsSuffix(v & ~3L, OPEN);
    }

    static String cloneFlags(long v) {
        String sig = (v & 0xff) != 0 ? dev.sandbox.launch.Signals.name((int) (v & 0xff)) : "";
        String rest = flags(v & ~0xffL, CLONE, "");
        return rest.isEmpty() ? (sig.isEmpty() ? "0" : sig) : sig.isEmpty() ? rest : rest + "|" + sig;
    }

    private static String flags(long v, Object[][] table, String zero) {
        if (v == 0) {
            return zero;
        }
        String s = flagsSuffix(v, table);
        return s.substring(1);
    }

    private static String flagsSuffix(long v, Object[][] table) {
        StringBuilder b = new StringBuilder();
        long rest = v;
        for (Object[] f : table) {
            long bit = (Long) f[0];
            if ((rest & bit) == bit && bit != 0) {
                b.append('|').append(f[1]);
                rest &= ~bit;
            }
        }
        if (rest != 0) {
            b.append('|').append(hex(rest));
        }
        return b.toString();
    }

    private static String named(long v, Map<Long, String> names, String prefix) {
        String n = names.get(v);
        return n != null ? n : prefix + "???(" + v + ")";
    }
}

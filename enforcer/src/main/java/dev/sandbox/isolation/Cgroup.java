package dev.sandbox.isolation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A child cgroup holding the program's memory, CPU and pids limits: created before the launch, the launcher placed
 * in it by the parent while it waits at its sync step (so its first instruction already runs limited), read and
 * removed after the run. cgroup v2 when our cgroup there has the controllers (root's tree, or a subtree delegated to
 * us); cgroup v1 controllers where that is what the host mounts. nsjail does the same split (cgroup2.cc / cgroup.cc).
 */
public final class Cgroup {
    private final boolean v2;
    /** controller (or "" for v2's single directory) → our new directory */
    private final Map<String, Path> dirs;
    private final Long memory;
    private final Integer pids;

    private Cgroup(boolean v2, Map<String, Path> dirs, Long memory, Integer pids) {
        this.v2 = v2;
        this.dirs = dirs;
        this.memory = memory;
        this.pids = pids;
    }

    /** Why a cgroup cannot be made: a sentence with what is missing and how to get it. */
    public static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message);
        }
    }

    /** Creates the cgroup with the limits; never partially: on failure nothing is left behind. */
    public static Cgroup create(Long memory, Double cpus, Integer pids, String name) throws Unavailable {
        List<String> needed = new ArrayList<>();
        if (memory != null) {
            needed.add("memory");
        }
        if (cpus != null) {
            needed.add("cpu");
        }
        if (pids != null) {
            needed.add("pids");
        }
        Map<String, String> own = ownCgroups();
        Path unified = unifiedMount();
        if (unified != null && own.containsKey("")) {
            Path parent = unified.resolve(relative(own.get("")));
            String controllers = read(parent.resolve("cgroup.controllers"));
            if (controllers != null && List.of(controllers.trim().split("\\s+")).containsAll(needed)) {
                Path dir = parent.resolve(name);
                Cgroup cg = new Cgroup(true, Map.of("", dir), memory, pids);
                try {
                    mkdir(dir);
                    if (memory != null) {
                        write(dir.resolve("memory.max"), Long.toString(memory));
                        writeIfPresent(dir.resolve("memory.swap.max"), "0");
                    }
                    if (cpus != null) {
                        write(dir.resolve("cpu.max"), Math.round(cpus * 100_000) + " 100000");
                    }
                    if (pids != null) {
                        write(dir.resolve("pids.max"), Integer.toString(pids));
                    }
                    return cg;
                } catch (IOException e) {
                    cg.remove();
                    throw new Unavailable("cannot set up cgroup " + dir + ": " + e.getMessage() + hint());
                }
            }
        }
        Map<String, Path> mounts = v1Mounts();
        Map<String, Path> dirs = new LinkedHashMap<>();
        Cgroup cg = new Cgroup(false, dirs, memory, pids);
        try {
            for (String c : needed) {
                Path mount = mounts.get(c);
                if (mount == null || !own.containsKey(c)) {
                    throw new Unavailable("no cgroup controller \"" + c + "\" here: neither cgroup v2 with it "
                            + "enabled in our cgroup (" + (unified == null ? "no cgroup2 mount" : unified) + ") nor a "
                            + "cgroup v1 " + c + " hierarchy is mounted");
                }
                Path dir = mount.resolve(relative(own.get(c))).resolve(name);
                mkdir(dir);
                dirs.put(c, dir);
                switch (c) {
                    case "memory" -> {
                        write(dir.resolve("memory.limit_in_bytes"), Long.toString(memory));
                        // Swap would let the program exceed the limit; the memsw file exists only with swap accounting.
                        writeIfPresent(dir.resolve("memory.memsw.limit_in_bytes"), Long.toString(memory));
                    }
                    case "cpu" -> {
                        write(dir.resolve("cpu.cfs_period_us"), "100000");
                        write(dir.resolve("cpu.cfs_quota_us"), Long.toString(Math.round(cpus * 100_000)));
                    }
                    default -> write(dir.resolve("pids.max"), Integer.toString(pids));
                }
            }
            return cg;
        } catch (IOException e) {
            cg.remove();
            throw new Unavailable("cannot set up a cgroup: " + e.getMessage() + hint());
        } catch (Unavailable e) {
            cg.remove();
            throw e;
        }
    }

    private static String hint() {
        return " (cgroup limits need root, or a cgroup v2 subtree delegated to you, e.g. systemd-run --user --scope "
                + "-p Delegate=yes sandbox ...)";
    }

    /** From the parent, while the launcher waits: every process it starts from now on is inside. */
    public void place(int pid) throws IOException {
        for (Path dir : dirs.values()) {
            write(dir.resolve("cgroup.procs"), Integer.toString(pid));
        }
    }

    public String describe() {
        return (v2 ? "cgroup v2 " : "cgroup v1 ") + String.join(", ", dirs.values().stream().map(Path::toString)
                .toList());
    }

    /**
     * What the limits did to the run: "memory limit 256M reached" when the kernel's OOM killer acted in our cgroup,
     * a line about refused forks when the pids limit was hit.
     */
    public record Report(boolean oomKilled, long forkRefusals, long memoryPeak) {}

    public Report report() {
        long oom = 0;
        long refused = 0;
        long peak = -1;
        Path mem = dirs.get(v2 ? "" : "memory");
        if (mem != null && memory != null) {
            oom = field(read(mem.resolve(v2 ? "memory.events" : "memory.oom_control")), "oom_kill");
            String p = read(mem.resolve(v2 ? "memory.peak" : "memory.max_usage_in_bytes"));
            if (p != null && !p.isBlank()) {
                try {
                    peak = Long.parseLong(p.trim());
                } catch (NumberFormatException e) {
                    peak = -1;
                }
            }
        }
        Path pd = dirs.get(v2 ? "" : "pids");
        if (pd != null && pids != null) {
            refused = field(read(pd.resolve("pids.events")), "max");
        }
        return new Report(oom > 0, refused, peak);
    }

    /** Kills what is left inside (a daemon the program started) and removes the directories. */
    public void remove() {
        for (Path dir : dirs.values()) {
            for (int attempt = 0; attempt < 50 && Files.isDirectory(dir); attempt++) {
                if (!writeIfPresent(dir.resolve("cgroup.kill"), "1")) {
                    String procs = read(dir.resolve("cgroup.procs"));
                    if (procs != null) {
                        for (String pid : procs.split("\\s+")) {
                            if (!pid.isBlank()) {
                                ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                            }
                        }
                    }
                }
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    try {
                        Thread.sleep(10); // the killed processes leave the cgroup asynchronously
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    public List<Path> directories() {
        return List.copyOf(dirs.values());
    }

    private static long field(String text, String key) {
        if (text == null) {
            return 0;
        }
        for (String line : text.split("\n")) {
            String[] kv = line.trim().split("\\s+");
            if (kv.length == 2 && kv[0].equals(key)) {
                try {
                    return Long.parseLong(kv[1]);
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }

    /** /proc/self/cgroup: controller → path ("" for the v2 line "0::/path"). */
    static Map<String, String> ownCgroups() {
        Map<String, String> out = new LinkedHashMap<>();
        String text = read(Path.of("/proc/self/cgroup"));
        if (text == null) {
            return out;
        }
        for (String line : text.split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            if (f[0].equals("0") && f[1].isEmpty()) {
                out.put("", f[2]);
            } else {
                for (String c : f[1].split(",")) {
                    out.put(c, f[2]);
                }
            }
        }
        return out;
    }

    /** The cgroup2 mount point, from /proc/self/mountinfo. */
    static Path unifiedMount() {
        String text = read(Path.of("/proc/self/mountinfo"));
        if (text == null) {
            return null;
        }
        for (String line : text.split("\n")) {
            String[] halves = line.split(" - ", 2);
            if (halves.length == 2 && halves[1].startsWith("cgroup2 ")) {
                return Path.of(halves[0].split(" ")[4]);
            }
        }
        return null;
    }

    /** Every cgroup v1 controller's mount point, from /proc/self/mountinfo's super options. */
    static Map<String, Path> v1Mounts() {
        Map<String, Path> out = new LinkedHashMap<>();
        String text = read(Path.of("/proc/self/mountinfo"));
        if (text == null) {
            return out;
        }
        for (String line : text.split("\n")) {
            String[] halves = line.split(" - ", 2);
            if (halves.length == 2 && halves[1].startsWith("cgroup ")) {
                String[] after = halves[1].split(" ");
                Path mount = Path.of(halves[0].split(" ")[4]);
                if (after.length >= 3) {
                    for (String opt : after[2].split(",")) {
                        out.putIfAbsent(opt, mount);
                    }
                }
            }
        }
        return out;
    }

    private static String relative(String path) {
        return path.startsWith("/") ? path.substring(1) : path;
    }

    private static void mkdir(Path dir) throws IOException {
        try {
            Files.createDirectory(dir);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new IOException(dir + ": permission denied", e);
        } catch (IOException e) {
            throw new IOException(dir + ": " + e, e);
        }
    }

    private static void write(Path file, String value) throws IOException {
        try {
            Files.writeString(file, value, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IOException("writing " + value + " to " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean writeIfPresent(Path file, String value) {
        if (!Files.exists(file)) {
            return false;
        }
        try {
            Files.writeString(file, value, StandardCharsets.US_ASCII);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String read(Path file) {
        return KernelFiles.readOrNull(file);
    }
}

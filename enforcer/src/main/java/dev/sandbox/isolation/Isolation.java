package dev.sandbox.isolation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What a person asked the sandbox to isolate, from the command line and a profile: namespaces, the filesystem view,
 * identity, capabilities, limits, network and Landlock. Pure settings, checked as they are set; {@code
 * dev.sandbox.launch.IsolationSteps} turns them into launch steps, and the enforcer and the learner get the same.
 *
 * <p>A profile sets values first, then the command line: a scalar from the command line replaces the profile's, a
 * list (mounts, rlimits, rules, capabilities, namespaces) adds to it.
 */
public final class Isolation {
    public enum Net { HOST, NONE }

    /** Landlock's shorthand modes (Stakpak's linux-sandbox names). */
    public enum FsMode { READONLY, WORKSPACE_WRITE, FULL_ACCESS }

    private final Set<Namespace> namespaces = EnumSet.noneOf(Namespace.class);
    private Net net = Net.HOST;
    private String hostname;
    private String root;
    private final List<Mount> mounts = new ArrayList<>();
    private Integer uid;
    private Integer gid;
    private String userName;
    private String groupName;
    private long capAdd;
    private long capDrop;
    private final List<Rlimit> rlimits = new ArrayList<>();
    private Long memory;
    private Double cpus;
    private Integer pids;
    private final List<FsRule> fsRules = new ArrayList<>();
    private FsMode fsMode;
    private String workspace;
    private boolean bestEffort;

    public static Isolation none() {
        return new Isolation();
    }

    /** Nothing asked: the launch plan gets only the default capability drop (when there is anything to drop). */
    public boolean isEmpty() {
        return namespaces.isEmpty() && net == Net.HOST && root == null && mounts.isEmpty() && uid == null
                && gid == null && capAdd == 0 && rlimits.isEmpty() && !hasCgroupLimits() && !hasLandlock();
    }

    public Isolation unshare(Namespace n) {
        namespaces.add(n);
        return this;
    }

    public Isolation unshareAll() {
        Collections.addAll(namespaces, Namespace.values());
        return this;
    }

    /** "user,pid,net" or "all". */
    public Isolation unshare(String list) {
        for (String w : list.split(",")) {
            if (w.isBlank()) {
                continue;
            }
            if (w.trim().equalsIgnoreCase("all")) {
                unshareAll();
                continue;
            }
            Namespace n = Namespace.parse(w);
            if (n == null) {
                throw new IllegalArgumentException("--unshare " + list + ": unknown namespace \"" + w.trim()
                        + "\" (user, pid, mount, net, ipc, uts, cgroup or all)");
            }
            namespaces.add(n);
        }
        return this;
    }

    public Isolation net(String mode) {
        net = switch (mode.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "none" -> Net.NONE;
            case "host" -> Net.HOST;
            default -> throw new IllegalArgumentException("--net " + mode + ": expected none or host");
        };
        return this;
    }

    public Isolation hostname(String name) {
        hostname = name;
        return this;
    }

    public Isolation root(String dir) {
        if (!dir.startsWith("/")) {
            throw new IllegalArgumentException("--root " + dir + ": the path must be absolute");
        }
        root = dir;
        return this;
    }

    public Isolation mount(Mount m) {
        mounts.add(m);
        return this;
    }

    /** NAME or #UID; names are looked up in /etc/passwd when the plan is built. */
    public Isolation user(String spec) {
        if (spec.startsWith("#")) {
            uid = id("--user", spec);
            userName = null;
        } else {
            userName = spec;
            uid = Accounts.uid(spec);
        }
        return this;
    }

    public Isolation group(String spec) {
        if (spec.startsWith("#")) {
            gid = id("--group", spec);
            groupName = null;
        } else {
            groupName = spec;
            gid = Accounts.gid(spec);
        }
        return this;
    }

    private static int id(String option, String spec) {
        try {
            long v = Long.parseLong(spec.substring(1));
            if (v < 0 || v > 0xfffffffeL) {
                throw new NumberFormatException();
            }
            return (int) v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " " + spec + ": #ID must be a number from 0 to 4294967294");
        }
    }

    /** CAP_X,CAP_Y (the CAP_ prefix is optional). */
    public Isolation capAdd(String list) {
        capAdd |= caps("--cap-add", list);
        capDrop &= ~capAdd;
        return this;
    }

    /** ALL (the default) or CAP_X,...: removes from what --cap-add kept. */
    public Isolation capDrop(String list) {
        if (list.trim().equalsIgnoreCase("ALL")) {
            capAdd = 0;
            return this;
        }
        long m = caps("--cap-drop", list);
        capDrop |= m;
        capAdd &= ~m;
        return this;
    }

    private static long caps(String option, String list) {
        long mask = 0;
        for (String w : list.split(",")) {
            if (w.isBlank()) {
                continue;
            }
            int n = Capabilities.number(w);
            if (n < 0) {
                throw new IllegalArgumentException(option + " " + list + ": unknown capability \"" + w.trim()
                        + "\" (see capabilities(7), e.g. CAP_NET_BIND_SERVICE)");
            }
            mask |= 1L << n;
        }
        return mask;
    }

    public Isolation rlimit(Rlimit r) {
        rlimits.removeIf(o -> o.resource() == r.resource());
        rlimits.add(r);
        return this;
    }

    public Isolation memory(String size) {
        try {
            long v = Sizes.parse(size);
            if (v < 1 << 20) {
                throw new IllegalArgumentException("--memory " + size + ": at least 1M");
            }
            memory = v;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith("--memory") ? e.getMessage()
                    : "--memory " + size + ": " + e.getMessage());
        }
        return this;
    }

    public Isolation cpus(String n) {
        try {
            double v = Double.parseDouble(n);
            if (!(v >= 0.01) || v > 4096) {
                throw new NumberFormatException();
            }
            cpus = v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--cpus " + n + ": a number of CPUs from 0.01 up, e.g. 0.5");
        }
        return this;
    }

    public Isolation pids(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("--pids " + n + ": at least 1");
        }
        pids = n;
        return this;
    }

    public Isolation fsRule(FsRule r) {
        if (!r.path().startsWith("/")) {
            throw new IllegalArgumentException(r.access().option() + " " + r.path() + ": the path must be absolute");
        }
        fsRules.add(r);
        return this;
    }

    /** readonly | workspace-write DIR | full-access */
    public Isolation fsMode(String mode, String dir) {
        fsMode = switch (mode.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "readonly", "read-only" -> FsMode.READONLY;
            case "workspace-write" -> FsMode.WORKSPACE_WRITE;
            case "full-access" -> FsMode.FULL_ACCESS;
            default -> throw new IllegalArgumentException("--fs-mode " + mode
                    + ": expected readonly, workspace-write or full-access");
        };
        if (fsMode == FsMode.WORKSPACE_WRITE) {
            if (dir == null || !dir.startsWith("/")) {
                throw new IllegalArgumentException("--fs-mode workspace-write needs an absolute --workspace DIR");
            }
            workspace = dir;
        }
        return this;
    }

    public Isolation bestEffort(boolean on) {
        bestEffort = on;
        return this;
    }

    public Set<Namespace> namespaces() {
        return Collections.unmodifiableSet(namespaces);
    }

    public Net net() {
        return net;
    }

    public String hostname() {
        return hostname;
    }

    public String root() {
        return root;
    }

    public List<Mount> mounts() {
        return Collections.unmodifiableList(mounts);
    }

    public Integer uid() {
        return uid;
    }

    public Integer gid() {
        return gid;
    }

    public String userName() {
        return userName;
    }

    public String groupName() {
        return groupName;
    }

    /** The capabilities the program keeps (everything else is dropped). */
    public long capsKept() {
        return capAdd;
    }

    public List<Rlimit> rlimits() {
        return Collections.unmodifiableList(rlimits);
    }

    public Long memory() {
        return memory;
    }

    public Double cpus() {
        return cpus;
    }

    public Integer pids() {
        return pids;
    }

    public boolean hasCgroupLimits() {
        return memory != null || cpus != null || pids != null;
    }

    /** The Landlock rules, the mode's expanded first; empty when Landlock is not asked for (or full-access). */
    public List<FsRule> fsRules() {
        List<FsRule> all = new ArrayList<>();
        if (fsMode == FsMode.READONLY || fsMode == FsMode.WORKSPACE_WRITE) {
            // readonly means the program may still run what it finds: read and exec everywhere, write nowhere
            all.add(new FsRule(FsRule.Access.EXEC, "/"));
            all.add(new FsRule(FsRule.Access.RW, "/dev/null"));
        }
        if (fsMode == FsMode.WORKSPACE_WRITE) {
            all.add(new FsRule(FsRule.Access.RW, workspace));
        }
        all.addAll(fsRules);
        return all;
    }

    public FsMode fsMode() {
        return fsMode;
    }

    public boolean hasLandlock() {
        return fsMode == FsMode.READONLY || fsMode == FsMode.WORKSPACE_WRITE || !fsRules.isEmpty();
    }

    public boolean bestEffort() {
        return bestEffort;
    }

    /** The settings as one line, for --verbose and the audit log. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (!namespaces.isEmpty()) {
            parts.add("--unshare " + String.join(",", namespaces.stream().map(Namespace::label).toList()));
        }
        if (net == Net.NONE) {
            parts.add("--net none");
        }
        if (root != null) {
            parts.add("--root " + root);
        }
        mounts.forEach(m -> parts.add(m.describe()));
        if (uid != null) {
            parts.add("--user " + (userName != null ? userName : "#" + uid));
        }
        if (gid != null) {
            parts.add("--group " + (groupName != null ? groupName : "#" + gid));
        }
        parts.add("capabilities kept: " + Capabilities.names(capAdd));
        rlimits.forEach(r -> parts.add("--rlimit " + r.describe()));
        if (memory != null) {
            parts.add("--memory " + memory);
        }
        if (cpus != null) {
            parts.add("--cpus " + cpus);
        }
        if (pids != null) {
            parts.add("--pids " + pids);
        }
        fsRules().forEach(r -> parts.add(r.describe()));
        return String.join(" ", parts);
    }
}

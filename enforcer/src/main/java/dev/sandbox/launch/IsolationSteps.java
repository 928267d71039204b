package dev.sandbox.launch;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.isolation.Capabilities;
import dev.sandbox.isolation.Cgroup;
import dev.sandbox.isolation.FsRule;
import dev.sandbox.isolation.Isolation;
import dev.sandbox.isolation.Landlock;
import dev.sandbox.isolation.Mount;
import dev.sandbox.isolation.Namespace;
import dev.sandbox.isolation.Rlimit;
import dev.sandbox.jna.LibC;
import dev.sandbox.seccomp.BpfProgram;
import dev.sandbox.seccomp.IsolationFilter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Turns {@link Isolation} settings into launch steps, and does the parent's part of them: writing the user
 * namespace's id maps and placing the launcher in its cgroup while it waits at STEP_SYNC, and reading and removing the
 * cgroup afterwards. Every decision is made here, in Java; the launcher only executes the steps.
 *
 * <p>Implied settings, as documented in the README: a user namespace is added whenever another namespace is asked for
 * and we are not root (rootless); any filesystem option means a mount namespace and a fresh root; a pid namespace
 * means a mount namespace and a fresh {@code /proc}; {@code --net none} means a network namespace and the socket
 * filter. Capabilities are dropped by default wherever there are any to drop (root, or inside a user namespace).
 */
public final class IsolationSteps {
    // <sys/mount.h>
    static final long MS_NOSUID = 2;
    static final long MS_NODEV = 4;
    static final long MS_NOEXEC = 8;
    static final long MS_BIND = 4096;
    static final long MS_REC = 16384;
    static final long MS_PRIVATE = 1L << 18;
    // <linux/mount.h>
    static final long MOUNT_ATTR_RDONLY = 1;
    static final long MOUNT_ATTR_NOSUID = 2;
    static final int AT_RECURSIVE = 0x8000;
    /** Device nodes a minimal /dev gets, bound from the host's (bubblewrap's list, minus the terminal multiplexer). */
    static final List<String> DEV_NODES = List.of("null", "zero", "full", "random", "urandom", "tty");

    private final Isolation settings;
    private final Set<Namespace> ns = EnumSet.noneOf(Namespace.class);
    private final boolean privileged;
    private final long permitted;
    private final long effective;
    static final int CAP_SETPCAP = 8;
    static final int CAP_SYS_ADMIN = 21;
    private final int callerUid;
    private final int callerGid;
    private final int insideUid;
    private final int insideGid;
    private boolean freshRoot;
    private final List<String> warnings = new ArrayList<>();
    private final String cwd;
    private final List<String> notes = new ArrayList<>();
    private Cgroup cgroup;

    IsolationSteps(Isolation settings, String cwd) {
        this.settings = settings;
        this.cwd = cwd;
        // Without isolation options the plan is exactly the plain one (capabilities as they are, as sandbox-run's
        // cached plan has them); with any, the capabilities there are get dropped below.
        long[] caps = settings.isEmpty() ? new long[2] : ownCaps();
        this.permitted = caps[0];
        this.effective = caps[1];
        // Root in name only (a bounding set emptied by setpriv or a container) makes namespaces the rootless way.
        // The ids matter only to isolation steps; a plain plan is also made by a first run's JVM, which loads no
        // native bindings (sandbox-run compiles that policy).
        boolean plain = settings.isEmpty();
        this.privileged = !plain && LibC.geteuid() == 0 && (effective & (1L << CAP_SYS_ADMIN)) != 0;
        this.callerUid = plain ? -1 : LibC.getuid();
        this.callerGid = plain ? -1 : LibC.getgid();
        ns.addAll(settings.namespaces());
        freshRoot = settings.root() != null || !settings.mounts().isEmpty();
        boolean ownProc = false;
        for (Mount m : settings.mounts()) {
            // a loop, not a stream: the plain plan is made by a first run's compile JVM too (PolicyArg says why)
            ownProc |= m.kind() == Mount.Kind.PROC;
        }
        if (freshRoot || ownProc) {
            ns.add(Namespace.MOUNT);
        }
        if (ownProc) {
            ns.add(Namespace.PID); // a proc of our own needs a pid namespace of our own
        }
        if (ns.contains(Namespace.PID)) {
            ns.add(Namespace.MOUNT);
        }
        if (settings.net() == Isolation.Net.NONE) {
            ns.add(Namespace.NET);
        }
        if (settings.hasCgroupLimits()) {
            // The program may write to cgroup.procs files it owns (uid 0 owns them all, capabilities or not) and so
            // move itself out of its limits: the cgroup trees are made read-only in its own mount namespace.
            ns.add(Namespace.MOUNT);
        }
        if (!ns.isEmpty() && !privileged) {
            ns.add(Namespace.USER);
        }
        if (settings.bestEffort()) {
            degrade();
        }
        createCgroup();
        if (cgroup != null && !ns.contains(Namespace.MOUNT)) {
            warnings.add("no mount namespace: the program could move itself out of its cgroup and its limits");
        }
        boolean userNs = ns.contains(Namespace.USER);
        insideUid = settings.uid() != null ? settings.uid() : userNs || !privileged ? callerUid : LibC.geteuid();
        insideGid = settings.gid() != null ? settings.gid() : callerGid;
        if (!userNs && !privileged && (settings.uid() != null && settings.uid() != callerUid
                || settings.gid() != null && settings.gid() != callerGid)) {
            throw refused("--user/--group need root, or a user namespace (--unshare user) where the ids are mapped "
                    + "to yours");
        }
        if (!userNs && (permitted & settings.capsKept()) != settings.capsKept()) {
            throw refused("--cap-add " + Capabilities.names(settings.capsKept() & ~permitted) + ": the sandbox "
                    + "does not have them to keep (run as root, or in a user namespace: --unshare user)");
        }
    }

    /**
     * --best-effort: try each namespace once with a probe plan (the launcher, unshare, exit) and go on without the
     * ones the kernel refuses, one warning each. Without a mount namespace there is no new root and no /proc of our
     * own, so those go too, with their own warning; without a user namespace an unprivileged caller gets none.
     */
    private void degrade() {
        Launcher launcher = Launcher.installed();
        if (ns.contains(Namespace.USER)) {
            int err = launcher.probe(LaunchPlan.probe().unshare(Namespace.USER.cloneFlag(), "user").exitProbe());
            if (err != 0) {
                warnings.add("no user namespace here (" + dev.sandbox.jna.Errno.describe(err) + "): running "
                        + "without it" + (privileged ? "" : ", and so without any namespace"));
                ns.remove(Namespace.USER);
                if (!privileged) {
                    missing(EnumSet.copyOf(ns));
                }
            }
        }
        for (Namespace n : EnumSet.copyOf(ns)) {
            if (n == Namespace.USER) {
                continue;
            }
            LaunchPlan probe = LaunchPlan.probe();
            if (ns.contains(Namespace.USER)) {
                probe.unshare(Namespace.USER.cloneFlag(), "user");
            }
            int err = launcher.probe(probe.unshare(n.cloneFlag(), n.label()).exitProbe());
            if (err != 0) {
                warnings.add("no " + n.label() + " namespace here (" + dev.sandbox.jna.Errno.describe(err)
                        + "): running without it");
                missing(EnumSet.of(n));
            }
        }
    }

    private void missing(Set<Namespace> gone) {
        ns.removeAll(gone);
        if (gone.contains(Namespace.MOUNT)) {
            if (freshRoot) {
                warnings.add("no mount namespace: no new root, the mount options are ignored");
            }
            freshRoot = false;
            ns.remove(Namespace.PID); // its /proc could not be mounted
        }
        if (gone.contains(Namespace.NET) && settings.net() == Isolation.Net.NONE) {
            warnings.add("no network namespace: --net none holds only through the seccomp socket rule");
        }
    }

    /** What --best-effort went on without, one sentence each. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** CapPrm and CapEff of this process, from /proc/self/status. */
    private static long[] ownCaps() {
        long[] out = new long[2];
        String status = dev.sandbox.isolation.KernelFiles.readOrNull(Path.of("/proc/self/status"));
        if (status != null) {
            for (String line : status.split("\n")) {
                if (line.startsWith("CapPrm:")) {
                    out[0] = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                } else if (line.startsWith("CapEff:")) {
                    out[1] = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        }
        return out;
    }

    private static SandboxException refused(String message) {
        return new SandboxException(message, ExitCodes.REFUSED);
    }

    /** The namespaces the plan creates, implied ones included. */
    public Set<Namespace> namespaces() {
        return java.util.Collections.unmodifiableSet(ns);
    }

    /** What the isolation does, one line each, for --verbose. */
    public List<String> notes() {
        return List.copyOf(notes);
    }

    /** Whether the program runs in a new pid namespace (under an init of the launcher's: STEP_PID_INIT). */
    public boolean pidNamespace() {
        return ns.contains(Namespace.PID);
    }

    /**
     * The program's pid as a process inside its namespaces sees it: in a new pid namespace it is pid 2 (after the
     * launcher's init), otherwise the launcher's own pid, which execve keeps.
     */
    public int programPid(int launcherPid) {
        return pidNamespace() ? 2 : launcherPid;
    }

    boolean needsSync() {
        return ns.contains(Namespace.USER) || cgroup != null;
    }

    boolean needsNoNewPrivs() {
        return settings.hasLandlock();
    }

    /** Step 1: the user namespace, then the sync where the parent writes its maps and places it in the cgroup. */
    void userNamespace(LaunchPlan plan) {
        if (ns.contains(Namespace.USER)) {
            plan.unshare(Namespace.USER.cloneFlag(), "user");
            notes.add("user namespace: uid " + Integer.toUnsignedString(insideUid) + " inside is "
                    + Integer.toUnsignedString(callerUid) + " outside, gid " + Integer.toUnsignedString(insideGid)
                    + " is " + Integer.toUnsignedString(callerGid));
        }
        if (needsSync()) {
            plan.sync();
        }
    }

    /** Step 2: the other namespaces in one unshare, then pid 1 of a new pid namespace. */
    void namespaces(LaunchPlan plan) {
        int flags = 0;
        List<String> names = new ArrayList<>();
        for (Namespace n : ns) {
            if (n != Namespace.USER) {
                flags |= n.cloneFlag();
                names.add(n.label());
            }
        }
        if (flags != 0) {
            plan.unshare(flags, String.join(",", names));
            notes.add("namespaces: " + String.join(", ", ns.stream().map(Namespace::label).toList()));
        }
        if (ns.contains(Namespace.PID)) {
            plan.pidInit();
        }
    }

    /** Step 3: the mount namespace made private, the new root built on a tmpfs, pivot_root, old root detached. */
    void filesystem(LaunchPlan plan) {
        if (!ns.contains(Namespace.MOUNT)) {
            return;
        }
        // Nothing we mount may propagate back to the host (mount --make-rprivate /).
        plan.mount(null, "/", null, MS_REC | MS_PRIVATE, null, "making / private (mount --make-rprivate /)");
        if (cgroup != null) {
            // Before the binds, which copy each mount's read-only flag; in any mount namespace the program nests
            // under a user namespace of its own the kernel locks the flag (MNT_LOCK_READONLY).
            for (String tree : cgroupMounts()) {
                plan.mountSetattr(tree, MOUNT_ATTR_RDONLY, 0, AT_RECURSIVE, "the cgroup tree " + tree
                        + " read-only (the program stays in its cgroup)");
            }
        }
        boolean ownProc = settings.mounts().stream().anyMatch(m -> m.kind() == Mount.Kind.PROC);
        if (!freshRoot) {
            if (ns.contains(Namespace.PID)) {
                plan.mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, null, "proc on /proc");
            }
            return;
        }
        // bubblewrap's way: a tmpfs base holding newroot and oldroot, a first pivot_root into it so every host path
        // is reachable as /oldroot/PATH, binds into /newroot, then a second pivot_root into /newroot.
        plan.mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", "tmpfs on /tmp (a base for the new "
                + "root, in our mount namespace only)");
        plan.mkdir("/tmp/newroot");
        plan.mkdir("/tmp/oldroot");
        if (settings.root() == null) {
            plan.mount("tmpfs", "/tmp/newroot", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", "an empty tmpfs root");
        }
        plan.pivotRoot("/tmp", "/tmp/oldroot");
        plan.chdir("/");
        if (settings.root() != null) {
            String real = realPath("--root", settings.root());
            plan.mount("/oldroot" + real, "/newroot", null, MS_BIND | MS_REC, null, "--root " + real);
            plan.mountSetattr("/newroot", MOUNT_ATTR_NOSUID, 0, AT_RECURSIVE, "--root " + real);
        }
        for (Mount m : settings.mounts()) {
            String dst = "/newroot" + (m.dst().equals("/") ? "" : m.dst());
            switch (m.kind()) {
                case BIND, RO_BIND -> {
                    String real = realPath(m.kind().option(), m.src());
                    parents(plan, m.dst());
                    if (!m.dst().equals("/")) {
                        if (Files.isDirectory(Path.of(real))) {
                            plan.mkdir(dst);
                        } else {
                            plan.mkfile(dst);
                        }
                    }
                    plan.mount("/oldroot" + real, dst, null, MS_BIND | MS_REC, null, m.describe());
                    // nosuid always (a setuid binary must never regain what was dropped); read-only recursively,
                    // keeping each submount's own nodev/noexec: mount_setattr (5.12+) does both in one call.
                    plan.mountSetattr(dst, MOUNT_ATTR_NOSUID | (m.kind() == Mount.Kind.RO_BIND ? MOUNT_ATTR_RDONLY
                            : 0), 0, AT_RECURSIVE, m.describe());
                }
                case TMPFS -> {
                    parents(plan, m.dst());
                    plan.mkdir(dst);
                    plan.mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", m.describe());
                }
                case PROC -> {
                    parents(plan, m.dst());
                    plan.mkdir(dst);
                    plan.mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, null, m.describe());
                }
                case DEV -> {
                    parents(plan, m.dst());
                    plan.mkdir(dst);
                    plan.mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755", m.describe());
                    for (String node : DEV_NODES) {
                        plan.mkfile(dst + "/" + node);
                        plan.mount("/oldroot/dev/" + node, dst + "/" + node, null, MS_BIND, null,
                                "/dev/" + node + " for " + m.describe());
                    }
                    plan.symlink("/proc/self/fd", dst + "/fd");
                    plan.symlink("/proc/self/fd/0", dst + "/stdin");
                    plan.symlink("/proc/self/fd/1", dst + "/stdout");
                    plan.symlink("/proc/self/fd/2", dst + "/stderr");
                    plan.mkdir(dst + "/shm");
                }
            }
        }
        if (ns.contains(Namespace.PID) && !ownProc) {
            // The pid namespace's own /proc: the host's would list (and name) processes the program cannot signal.
            plan.mkdir("/newroot/proc");
            plan.mount("proc", "/newroot/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, null, "proc on /proc");
        }
        plan.umount("/oldroot");
        // pivot_root(".", ".") stacks the old root under the new one; detaching "." then drops it (pivot_root(2)).
        plan.chdir("/newroot");
        plan.pivotRoot(".", ".");
        plan.umount(".");
        plan.chdir("/");
        notes.add("new root: " + (settings.root() != null ? settings.root() : "an empty tmpfs") + ", "
                + settings.mounts().size() + " mount(s), old root detached");
    }

    /** Mount points of every cgroup and cgroup2 file system we see, from /proc/self/mountinfo. */
    static List<String> cgroupMounts() {
        return cgroupMounts(dev.sandbox.isolation.KernelFiles.readOrNull(Path.of("/proc/self/mountinfo")));
    }

    static List<String> cgroupMounts(String mountinfo) {
        List<String> out = new ArrayList<>();
        if (mountinfo == null) {
            return out;
        }
        for (String line : mountinfo.split("\n")) {
            String[] f = line.split(" ");
            int dash = java.util.Arrays.asList(f).indexOf("-");
            if (f.length > 4 && dash > 4 && dash + 1 < f.length
                    && (f[dash + 1].equals("cgroup") || f[dash + 1].equals("cgroup2"))) {
                out.add(unescape(f[4]));
            }
        }
        return out;
    }

    /** mountinfo writes space, tab, newline and backslash in paths as \ooo. */
    private static String unescape(String path) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '\\' && i + 3 < path.length() && path.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(path.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static void parents(LaunchPlan plan, String dst) {
        Path p = Path.of(dst).getParent();
        List<String> dirs = new ArrayList<>();
        while (p != null && !p.toString().equals("/")) {
            dirs.add(0, p.toString());
            p = p.getParent();
        }
        for (String d : dirs) {
            plan.mkdir("/newroot" + d);
        }
    }

    private static String realPath(String option, String path) {
        try {
            return Path.of(path).toRealPath().toString();
        } catch (IOException e) {
            throw refused(option + " " + path + ": " + (e instanceof java.nio.file.NoSuchFileException
                    ? "No such file or directory" : e.getMessage()));
        }
    }

    /** Loopback up in a new network namespace; the hostname in a new UTS namespace. */
    void network(LaunchPlan plan) {
        if (ns.contains(Namespace.NET)) {
            plan.loopbackUp();
            notes.add("network: a namespace of its own with only loopback"
                    + (settings.net() == Isolation.Net.NONE ? "; sockets other than AF_UNIX refused by seccomp" : ""));
        }
        if (ns.contains(Namespace.UTS)) {
            plan.sethostname(settings.hostname() != null ? settings.hostname() : "sandbox");
        }
    }

    /**
     * The program's directory: ours, or in a new root the same directory where a bind put it (the last bind
     * covering it wins, as the last mount on top does), else "/".
     */
    String workingDirectory() {
        if (!freshRoot) {
            return cwd;
        }
        String here = cwd != null ? cwd : System.getProperty("user.dir");
        String best = null;
        if (settings.root() != null && isUnder(here, settings.root())) {
            best = here.substring(settings.root().length());
        }
        for (Mount m : settings.mounts()) {
            if ((m.kind() == Mount.Kind.BIND || m.kind() == Mount.Kind.RO_BIND) && isUnder(here, m.src())) {
                best = m.dst() + here.substring(m.src().length());
            }
        }
        if (best == null || best.isEmpty()) {
            best = "/";
        }
        if (!best.equals(here)) {
            notes.add("working directory in the new root: " + best);
        }
        return best.replace("//", "/");
    }

    private static boolean isUnder(String path, String dir) {
        return dir.equals("/") || path.equals(dir) || path.startsWith(dir + "/");
    }

    /** Step 4: rlimits (the cgroup is the parent's, at the sync). */
    void limits(LaunchPlan plan) {
        for (Rlimit r : settings.rlimits()) {
            plan.rlimit(r.resource(), r.soft(), r.hard(), r.describe());
        }
    }

    /** Step 5: user and group, then capabilities. */
    void identity(LaunchPlan plan, int deathSignal, int sandboxPid) {
        boolean userNs = ns.contains(Namespace.USER);
        boolean changeIds = settings.uid() != null || settings.gid() != null || userNs;
        if (changeIds) {
            // In a user namespace made by an unprivileged caller setgroups is denied (the kernel's rule for
            // unprivileged maps), so the supplementary groups stay, shown as the overflow gid.
            plan.identity(insideGid, insideUid, privileged);
            if (!userNs && !ns.contains(Namespace.PID)) {
                // A uid change clears the parent-death signal; set it again (with pid init, init carries it).
                plan.parentDeathSignal(deathSignal, sandboxPid);
            }
        }
        if (permitted != 0 || userNs) {
            long keep = settings.capsKept();
            boolean bounding = userNs || (effective & (1L << CAP_SETPCAP)) != 0;
            plan.caps(keep, Capabilities.lastCap(), keep != 0 && insideUid != 0, bounding, Capabilities.names(keep));
            notes.add("capabilities kept: " + Capabilities.names(keep) + " (" + (bounding ? "bounding, " : "")
                    + "effective, permitted, inheritable" + (keep != 0 && insideUid != 0 ? ", ambient" : "")
                    + "; the rest dropped)");
        }
    }

    /** Step 6: Landlock, after NO_NEW_PRIVS. */
    void landlock(LaunchPlan plan) {
        List<FsRule> rules = settings.fsRules();
        if (!settings.hasLandlock()) {
            return;
        }
        int abi = Landlock.abi();
        if (abi == 0) {
            if (settings.bestEffort()) {
                warnings.add("no Landlock: " + Landlock.unavailabilityCause() + "; the filesystem rules are not "
                        + "enforced");
                return;
            }
            throw refused("cannot restrict the filesystem with Landlock: " + Landlock.unavailabilityCause()
                    + " (--best-effort runs without)");
        }
        long handled = Landlock.handled(abi);
        plan.landlockRuleset(LaunchPlan.le64(handled));
        for (FsRule r : rules) {
            long rights = Landlock.rights(r.access(), abi) & handled;
            Path p = Path.of(r.path());
            if (Files.exists(p) && !Files.isDirectory(p)) {
                rights &= Landlock.FILE_RIGHTS;
            }
            plan.landlockRule(rights, r.path(), r.describe());
        }
        plan.landlockRestrict();
        notes.add("Landlock ABI " + abi + ": " + rules.size() + " rule(s)");
    }

    /** What Landlock cannot enforce on this kernel, for the line a person always sees; null when nothing. */
    public String landlockGaps() {
        if (!settings.hasLandlock() || Landlock.abi() == 0) {
            return null;
        }
        List<String> gaps = Landlock.unenforced(Landlock.abi());
        return gaps.isEmpty() ? null : "Landlock ABI " + Landlock.abi() + " cannot restrict: " + String.join("; ",
                gaps);
    }

    /** Step 7's additions to the policy's filters: TIOCSTI refused whenever there is isolation, --net none's rules. */
    List<BpfProgram> filters() {
        return settings.isEmpty() ? List.of() : List.of(IsolationFilter.compile(settings.net() == Isolation.Net.NONE));
    }

    /** The cgroup with its limits, made while planning so the plan knows whether to sync; the spawn follows. */
    private void createCgroup() {
        if (!settings.hasCgroupLimits()) {
            return;
        }
        try {
            cgroup = Cgroup.create(settings.memory(), settings.cpus(), settings.pids(),
                    "sandbox-" + LibC.getpid() + "-" + System.nanoTime() % 100000);
            notes.add(cgroup.describe());
        } catch (Cgroup.Unavailable e) {
            if (settings.bestEffort()) {
                warnings.add(e.getMessage() + ": running without --memory/--cpus/--pids");
                return;
            }
            throw refused(e.getMessage() + " (--best-effort runs without the limits)");
        }
    }

    /** At STEP_SYNC, with the launcher waiting: the id maps, the cgroup. */
    void atSync(int pid) {
        if (ns.contains(Namespace.USER)) {
            Path proc = Path.of("/proc", Integer.toString(pid));
            try {
                if (!privileged) {
                    // Before gid_map: an unprivileged map is accepted only with setgroups denied.
                    Files.writeString(proc.resolve("setgroups"), "deny", StandardCharsets.US_ASCII);
                }
                Files.writeString(proc.resolve("uid_map"), Integer.toUnsignedString(insideUid) + " "
                        + Integer.toUnsignedString(callerUid) + " 1\n", StandardCharsets.US_ASCII);
                Files.writeString(proc.resolve("gid_map"), Integer.toUnsignedString(insideGid) + " "
                        + Integer.toUnsignedString(callerGid) + " 1\n", StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw refused("cannot write the user namespace's id maps in " + proc + ": " + e.getMessage());
            }
        }
        if (cgroup != null) {
            try {
                cgroup.place(pid);
            } catch (IOException e) {
                throw refused("cannot place the program in its cgroup: " + e.getMessage());
            }
        }
    }

    /** After the program ended: what the limits did, then the cgroup removed. Null without a cgroup. */
    public Cgroup.Report finish() {
        if (cgroup == null) {
            return null;
        }
        try {
            return cgroup.report();
        } finally {
            cgroup.remove();
            cgroup = null;
        }
    }

    /** Removes the cgroup without reading it (a launch that failed). */
    void abandon() {
        if (cgroup != null) {
            cgroup.remove();
            cgroup = null;
        }
    }

    public Isolation settings() {
        return settings;
    }

    /** The sentence for a run the limits ended or hampered; null when they did nothing visible. */
    public static String limitNotice(Cgroup.Report report, Isolation settings, ExitStatus status) {
        if (report == null) {
            return null;
        }
        if (report.oomKilled() && status != null && status.signaled() && status.signal() == LibC.SIGKILL) {
            return "killed: memory limit " + human(settings.memory()) + " reached";
        }
        if (report.forkRefusals() > 0) {
            return "pids limit " + settings.pids() + " reached: " + report.forkRefusals()
                    + " fork(s) refused with EAGAIN";
        }
        return null;
    }

    static String human(long bytes) {
        String[] units = {"", "K", "M", "G", "T"};
        int u = 0;
        long v = bytes;
        while (u < units.length - 1 && v % 1024 == 0 && v >= 1024) {
            v /= 1024;
            u++;
        }
        return v + units[u];
    }
}

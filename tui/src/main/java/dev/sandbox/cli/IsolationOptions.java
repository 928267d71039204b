package dev.sandbox.cli;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.isolation.FsRule;
import dev.sandbox.isolation.Isolation;
import dev.sandbox.isolation.Mount;
import dev.sandbox.isolation.Rlimit;
import java.util.ArrayList;
import java.util.List;
import java.util.Stack;
import picocli.CommandLine.IParameterConsumer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The isolation options (after bubblewrap's names), a picocli mixin of {@link SandboxCommand}. Each option is
 * recorded in command-line order (mounts stack in the order given) and applied by {@link #build}, which turns a bad
 * value into a "sandbox: ..." refusal (exit 125).
 */
final class IsolationOptions {
    private record Given(String option, String value) {}

    private final List<Given> given = new ArrayList<>();

    @Option(names = "--profile", paramLabel = "FILE|NAME", description = "A profile: a policy with isolation "
            + "settings (its policy is used unless --policy is given; the options here override its settings). A NAME "
            + "is looked up as NAME.json in ./profiles, the installation's profiles, "
            + "$XDG_CONFIG_HOME/sandbox/profiles and /etc/sandbox/profiles.")
    String profile;

    /** The profile's file, or null without --profile. */
    java.nio.file.Path profilePath() {
        return profile == null ? null : dev.sandbox.isolation.ProfileLoader.resolve(profile);
    }

    private void add(String option, String value) {
        if (value == null) {
            return;
        }
        given.add(new Given(option, value));
    }

    @Option(names = "--unshare", parameterConsumer = One.class, paramLabel = "NS[,NS...]", description = "New namespaces: user, pid, mount, net, ipc, "
            + "uts, cgroup (or all). Rootless: a user namespace is added when you are not root.")
    void unshare(String v) {
        add("--unshare", v);
    }

    @Option(names = "--unshare-all", description = "Every namespace (--unshare all).")
    void unshareAll(boolean v) {
        add("--unshare", "all");
    }

    @Option(names = "--net", paramLabel = "none|host", description = "none: a network namespace with only loopback, "
            + "and sockets other than AF_UNIX refused by seccomp; host (default): the host's network.")
    void net(String v) {
        add("--net", v);
    }

    @Option(names = "--hostname", paramLabel = "NAME", description = "Hostname in a new UTS namespace (default: "
            + "sandbox).")
    void hostname(String v) {
        add("--hostname", v);
    }

    @Option(names = "--root", paramLabel = "DIR", description = "Use DIR as the new root (pivot_root; the old root is "
            + "detached). Without it, any mount option builds the root on an empty tmpfs.")
    void root(String v) {
        add("--root", v);
    }

    @Option(names = "--bind", paramLabel = "SRC[:DST]", parameterConsumer = SrcDst.class, description = "Bind SRC at DST (default: the "
            + "same path) in the new root, read-write. bubblewrap's form --bind SRC DST works too.")
    void bind(String v) {
        add("--bind", v);
    }

    @Option(names = "--ro-bind", paramLabel = "SRC[:DST]", parameterConsumer = SrcDst.class, description = "The same, read-only (recursively).")
    void roBind(String v) {
        add("--ro-bind", v);
    }

    @Option(names = "--tmpfs", parameterConsumer = One.class, paramLabel = "DST", description = "A fresh tmpfs at DST.")
    void tmpfs(String v) {
        add("--tmpfs", v);
    }

    @Option(names = "--proc", parameterConsumer = One.class, paramLabel = "DST", description = "The pid namespace's own proc at DST (a pid namespace "
            + "gets one at /proc anyway).")
    void proc(String v) {
        add("--proc", v);
    }

    @Option(names = "--dev", parameterConsumer = One.class, paramLabel = "DST", description = "A minimal /dev at DST: null, zero, full, random, "
            + "urandom, tty and the fd links.")
    void dev(String v) {
        add("--dev", v);
    }

    @Option(names = "--user", paramLabel = "NAME|#UID", description = "Run as this user (inside the user namespace "
            + "when there is one).")
    void user(String v) {
        add("--user", v);
    }

    @Option(names = "--group", paramLabel = "NAME|#GID", description = "Run as this group; supplementary groups are "
            + "cleared where the kernel lets us.")
    void group(String v) {
        add("--group", v);
    }

    @Option(names = "--cap-add", parameterConsumer = One.class, paramLabel = "CAP_X[,...]", description = "Keep these capabilities (all others are "
            + "dropped from every set, the bounding set included).")
    void capAdd(String v) {
        add("--cap-add", v);
    }

    @Option(names = "--cap-drop", parameterConsumer = One.class, paramLabel = "ALL|CAP_X[,...]", description = "Drop these (ALL is the default).")
    void capDrop(String v) {
        add("--cap-drop", v);
    }

    @Option(names = "--rlimit", parameterConsumer = One.class, paramLabel = "NAME=SOFT[:HARD]", description = "A resource limit: nofile, nproc, as, "
            + "cpu, fsize, core, stack, data, memlock, ... (HARD defaults to SOFT; K/M/G suffixes; unlimited).")
    void rlimit(String v) {
        add("--rlimit", v);
    }

    @Option(names = "--memory", paramLabel = "SIZE", description = "Memory limit for the program and its children, "
            + "in a cgroup of their own (e.g. 256M).")
    void memory(String v) {
        add("--memory", v);
    }

    @Option(names = "--cpus", paramLabel = "N", description = "CPU time limit in CPUs (e.g. 0.5), in the cgroup.")
    void cpus(String v) {
        add("--cpus", v);
    }

    @Option(names = "--pids", paramLabel = "N", description = "At most N processes and threads, in the cgroup.")
    void pids(String v) {
        add("--pids", v);
    }

    @Option(names = "--fs-ro", parameterConsumer = One.class, paramLabel = "PATH", description = "Landlock: read and execute beneath PATH.")
    void fsRo(String v) {
        add("--fs-ro", v);
    }

    @Option(names = "--fs-rw", parameterConsumer = One.class, paramLabel = "PATH", description = "Landlock: read, write, create and remove beneath "
            + "PATH.")
    void fsRw(String v) {
        add("--fs-rw", v);
    }

    @Option(names = "--fs-exec", parameterConsumer = One.class, paramLabel = "PATH", description = "Landlock: execute (and read) beneath PATH.")
    void fsExec(String v) {
        add("--fs-exec", v);
    }

    @Option(names = "--fs-mode", paramLabel = "MODE", description = "Landlock shorthand: readonly (read everywhere, "
            + "write nowhere but /dev/null), workspace-write (the same, plus --workspace), full-access (no Landlock).")
    void fsMode(String v) {
        add("--fs-mode", v);
    }

    @Option(names = "--workspace", paramLabel = "DIR", description = "The writable directory of --fs-mode "
            + "workspace-write (default: the current directory).")
    void workspace(String v) {
        add("--workspace", v);
    }

    @Option(names = "--best-effort", description = "Run without an isolation step the kernel refuses, with a warning, "
            + "instead of refusing to run (exit 125).")
    void bestEffort(boolean v) {
        add("--best-effort", "true");
    }

    /** The isolation asked for, applied over {@code base} (a profile's, or none). */
    Isolation build(Isolation base) {
        Isolation iso = base;
        String mode = null;
        String workspace = null;
        for (Given g : given) {
            try {
                String v = g.value();
                switch (g.option()) {
                    case "--unshare" -> iso.unshare(v);
                    case "--net" -> iso.net(v);
                    case "--hostname" -> iso.hostname(v);
                    case "--root" -> iso.root(v);
                    case "--bind" -> iso.mount(Mount.parse(Mount.Kind.BIND, v));
                    case "--ro-bind" -> iso.mount(Mount.parse(Mount.Kind.RO_BIND, v));
                    case "--tmpfs" -> iso.mount(Mount.parse(Mount.Kind.TMPFS, v));
                    case "--proc" -> iso.mount(Mount.parse(Mount.Kind.PROC, v));
                    case "--dev" -> iso.mount(Mount.parse(Mount.Kind.DEV, v));
                    case "--user" -> iso.user(v);
                    case "--group" -> iso.group(v);
                    case "--cap-add" -> iso.capAdd(v);
                    case "--cap-drop" -> iso.capDrop(v);
                    case "--rlimit" -> iso.rlimit(Rlimit.parse(v));
                    case "--memory" -> iso.memory(v);
                    case "--cpus" -> iso.cpus(v);
                    case "--pids" -> iso.pids(intValue("--pids", v));
                    case "--fs-ro" -> iso.fsRule(new FsRule(FsRule.Access.RO, v));
                    case "--fs-rw" -> iso.fsRule(new FsRule(FsRule.Access.RW, v));
                    case "--fs-exec" -> iso.fsRule(new FsRule(FsRule.Access.EXEC, v));
                    case "--fs-mode" -> mode = v;
                    case "--workspace" -> workspace = v;
                    case "--best-effort" -> iso.bestEffort(true);
                    default -> throw new IllegalStateException(g.option());
                }
            } catch (IllegalArgumentException e) {
                throw new SandboxException(e.getMessage(), ExitCodes.REFUSED);
            }
        }
        if (workspace != null && mode == null) {
            throw new SandboxException("--workspace is for --fs-mode workspace-write", ExitCodes.REFUSED);
        }
        if (mode != null) {
            try {
                iso.fsMode(mode, workspace != null ? workspace : System.getProperty("user.dir"));
            } catch (IllegalArgumentException e) {
                throw new SandboxException(e.getMessage(), ExitCodes.REFUSED);
            }
        }
        return iso;
    }

    /** One value per occurrence, the option repeatable, each occurrence recorded in order. */
    static final class One implements IParameterConsumer {
        @Override
        public void consumeParameters(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
            if (args.isEmpty()) {
                throw new ParameterException(commandSpec.commandLine(), "Missing required parameter for option '"
                        + ((OptionSpec) argSpec).longestName() + "' (" + argSpec.paramLabel() + ")");
            }
            argSpec.setValue(args.pop());
        }
    }

    /** Takes SRC[:DST], or bubblewrap's two-argument form SRC DST (given as SRC:DST). */
    static final class SrcDst implements IParameterConsumer {
        @Override
        public void consumeParameters(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
            if (args.isEmpty()) {
                throw new ParameterException(commandSpec.commandLine(), "Missing required parameter for option '"
                        + ((OptionSpec) argSpec).longestName() + "' (SRC[:DST])");
            }
            String src = args.pop();
            if (!src.contains(":") && !args.isEmpty() && args.peek().startsWith("/")) {
                src = src + ":" + args.pop();
            }
            argSpec.setValue(src);
        }
    }

    private static int intValue(String option, String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " " + v + ": not a whole number");
        }
    }
}

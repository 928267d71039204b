package dev.sandbox.launch;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.sandbox.isolation.Cgroup;
import dev.sandbox.isolation.Isolation;
import dev.sandbox.isolation.Mount;
import dev.sandbox.isolation.Namespace;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * --audit FILE for an enforced run: JSON lines for the start (program, policy, isolation settings, namespaces,
 * limits), each violation the sandbox learns of (a SIGSYS kill), and the end (status, wall time, CPU time, peak
 * memory, what the limits did). Each line is one append-mode write, as the learner's audit log does.
 */
public final class RunAudit implements AutoCloseable {
    private final FileOutputStream out;

    public RunAudit(Path file) throws IOException {
        this.out = new FileOutputStream(file.toFile(), true);
    }

    void start(String program, List<String> argv, String policy, Isolation iso, IsolationSteps steps, int pid) {
        JsonObject line = event("start");
        line.addProperty("pid", pid);
        line.addProperty("program", program);
        JsonArray args = new JsonArray();
        argv.forEach(args::add);
        line.add("argv", args);
        line.addProperty("policy", policy);
        JsonArray ns = new JsonArray();
        steps.namespaces().stream().map(Namespace::label).forEach(ns::add);
        line.add("namespaces", ns);
        line.addProperty("net", iso.net().name().toLowerCase(java.util.Locale.ROOT));
        if (iso.root() != null) {
            line.addProperty("root", iso.root());
        }
        JsonArray mounts = new JsonArray();
        iso.mounts().stream().map(Mount::describe).forEach(mounts::add);
        line.add("mounts", mounts);
        line.addProperty("capabilities", dev.sandbox.isolation.Capabilities.names(iso.capsKept()));
        JsonObject limits = new JsonObject();
        iso.rlimits().forEach(r -> limits.addProperty(r.name(), r.describe().substring(r.name().length() + 1)));
        if (iso.memory() != null) {
            limits.addProperty("memory", iso.memory());
        }
        if (iso.cpus() != null) {
            limits.addProperty("cpus", iso.cpus());
        }
        if (iso.pids() != null) {
            limits.addProperty("pids", iso.pids());
        }
        line.add("limits", limits);
        JsonArray fs = new JsonArray();
        iso.fsRules().forEach(r -> fs.add(r.describe()));
        line.add("landlock", fs);
        write(line);
    }

    void violation(int pid, String syscall, String action) {
        JsonObject line = event("violation");
        line.addProperty("pid", pid);
        line.addProperty("syscall", syscall);
        line.addProperty("action", action);
        write(line);
    }

    /**
     * @param usage {user_us, sys_us, ...} of the reaped program, or null. Its ru_maxrss is not reported: posix_spawn's
     *              child shares the JVM's memory until execve, so the kernel's peak would be the JVM's; the cgroup's
     *              peak (with --memory) is the program's.
     */
    void end(ExitStatus status, long wallMillis, long[] usage, Cgroup.Report limits, String notice) {
        JsonObject line = event("end");
        line.addProperty("status", status.describe());
        line.addProperty("exit", status.sandboxExitCode());
        if (status.signaled()) {
            line.addProperty("signal", Signals.name(status.signal()));
        }
        line.addProperty("wall_ms", wallMillis);
        if (usage != null) {
            line.addProperty("user_ms", usage[0] / 1000);
            line.addProperty("sys_ms", usage[1] / 1000);
        }
        if (limits != null) {
            line.addProperty("oom_killed", limits.oomKilled());
            line.addProperty("forks_refused", limits.forkRefusals());
            if (limits.memoryPeak() >= 0) {
                line.addProperty("memory_peak", limits.memoryPeak());
            }
        }
        if (notice != null) {
            line.addProperty("limit", notice);
        }
        write(line);
    }

    private static JsonObject event(String name) {
        JsonObject line = new JsonObject();
        line.addProperty("time", Instant.now().toString());
        line.addProperty("event", name);
        return line;
    }

    private void write(JsonObject line) {
        try {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // A line that cannot be written must not change how the program runs.
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}

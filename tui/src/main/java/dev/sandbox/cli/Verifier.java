package dev.sandbox.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.jna.LibC;
import dev.sandbox.launch.Launcher;
import dev.sandbox.launch.StaticRun;
import dev.sandbox.learn.Decider;
import dev.sandbox.learn.LearnedPolicy;
import dev.sandbox.learn.OnUnknown;
import dev.sandbox.policy.Mode;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.trace.Tracer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The fidelity check: re-runs the command a learned policy recorded, under the static filter, and compares the
 * outcome with the one recorded while learning (exit status, and the hashes of stdout/stderr when they were
 * captured). When the program is killed, names the syscall: from the kernel log if it can be read, else by running
 * it once more under the tracer with the policy as its base, where the first uncovered syscall ends the run.
 */
final class Verifier {
    static final int DIFFERENT = 1;

    record Report(boolean identical, List<String> differences) {}

    private final PrintStream err;

    Verifier(PrintStream err) {
        this.err = err;
    }

    Report verify(String policyArg) {
        SandboxCommand.Loaded loaded = SandboxCommand.load(policyArg, policyArg, SandboxCommand.sayTo(err));
        Policy policy = loaded.policy();
        JsonObject meta = policy.metadata();
        if (!meta.has("program") || !meta.has("outcome")) {
            throw new SandboxException("policy " + policyArg + " records no learning run to compare with (it needs "
                    + "metadata.program and metadata.outcome, written by --trace-block-dynamic --save)",
                    ExitCodes.REFUSED);
        }
        List<String> command = new ArrayList<>();
        command.add(meta.get("program").getAsString());
        if (meta.has("args")) {
            for (JsonElement a : meta.getAsJsonArray("args")) {
                command.add(a.getAsString());
            }
        }
        String cwd = meta.has("cwd") ? meta.get("cwd").getAsString() : null;
        JsonObject expected = meta.getAsJsonObject("outcome");
        OutputStream discard = OutputStream.nullOutputStream();
        // A verified policy is about to be enforced: leave it compiled in the cache for sandbox-run.
        StaticRun run = SandboxCommand.cacheCompiled(new StaticRun(Launcher.installed(), SandboxCommand.QUIET,
                SandboxCommand.QUIET), loaded, SandboxCommand.QUIET);
        StaticRun.Outcome got = run.execute(policy, command, cwd, discard, discard);

        List<String> differences = new ArrayList<>();
        int wantExit = expected.get("exit_status").getAsInt();
        int gotExit = got.status().sandboxExitCode();
        if (gotExit != wantExit) {
            String why = "";
            if (got.status().signaled() && got.status().signal() == LibC.SIGSYS) {
                String syscall = got.killedSyscall() != null ? got.killedSyscall() : traceFirstRefusal(policy,
                        command, cwd);
                why = " (killed by SIGSYS: policy violation" + (syscall != null ? " at syscall " + syscall : "")
                        + ")";
            } else if (got.status().signaled()) {
                why = " (" + got.status().describe() + ")";
            }
            differences.add("exit status " + gotExit + ", learned " + wantExit + why);
        }
        compare("stdout", expected, "stdout_sha256", got.stdoutSha256(), differences);
        compare("stderr", expected, "stderr_sha256", got.stderrSha256(), differences);
        String what = String.join(" ", command);
        if (differences.isEmpty()) {
            err.println("sandbox: verify " + policyArg + ": identical: " + what + " exits " + gotExit
                    + (expected.has("stdout_sha256") ? ", same stdout" : "")
                    + (expected.has("stderr_sha256") ? ", same stderr" : "") + " under the policy");
        } else {
            err.println("sandbox: verify " + policyArg + ": different: " + what + ": "
                    + String.join("; ", differences));
        }
        return new Report(differences.isEmpty(), differences);
    }

    private static void compare(String stream, JsonObject expected, String key, String got, List<String> out) {
        if (expected.has(key) && !expected.get(key).getAsString().equals(got)) {
            out.add(stream + " differs");
        }
    }

    /** Runs the command under the tracer with the policy as its base; the first syscall it does not cover stops it. */
    private String traceFirstRefusal(Policy policy, List<String> command, String cwd) {
        if (policy.mode() != Mode.ALLOW) {
            return null;
        }
        Decider decider = new Decider(policy, OnUnknown.KILL, null, line -> { });
        Tracer tracer = new Tracer(Launcher.installed(),
                new Tracer.Options(policy, Duration.ofSeconds(1), true, false, false, cwd),
                decider, null, new LearnedPolicy(), line -> { });
        int devnull = LibC.open("/dev/null", LibC.O_RDWR | LibC.O_CLOEXEC);
        try {
            tracer.outputs(devnull, devnull);
            SyscallRef at = tracer.run(command).killedAt();
            return at == null ? null : at.toString();
        } finally {
            LibC.close(devnull);
        }
    }
}

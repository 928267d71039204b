package dev.sandbox.cli;

import dev.sandbox.cache.CompiledPolicy;
import dev.sandbox.cache.PolicyCache;
import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.launch.StaticRun;
import dev.sandbox.seccomp.BpfProgram;
import dev.sandbox.seccomp.FilterCompiler;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sandbox compile POLICY [-o FILE]}: the compiled policy into the cache now, instead of at the first run. */
@Command(name = "compile", mixinStandardHelpOptions = true,
        description = {"Compile a policy into the cache, so that `sandbox --policy POLICY --exec ...` starts without a "
                + "JVM from its first run (every run caches what it compiles anyway).",
            "The cache is $XDG_CACHE_HOME/sandbox (default ~/.cache/sandbox); remove the directory to clear it."})
final class CompileCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE|NAME", description = "The policy, found as --policy finds it.")
    String policy;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Also write the BPF program "
            + "(struct sock_filter[], what bwrap --seccomp reads) to FILE.")
    Path output;

    @Option(names = "--verbose", description = "Say where the entry went.")
    boolean verbose;

    private final PrintStream err;

    CompileCommand(PrintStream err) {
        this.err = err;
    }

    @Override
    public Integer call() throws IOException {
        PolicyArg.Loaded loaded = PolicyArg.loaded(policy, SandboxCommand.sayTo(err));
        loaded.policy().checkEnforceable();
        // The file is for other tools (bwrap --seccomp FD), which have no supervisor to answer a notification: it
        // always gets the filter that kills by itself.
        BpfProgram bpf = new FilterCompiler().compile(loaded.policy());
        StaticRun.Compiled compiled = StaticRun.compile(loaded.policy());
        if (output != null) {
            Path tmp = Files.createTempFile(output.toAbsolutePath().getParent(), ".sandbox-bpf-", "");
            try {
                Files.write(tmp, bpf.bytes());
                Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        if (loaded.bytes() == null) {
            throw new SandboxException("cannot cache " + policy + ": not a regular file", ExitCodes.REFUSED);
        }
        PolicyCache cache = PolicyCache.forUser();
        if (cache == null) {
            throw new SandboxException("cannot cache the compiled policy: neither XDG_CACHE_HOME nor HOME is set",
                    ExitCodes.REFUSED);
        }
        Path entry;
        try {
            entry = cache.store(CompiledPolicy.of(loaded.bytes(), compiled, loaded.warnings()));
        } catch (IOException e) {
            throw new SandboxException("cannot cache the compiled policy: " + e.getMessage(), ExitCodes.REFUSED, e);
        }
        if (verbose) {
            err.println("sandbox: " + loaded.policy().source() + ": " + compiled.bpf().instructions() + " BPF instructions, "
                    + "cached in " + entry);
        }
        return 0;
    }
}

package dev.sandbox.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Re-runs the command a learned policy recorded, under that policy's seccomp filter, and says "
                + "whether it behaves as it did while learning (exit status; stdout and stderr when they were "
                + "captured). Exit status 0: identical, 1: different, 125: cannot verify."})
final class VerifyCommand implements Callable<Integer> {
    @Option(names = "--policy", required = true, paramLabel = "FILE|NAME", description = "The learned policy.")
    String policy;

    @ParentCommand
    SandboxCommand parent;

    @Override
    public Integer call() {
        return new Verifier(parent.err()).verify(policy).identical() ? 0 : Verifier.DIFFERENT;
    }
}

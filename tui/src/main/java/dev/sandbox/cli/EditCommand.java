package dev.sandbox.cli;

import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.DefaultTerminalFactory;
import com.googlecode.lanterna.terminal.Terminal;
import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.jna.LibC;
import dev.sandbox.policy.Policy;
import dev.sandbox.screen.EditorModel;
import dev.sandbox.screen.PolicyEditor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "edit", mixinStandardHelpOptions = true,
        description = "Review and edit a policy in a full-screen session: syscalls grouped by category with their "
                + "risk, description and learned counts; toggle, search, add, switch mode and action, compare with "
                + "another policy, save (with a backup).")
final class EditCommand implements Callable<Integer> {
    @Parameters(paramLabel = "POLICY")
    String policy;

    @Option(names = "--against", paramLabel = "OTHER", description = "Mark what differs from this policy.")
    String against;

    @Override
    public Integer call() throws Exception {
        if (LibC.isatty(0) != 1 || LibC.isatty(1) != 1) {
            throw new SandboxException("edit needs a terminal (stdin and stdout); use 'sandbox policy show|check|"
                    + "diff|merge' in scripts", ExitCodes.REFUSED);
        }
        Policy p = PolicyCommand.load(policy, new ArrayList<>());
        Policy other = against == null ? null : PolicyCommand.load(against, new ArrayList<>());
        EditorModel model = new EditorModel(p, other);
        Terminal terminal = new DefaultTerminalFactory().setForceTextTerminal(true).createTerminal();
        TerminalScreen screen = new TerminalScreen(terminal);
        screen.startScreen();
        try {
            new PolicyEditor(model, Path.of(dev.sandbox.policy.PolicyResolver.resolve(policy).toString()), screen)
                    .run();
        } finally {
            screen.stopScreen();
        }
        return 0;
    }
}

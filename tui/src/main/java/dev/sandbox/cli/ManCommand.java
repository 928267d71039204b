package dev.sandbox.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Spec;

/** {@code sandbox man}: the manual page, in roff, written from the picocli model so it cannot drift from --help. */
@Command(name = "man", mixinStandardHelpOptions = true,
        description = "Print the manual page (roff): ./sandbox man > sandbox.1 && man -l sandbox.1")
final class ManCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        CommandSpec root = spec.root();
        out.println(".TH SANDBOX 1 \"\" \"sandbox " + Version.text() + "\" \"User Commands\"");
        out.println(".SH NAME");
        out.println("sandbox \\- learn which syscalls a program needs, then enforce them with seccomp");
        out.println(".SH SYNOPSIS");
        out.println(".B " + esc(root.usageMessage().customSynopsis()[0]));
        for (CommandSpec sub : root.subcommands().values().stream().map(c -> c.getCommandSpec()).toList()) {
            out.println(".br");
            out.println(".B sandbox " + esc(sub.name()) + " " + esc(synopsis(sub)));
        }
        out.println(".SH DESCRIPTION");
        for (String line : root.usageMessage().description()) {
            if (!line.isBlank()) {
                out.println(esc(line));
            }
        }
        out.println(".SH OPTIONS");
        options(out, root);
        for (CommandSpec sub : root.subcommands().values().stream().map(c -> c.getCommandSpec()).toList()) {
            out.println(".SH \"SANDBOX " + esc(sub.name().toUpperCase(java.util.Locale.ROOT)) + "\"");
            for (String line : sub.usageMessage().description()) {
                out.println(esc(line));
            }
            options(out, sub);
            for (CommandSpec subsub : sub.subcommands().values().stream().map(c -> c.getCommandSpec()).toList()) {
                out.println(".SS \"sandbox " + esc(sub.name() + " " + subsub.name()) + " " + esc(synopsis(subsub))
                        + "\"");
                for (String line : subsub.usageMessage().description()) {
                    out.println(esc(line));
                }
                options(out, subsub);
            }
        }
        out.println(".SH EXIT STATUS");
        for (String line : root.usageMessage().footer()) {
            if (!line.isBlank()) {
                out.println(esc(line));
            }
        }
        out.println(".SH SEE ALSO");
        out.println(".BR strace (1), \" seccomp\" (2), \" ptrace\" (2)");
        return 0;
    }

    private static String synopsis(CommandSpec c) {
        StringBuilder b = new StringBuilder();
        for (OptionSpec o : c.options()) {
            if (!o.usageHelp() && !o.versionHelp() && o.required()) {
                b.append(o.longestName()).append(' ').append(o.paramLabel()).append(' ');
            }
        }
        for (PositionalParamSpec p : c.positionalParameters()) {
            b.append(p.paramLabel()).append(' ');
        }
        return b.toString().trim();
    }

    private static void options(PrintStream out, CommandSpec c) {
        for (OptionSpec o : c.options()) {
            if (o.usageHelp() || o.versionHelp()) {
                continue;
            }
            out.println(".TP");
            out.println(".B " + esc(String.join(", ", o.names()))
                    + (o.arity().max() > 0 ? " \\fI" + esc(o.paramLabel()) + "\\fR" : ""));
            String desc = String.join(" ", o.description()).replace("${DEFAULT-VALUE}",
                    String.valueOf(o.defaultValue()));
            out.println(esc(desc));
        }
    }

    private static String esc(String s) {
        String e = s.replace("\\", "\\\\").replace("-", "\\-");
        return e.startsWith(".") || e.startsWith("'") ? "\\&" + e : e;
    }
}

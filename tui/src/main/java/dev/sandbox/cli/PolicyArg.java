package dev.sandbox.cli;

import dev.sandbox.cache.CompiledPolicy;
import dev.sandbox.launch.RawArgs;
import dev.sandbox.launch.RawPath;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.policy.PolicyResolver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The one reading of a policy option (NAME or FILE, whose value may be bytes no String holds: {@link RawPath}) for
 * every command. Apart from SandboxCommand because a first run's compile JVM (FrontCompile) reads policies too and
 * must not initialise that class: its lambdas would start the JDK's method-handle machinery, some 6 ms of a first
 * run. Nothing here makes a lambda.
 */
final class PolicyArg {
    private PolicyArg() {}

    /**
     * A policy, the bytes it was parsed from (null when the file is not one the cache can key), and the loader's
     * warnings about them as templates for the cache entry (the policy's name a placeholder: a cached run says them
     * as this run did, for whatever name it is given).
     */
    record Loaded(Policy policy, byte[] bytes, java.util.List<String> warnings) {}

    static Policy load(String arg, Consumer<String> say) {
        return loaded(arg, say).policy();
    }

    static Loaded loaded(String arg, Consumer<String> say) {
        return loaded(arg, say, false);
    }

    /** @param prepare whether to {@link CompiledPolicy#prepare} the cache entry of the bytes before parsing them */
    static Loaded loaded(String arg, Consumer<String> say, boolean prepare) {
        String shown = RawPath.show(arg);
        Path file = RawArgs.representable(RawPath.bytes(arg)) ? PolicyResolver.resolve(arg)
                : RawPath.forReading(RawPath.of(arg));
        // a found file is named as a path given is: its bytes shown with control characters escaped
        return loaded(file, shown.contains("/") || shown.endsWith(".json") ? shown : RawPath.show(file.toString()), say,
                prepare);
    }

    /** @param name how messages name the policy */
    static Loaded loaded(Path file, String name, Consumer<String> say) {
        return loaded(file, name, say, false);
    }

    private static Loaded loaded(Path file, String name, Consumer<String> say, boolean prepare) {
        byte[] bytes = null;
        try {
            // The cache is keyed by the very bytes that were parsed; anything unusual gets the loader's own reading
            // and its error messages.
            if (Files.isRegularFile(file) && Files.size(file) <= PolicyLoader.MAX_BYTES) {
                bytes = Files.readAllBytes(file);
            }
        } catch (IOException e) {
            bytes = null;
        }
        if (bytes != null && prepare) {
            CompiledPolicy.prepare(bytes);
        }
        if (bytes == null) {
            return new Loaded(new PolicyLoader(say).load(file, name), null, java.util.List.of());
        }
        Heard heard = new Heard(say);
        Policy p = new PolicyLoader(heard).parse(bytes, name);
        return new Loaded(p, bytes, heard.lines.isEmpty() ? java.util.List.of() : warnings(bytes));
    }

    /** Stands for the policy's name while the warnings are made again as templates; escape() leaves it as it is. */
    private static final String NAME = "{sandbox-policy-name}";

    /** The warnings of a policy that had some, said again of {@link #NAME} and made templates of. */
    private static java.util.List<String> warnings(byte[] bytes) {
        Heard heard = new Heard(null);
        new PolicyLoader(heard).parse(bytes, NAME);
        java.util.List<String> templates = new java.util.ArrayList<>();
        for (String line : heard.lines) {
            templates.add(CompiledPolicy.policyTemplate(line, NAME));
        }
        return templates;
    }

    /** Passes lines on (to null: nowhere) and keeps them. */
    private static final class Heard implements Consumer<String> {
        private final Consumer<String> next;
        private final java.util.List<String> lines = new java.util.ArrayList<>();

        Heard(Consumer<String> next) {
            this.next = next;
        }

        @Override
        public void accept(String line) {
            lines.add(line);
            if (next != null) {
                next.accept(line);
            }
        }
    }

    /** "sandbox: ..." lines on a stream, as a class: see above. */
    static final class Say implements Consumer<String> {
        private final java.io.PrintStream err;

        Say(java.io.PrintStream err) {
            this.err = err;
        }

        @Override
        public void accept(String line) {
            err.println("sandbox: " + line);
        }
    }
}

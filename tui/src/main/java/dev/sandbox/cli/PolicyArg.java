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

    /** A policy and the bytes it was parsed from (null when the file is not one the cache can key). */
    record Loaded(Policy policy, byte[] bytes) {}

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
        return loaded(file, shown.contains("/") || shown.endsWith(".json") ? shown : file.toString(), say, prepare);
    }

    /** @param name how messages name the policy */
    static Loaded loaded(Path file, String name, Consumer<String> say) {
        return loaded(file, name, say, false);
    }

    private static Loaded loaded(Path file, String name, Consumer<String> say, boolean prepare) {
        PolicyLoader loader = new PolicyLoader(say);
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
        return bytes != null ? new Loaded(loader.parse(bytes, name), bytes) : new Loaded(loader.load(file, name), null);
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

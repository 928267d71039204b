package dev.sandbox.cli;

import dev.sandbox.cache.CompiledPolicy;
import dev.sandbox.cache.PolicyCache;
import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.launch.StaticRun;
import dev.sandbox.seccomp.FilterRecipe;
import dev.sandbox.syscall.SyscallNames;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * {@code sandbox --sandbox-compile P}: a first run's compile, for sandbox-run (native/src/recipe.h has the exchange).
 * This JVM loads no native bindings: JNA's start-up would be most of a first run. sandbox-run holds libseccomp; it
 * sends the syscall names libseccomp knows and carries out the filter's recipe, and this side does everything else
 * as the JVM path does (the same loader, checks, compiler, cache entry and cache writer), then sends the entry and
 * stores it. A policy it refuses is reported here, on stderr, with the JVM path's words and exit code.
 */
final class FrontCompile implements java.util.function.Function<FilterRecipe, byte[]> {
    // native/src/recipe.h
    static final int REQUEST_MAGIC = 0x51524653;
    static final int REPLY_MAGIC = 0x50524653;
    static final int REQUEST_NAMES_CURRENT = 1;
    static final int REPLY_RECIPE = 1;
    static final int REPLY_ENTRY = 2;
    static final int REPLY_JVM = 3;
    static final String REQUEST = "/proc/self/fd/3"; // COMPILE_REQUEST_FD
    static final String REPLY = "/proc/self/fd/4"; // COMPILE_REPLY_FD
    /** compiled.h COMPILED_MAX: nothing in the exchange is larger. */
    private static final int MAX = 1 << 22;

    private final DataInputStream in;
    private final OutputStream out;
    private final Held said;

    private FrontCompile(InputStream in, OutputStream out, PrintStream err) {
        this.in = new DataInputStream(new BufferedInputStream(in));
        this.out = new BufferedOutputStream(out, 1 << 16);
        this.said = new Held(new PolicyArg.Say(err));
    }

    /**
     * What the loader says, held until this JVM knows whether it runs the policy's compile to the end: when it hands
     * the run to the JVM path instead (REPLY_JVM), that run says it all.
     */
    private static final class Held implements java.util.function.Consumer<String> {
        private final java.util.function.Consumer<String> next;
        private final java.util.List<String> lines = new java.util.ArrayList<>();
        private boolean keep = true;

        Held(java.util.function.Consumer<String> next) {
            this.next = next;
        }

        @Override
        public void accept(String line) {
            lines.add(line);
        }

        void drop() {
            keep = false;
        }

        void sayAll() {
            if (keep) {
                for (String line : lines) {
                    next.accept(line);
                }
            }
            lines.clear();
        }
    }

    /** @param policyArg the policy option as Main reads it (maybe a {@link dev.sandbox.launch.RawPath} token) */
    static int run(String policyArg, PrintStream err) {
        // Not stdin and stdout: they stay the user's, as on the JVM path (recipe.h says why).
        try (FileInputStream in = new FileInputStream(REQUEST); FileOutputStream out = new FileOutputStream(REPLY)) {
            return new FrontCompile(in, out, err).compile(policyArg, err);
        } catch (IOException | java.io.UncheckedIOException e) {
            err.println("sandbox: " + Main.FRONT_COMPILE + " is sandbox-run's; it lost its pipe: "
                    + e.getMessage());
            return ExitCodes.REFUSED;
        } catch (RuntimeException e) {
            return Main.report(e, err, false);
        }
    }

    private int compile(String policyArg, PrintStream err) throws IOException {
        if (Integer.reverseBytes(in.readInt()) != REQUEST_MAGIC) {
            throw new IOException("not a request from sandbox-run");
        }
        boolean namesCurrent = (u32() & REQUEST_NAMES_CURRENT) != 0;
        String libseccomp = new String(part(), StandardCharsets.UTF_8);
        byte[] table = part();
        SyscallNames.useTable(table);
        CompiledPolicy.compiledWith(libseccomp);
        byte[] frontBytes = part();
        CompiledPolicy.keyed(frontBytes, part());

        PolicyArg.Loaded loaded;
        StaticRun.Compiled compiled;
        CompiledPolicy entry;
        try {
            loaded = PolicyArg.loaded(policyArg, said);
            if (loaded.bytes() == null) {
                // Not a file the cache can key (the loader's own reading, its own errors): the JVM path runs it.
                return handOver();
            }
            loaded.policy().checkEnforceable();
            compiled = StaticRun.compile(loaded.policy(), this);
            entry = CompiledPolicy.of(loaded.bytes(), compiled, loaded.warnings());
        } catch (RuntimeException e) {
            said.sayAll(); // what the loader said comes before the refusal, as on the JVM path
            throw e;
        }
        if (!entry.fits()) {
            // tens of thousands of warnings: no entry holds them; the JVM path runs it (and says them all)
            return handOver();
        }
        said.sayAll();
        CompiledPolicy names = namesCurrent ? null : CompiledPolicy.names();
        header(REPLY_ENTRY);
        bytes(entry.bytes());
        bytes(names == null ? new byte[0] : names.bytes());
        out.flush();
        out.close();
        // The program is starting meanwhile; the next run finds this entry. Best effort, as on the JVM path.
        PolicyCache cache = PolicyCache.forUser();
        if (cache != null) {
            try {
                cache.store(entry, names);
            } catch (IOException | RuntimeException e) {
                // a cache that cannot be written costs the next run its JVM-free start, nothing else
            }
        }
        return 0;
    }

    /** REPLY_JVM: the JVM path runs this policy itself, and says what the loader said. */
    private int handOver() throws IOException {
        said.drop();
        header(REPLY_JVM);
        out.flush();
        return 0;
    }

    /** sandbox-run's libseccomp carries out the recipe; a call it refused is reported as the JVM path words it. */
    @Override
    public byte[] apply(FilterRecipe recipe) {
        try {
            header(REPLY_RECIPE);
            bytes(recipe.serialize());
            out.flush();
            int errno = u32();
            int op = u32();
            byte[] reply = part();
            if (errno == 0) {
                return reply;
            }
            String call = op >= 0 && op < recipe.ops().size() ? recipe.call(op)
                    : op == recipe.ops().size() ? "seccomp_export_bpf" : "the filter recipe";
            throw new SandboxException(call + ": " + new String(reply, StandardCharsets.UTF_8), ExitCodes.REFUSED);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private int u32() throws IOException {
        return Integer.reverseBytes(in.readInt());
    }

    private byte[] part() throws IOException {
        int len = u32();
        if (len < 0 || len > MAX) {
            throw new IOException("a part of " + Integer.toUnsignedString(len) + " bytes");
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return b;
    }

    private void header(int kind) throws IOException {
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(REPLY_MAGIC).putInt(kind).array());
    }

    private void bytes(byte[] b) throws IOException {
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        out.write(b);
    }
}

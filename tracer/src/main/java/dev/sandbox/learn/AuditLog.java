package dev.sandbox.learn;

import com.google.gson.JsonObject;
import dev.sandbox.policy.SyscallRef;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;

/**
 * --audit FILE: one JSON object per line for every decision that was not a plain base-policy allow. Each line is
 * written whole with one append-mode write and reaches the file at once, so the log survives an interrupted session
 * and can be followed with tail -f.
 */
public final class AuditLog implements AutoCloseable {
    private final FileOutputStream out;

    public AuditLog(Path file) throws IOException {
        this.out = new FileOutputStream(file.toFile(), true);
    }

    public void record(int pid, String executable, SyscallRef call, String decoded, Decision d, long promptMillis) {
        JsonObject line = new JsonObject();
        line.addProperty("time", Instant.now().toString());
        line.addProperty("pid", pid);
        line.addProperty("executable", executable);
        line.addProperty("syscall", call.name());
        line.addProperty("arch", call.arch().label());
        line.addProperty("call", decoded);
        line.addProperty("decision", d.verdict().name().toLowerCase(java.util.Locale.ROOT));
        line.addProperty("scope", d.scope().label());
        line.addProperty("decided_by", d.source().label());
        if (promptMillis >= 0) {
            line.addProperty("prompt_ms", promptMillis);
        }
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            out.write(bytes);
        } catch (IOException e) {
            // An audit line that cannot be written must not kill the traced program; the session goes on.
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}

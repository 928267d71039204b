package dev.sandbox.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compiled-policy cache as sandbox-run meets it: a damaged, stale or foreign entry, or a directory that is not
 * the user's alone, is never trusted (sandbox-run goes to the JVM) and the JVM path rebuilds what it may.
 */
class CacheLiveTest {
    @TempDir
    Path tmp;
    Path cacheHome;
    Path entries;
    Map<String, String> env;
    Path jvm;
    Path noJvm;
    Path dir;

    @BeforeEach
    void setUp() throws IOException {
        Probes.assumeFeature(Probes.seccompAvailable(), "this kernel has no seccomp");
        cacheHome = Files.createDirectory(tmp.resolve("cache-home"));
        entries = cacheHome.resolve("sandbox");
        env = Map.of("XDG_CACHE_HOME", cacheHome.toString());
        jvm = FrontRun.jvmScript(tmp);
        noJvm = FrontRun.noJvmScript(tmp);
        dir = tmp.resolve("made");
    }

    private String policy(String json) throws IOException {
        Path p = tmp.resolve("p.json");
        Files.writeString(p, json);
        return p.toString();
    }

    private SandboxRun mkdir(Path script, String policy) {
        return FrontRun.run(script, env, null, "--policy", policy, "--exec", Probes.path("mkdir"), dir.toString());
    }

    /** The one policy entry (the shared build entry is the one with the syscall names). */
    private Path onlyEntry() throws IOException {
        try (Stream<Path> s = Files.list(entries)) {
            List<Path> all = new ArrayList<>();
            for (Path p : s.toList()) {
                if (!isNamesEntry(Files.readAllBytes(p))) {
                    all.add(p);
                }
            }
            assertEquals(1, all.size(), all::toString);
            return all.get(0);
        }
    }

    private Path namesEntry() throws IOException {
        try (Stream<Path> s = Files.list(entries)) {
            for (Path p : s.toList()) {
                if (isNamesEntry(Files.readAllBytes(p))) {
                    return p;
                }
            }
        }
        throw new AssertionError("no names entry in " + entries);
    }

    /** compiled.h: an entry with a SECTION_NAMES (4) is the build entry. */
    private static boolean isNamesEntry(byte[] b) {
        if (b.length < 52) {
            return false;
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int off = 44;
        for (int i = 0, n = bb.getShort(6); i < n && off + 8 <= b.length; i++) {
            if (bb.getShort(off) == 4) {
                return true;
            }
            off += 8 + bb.getInt(off + 4);
        }
        return false;
    }

    private void assertJvmReached(SandboxRun r) {
        assertEquals(FrontRun.JVM_REACHED, r.exit(), r::toString);
        assertEquals(FrontRun.JVM_REACHED_MESSAGE, r.err());
    }

    private void assertRunsNatively(String policy, String expectedOut) {
        SandboxRun r = mkdir(noJvm, policy);
        assertEquals(expectedOut, r.out(), r::toString);
        assertEquals(0, r.exit(), r::toString);
    }

    @Test
    @DisplayName("the first run compiles and caches; the second runs from the cache without a JVM")
    void coldThenWarm() throws IOException {
        String p = policy("{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        assertJvmReached(mkdir(noJvm, p));
        assertEquals("mkdir EPERM\n", mkdir(jvm, p).out());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(entries)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(onlyEntry())));
        assertRunsNatively(p, "mkdir EPERM\n");
        assertFalse(Files.exists(dir));
    }

    @Test
    @DisplayName("a damaged entry (any byte, truncated, extended, emptied) is ignored and rebuilt")
    void damaged() throws IOException {
        String p = policy("{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        mkdir(jvm, p);
        Path entry = onlyEntry();
        byte[] good = Files.readAllBytes(entry);
        List<byte[]> damages = new ArrayList<>();
        for (int at : new int[] {0, 4, 6, 8, 40, 44, 60, good.length / 2, good.length - 9, good.length - 1}) {
            byte[] b = good.clone();
            b[at] ^= 0x10;
            damages.add(b);
        }
        damages.add(Arrays.copyOf(good, good.length - 1));
        damages.add(Arrays.copyOf(good, good.length + 1));
        damages.add(Arrays.copyOf(good, 20));
        damages.add(new byte[0]);
        for (byte[] damage : damages) {
            Files.write(entry, damage);
            assertJvmReached(mkdir(noJvm, p));
            assertEquals("mkdir EPERM\n", mkdir(jvm, p).out());
            assertArrayEquals(good, Files.readAllBytes(entry), "rebuilt by the JVM path");
            assertRunsNatively(p, "mkdir EPERM\n");
        }
    }

    @Test
    @DisplayName("a damaged or missing names entry is ignored and rebuilt too")
    void damagedNames() throws IOException {
        String p = policy("{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        mkdir(jvm, p);
        Path names = namesEntry();
        byte[] good = Files.readAllBytes(names);
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 1;
        Files.write(names, bad);
        assertJvmReached(mkdir(noJvm, p));
        mkdir(jvm, p);
        assertArrayEquals(good, Files.readAllBytes(names));
        assertRunsNatively(p, "mkdir EPERM\n");
        Files.delete(names);
        assertJvmReached(mkdir(noJvm, p));
        mkdir(jvm, p);
        assertArrayEquals(good, Files.readAllBytes(names));
        assertRunsNatively(p, "mkdir EPERM\n");
    }

    @Test
    @DisplayName("an entry whose checksum holds but whose libseccomp is another file is not trusted")
    void otherLibseccomp() throws IOException {
        String p = policy("{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        mkdir(jvm, p);
        Path entry = onlyEntry();
        byte[] b = Files.readAllBytes(entry);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        // Walk to SECTION_LIBSECCOMP (2) and change its recorded inode, then fix the checksum as a writer would.
        int count = buf.getShort(6);
        int off = 44;
        for (int i = 0; i < count; i++) {
            int type = buf.getShort(off);
            int len = buf.getInt(off + 4);
            if (type == 2) {
                buf.putLong(off + 8 + 8, buf.getLong(off + 8 + 8) + 1);
            }
            off += 8 + len;
        }
        buf.putLong(b.length - 8, fnv1a(b, b.length - 8));
        Files.write(entry, b);
        assertJvmReached(mkdir(noJvm, p));
    }

    private static long fnv1a(byte[] data, int length) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < length; i++) {
            h = (h ^ (data[i] & 0xff)) * 0x100000001b3L;
        }
        return h;
    }

    @Test
    @DisplayName("a changed policy file is never enforced from the old entry: it is compiled again")
    void stale() throws IOException {
        String p = policy("{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"rmdir\"]}");
        assertEquals("mkdir ok\n", mkdir(jvm, p).out());
        Files.delete(dir);
        assertRunsNatively(p, "mkdir ok\n");
        Files.delete(dir);
        policy("{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        assertJvmReached(mkdir(noJvm, p));
        assertFalse(Files.exists(dir));
        assertEquals("mkdir EPERM\n", mkdir(jvm, p).out());
        assertRunsNatively(p, "mkdir EPERM\n");
        assertFalse(Files.exists(dir));
    }

    @Test
    @DisplayName("a cache directory open to other users is neither read nor written")
    void openDirectory() throws IOException {
        String p = policy("{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        mkdir(jvm, p);
        Files.setPosixFilePermissions(entries, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertJvmReached(mkdir(noJvm, p));
        Files.delete(onlyEntry());
        Files.delete(namesEntry());
        assertEquals("mkdir EPERM\n", mkdir(jvm, p).out(), "the program still runs, on the JVM path");
        try (Stream<Path> s = Files.list(entries)) {
            assertEquals(0, s.count(), "nothing written into a directory open to others");
        }
    }

    @Test
    @DisplayName("another user's cache directory or entry is not trusted; only our own directory is written")
    void foreign() throws Exception {
        String p = policy("{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        mkdir(jvm, p);
        Path entry = onlyEntry();
        if (Probes.isRoot()) {
            // An entry of another user in our directory: ignored, then replaced by ours.
            chown("65534", entry);
            assertJvmReached(mkdir(noJvm, p));
            mkdir(jvm, p);
            assertEquals(0, (int) Files.getAttribute(onlyEntry(), "unix:uid"));
            assertRunsNatively(p, "mkdir EPERM\n");
            // The whole directory another user's: not read, not written.
            chown("65534", entries);
            assertJvmReached(mkdir(noJvm, p));
            Files.delete(onlyEntry());
            Files.delete(namesEntry());
            assertEquals("mkdir EPERM\n", mkdir(jvm, p).out());
            try (Stream<Path> s = Files.list(entries)) {
                assertEquals(0, s.count());
            }
        } else {
            // Without root nothing can belong to someone else: an entry others may write is as foreign...
            Files.setPosixFilePermissions(entry, PosixFilePermissions.fromString("rw-rw-rw-"));
            assertJvmReached(mkdir(noJvm, p));
            mkdir(jvm, p);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(onlyEntry())));
            assertRunsNatively(p, "mkdir EPERM\n");
            // ...and a directory reached through a symlink may be anybody's.
            Path moved = Files.move(entries, cacheHome.resolve("elsewhere"));
            Files.createSymbolicLink(entries, moved);
            assertJvmReached(mkdir(noJvm, p));
            mkdir(jvm, p);
            try (Stream<Path> s = Files.list(moved)) {
                assertEquals(2, s.count(), "nothing written through the symlink");
            }
        }
    }

    private static void chown(String uid, Path p) throws Exception {
        assertEquals(0, new ProcessBuilder("chown", uid, p.toString()).inheritIO().start().waitFor());
    }

    @Test
    @DisplayName("JVM paths racing on a cold cache leave one whole entry that sandbox-run then uses")
    void concurrentWriters() throws Exception {
        String p = policy("{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        List<Process> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            all.add(FrontRun.start(jvm, env, "--policy", p, "--exec", "/bin/true"));
        }
        for (Process proc : all) {
            proc.getOutputStream().close();
            assertEquals(0, SandboxRun.finish(proc, 60).exit());
        }
        onlyEntry();
        assertRunsNatively(p, "mkdir EPERM\n");
    }

    @Test
    @DisplayName("sandbox compile fills the cache before the first run, and -o writes the BPF program")
    void compile() throws IOException {
        String p = policy("{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"mkdir\",\"mkdirat\"]}");
        Path bpf = tmp.resolve("p.bpf");
        SandboxRun c = FrontRun.run(jvm, env, null, "compile", p, "-o", bpf.toString());
        assertEquals(0, c.exit(), c::toString);
        assertEquals("", c.out() + c.err());
        long size = Files.size(bpf);
        assertTrue(size > 0 && size % 8 == 0, "struct sock_filter[]: " + size);
        assertRunsNatively(p, "mkdir EPERM\n");
        SandboxRun refused = FrontRun.run(jvm, env, null, "compile", policy("{\"mode\":\"allow\",\"syscalls\":[]}"));
        assertEquals(125, refused.exit(), refused::toString);
        assertTrue(refused.err().contains("refuses execve"), refused::toString);
    }
}

package dev.sandbox.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.launch.StaticRun;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.seccomp.FilterCompiler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer's side of the cache: where, with which modes, and never into a directory that is not ours alone. */
class PolicyCacheTest {
    @TempDir
    Path tmp;

    private static CompiledPolicy entry(String syscall) {
        byte[] json = ("{\"mode\":\"block\",\"syscalls\":[\"" + syscall + "\"]}").getBytes(StandardCharsets.UTF_8);
        Policy p = new PolicyLoader(w -> { }).parse(json, "p.json");
        return CompiledPolicy.of(json, new StaticRun.Compiled(new FilterCompiler().compile(p), false));
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p,
                java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    @DisplayName("a new cache directory is made 0700 and an entry 0600, named by its key")
    void modes() throws IOException {
        PolicyCache cache = new PolicyCache(tmp.resolve("xdg/sandbox"));
        CompiledPolicy e = entry("mkdir");
        Path file = cache.store(e);
        assertEquals("rwx------", mode(tmp.resolve("xdg/sandbox")));
        assertEquals("rw-------", mode(file));
        assertEquals(e.name(), file.getFileName().toString());
        assertArrayEquals(e.bytes(), Files.readAllBytes(file));
        Path names = tmp.resolve("xdg/sandbox").resolve(CompiledPolicy.names().name());
        assertArrayEquals(CompiledPolicy.names().bytes(), Files.readAllBytes(names), "the names entry comes along");
        assertEquals("rw-------", mode(names));
    }

    @Test
    @DisplayName("a directory open to others, a symlink or a file is left alone and nothing is written there")
    void notOursAlone() throws IOException {
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        IOException e = assertThrows(IOException.class, () -> new PolicyCache(open).store(entry("mkdir")));
        assertTrue(e.getMessage().contains("open to other users"), e.getMessage());
        Path real = Files.createDirectory(tmp.resolve("real"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
        assertThrows(IOException.class, () -> new PolicyCache(link).store(entry("mkdir")));
        Path file = Files.writeString(tmp.resolve("file"), "");
        assertThrows(IOException.class, () -> new PolicyCache(file).store(entry("mkdir")));
        try (Stream<Path> s = Files.list(open)) {
            assertEquals(0, s.count());
        }
        try (Stream<Path> s = Files.list(real)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    @DisplayName("an identical entry is not rewritten; a damaged one is replaced")
    void rewrite() throws IOException {
        PolicyCache cache = new PolicyCache(tmp.resolve("c"));
        CompiledPolicy e = entry("mkdir");
        Path file = cache.store(e);
        FileTime old = FileTime.fromMillis(1000);
        Files.setLastModifiedTime(file, old);
        cache.store(e);
        assertEquals(old, Files.getLastModifiedTime(file));
        byte[] damaged = e.bytes();
        damaged[damaged.length / 2] ^= 1;
        Files.write(file, damaged);
        cache.store(e);
        assertArrayEquals(e.bytes(), Files.readAllBytes(file));
    }

    @Test
    @DisplayName("writers racing on one entry leave one whole entry and no temporary files")
    void concurrentWriters() throws Exception {
        PolicyCache cache = new PolicyCache(tmp.resolve("race"));
        List<CompiledPolicy> entries = List.of(entry("mkdir"), entry("rmdir"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Path>> done = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                CompiledPolicy e = entries.get(i % 2);
                done.add(pool.submit(() -> {
                    // a fresh cache object each time: nothing shared but the directory
                    Path f = new PolicyCache(tmp.resolve("race")).store(e);
                    Files.delete(f); // make the next writer write again instead of finding it current
                    return f;
                }));
            }
            for (Future<Path> f : done) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException ex) {
                    // another writer deleted it first: the race this test provokes, not a failure
                    if (!(ex.getCause() instanceof java.nio.file.NoSuchFileException)) {
                        throw ex;
                    }
                }
            }
        } finally {
            pool.shutdown();
        }
        for (CompiledPolicy e : entries) {
            assertArrayEquals(e.bytes(), Files.readAllBytes(cache.store(e)));
        }
        try (Stream<Path> s = Files.list(tmp.resolve("race"))) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".tmp-")), "temporary files left");
        }
    }

    @Test
    @DisplayName("a temporary file a dead writer left is removed by the next store; a live writer's is not")
    void sweep() throws Exception {
        PolicyCache cache = new PolicyCache(tmp.resolve("xdg/sandbox"));
        cache.store(entry("mkdir"));
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.fromMillis(
                System.currentTimeMillis() - PolicyCache.STALE_MS - 60_000);
        Path left = Files.writeString(tmp.resolve("xdg/sandbox/.tmp-" + dead.pid() + "-1-abc"), "torn");
        Path fresh = Files.writeString(tmp.resolve("xdg/sandbox/.tmp-" + dead.pid() + "-2-abc"), "torn");
        Path live = Files.writeString(tmp.resolve("xdg/sandbox/.tmp-" + ProcessHandle.current().pid() + "-9-abc"), "x");
        Path other = Files.writeString(tmp.resolve("xdg/sandbox/.tmp-notapid-1"), "x");
        Path dirLike = Files.createDirectories(tmp.resolve("xdg/sandbox/.tmp-" + dead.pid() + "-3-dir/inside"))
                .getParent();
        for (Path p : new Path[] {left, live, other, dirLike}) {
            Files.setLastModifiedTime(p, old);
        }
        cache.store(entry("rmdir"));
        assertFalse(Files.exists(left), "a dead writer's old leftover is gone");
        assertTrue(Files.exists(fresh), "a recent one may be a live writer's in another pid namespace: it stays");
        assertTrue(Files.exists(live), "a live writer's file stays");
        assertTrue(Files.exists(other), "only files named as writers name them are touched");
        assertTrue(Files.exists(dirLike), "and only files");
    }
}

package dev.sandbox.learn;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Syscalls that do the same job under different numbers. A newer libc switches from one to another (openat2,
 * statx, clone3, faccessat2, ...); a policy that lists only the one seen while learning then breaks on the next
 * upgrade. When a member is learned, the saved policy lists the family (docs/policy-format.md has the table).
 */
public final class Families {
    static final List<List<String>> TABLE = List.of(
            List.of("open", "openat", "openat2"),
            List.of("stat", "lstat", "newfstatat", "statx"),
            List.of("fstat", "newfstatat"),
            List.of("clone", "clone3"),
            List.of("access", "faccessat", "faccessat2"),
            List.of("poll", "ppoll"),
            List.of("select", "pselect6"),
            List.of("dup2", "dup3"),
            List.of("pipe", "pipe2"),
            List.of("wait4", "waitid"),
            List.of("eventfd", "eventfd2"),
            List.of("signalfd", "signalfd4"),
            List.of("epoll_wait", "epoll_pwait", "epoll_pwait2"),
            List.of("epoll_create", "epoll_create1"),
            List.of("getdents", "getdents64"),
            List.of("inotify_init", "inotify_init1"),
            List.of("accept", "accept4"),
            List.of("chmod", "fchmodat", "fchmodat2"),
            List.of("chown", "lchown", "fchownat"),
            List.of("mkdir", "mkdirat"),
            List.of("unlink", "unlinkat"),
            List.of("rmdir", "unlinkat"),
            List.of("rename", "renameat", "renameat2"),
            List.of("link", "linkat"),
            List.of("symlink", "symlinkat"),
            List.of("readlink", "readlinkat"),
            List.of("utime", "utimes", "utimensat", "futimesat"),
            List.of("mknod", "mknodat"),
            List.of("sendfile", "copy_file_range", "splice"),
            List.of("preadv", "preadv2"),
            List.of("pwritev", "pwritev2"),
            List.of("getrlimit", "prlimit64"),
            List.of("setrlimit", "prlimit64"),
            List.of("futex", "futex_waitv"),
            List.of("nanosleep", "clock_nanosleep"),
            List.of("time", "clock_gettime"),
            List.of("gettimeofday", "clock_gettime"),
            List.of("close", "close_range"));

    private Families() {}

    /** {@code learned} plus every sibling of each member, in a stable order. */
    public static Set<String> widen(Set<String> learned) {
        Set<String> out = new LinkedHashSet<>(learned);
        for (List<String> family : TABLE) {
            if (family.stream().anyMatch(learned::contains)) {
                out.addAll(family);
            }
        }
        return out;
    }
}

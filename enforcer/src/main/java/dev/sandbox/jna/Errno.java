package dev.sandbox.jna;

import java.util.HashMap;
import java.util.Map;

/**
 * errno numbers and names. glibc knows the names ({@code strerrorname_np}, glibc 2.32+), so nothing is copied here
 * but the few constants Java code tests for.
 */
public final class Errno {
    public static final int EPERM = 1;   // <asm-generic/errno-base.h>
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int E2BIG = 7;
    public static final int ENOEXEC = 8;
    public static final int EBADF = 9;
    public static final int ECHILD = 10;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ETXTBSY = 26;
    public static final int EPIPE = 32;
    public static final int ENOSPC = 28;
    public static final int ENOSYS = 38;
    public static final int ELOOP = 40;
    public static final int ENAMETOOLONG = 36;
    public static final int MAX = 4095; // <linux/err.h> MAX_ERRNO: the most a syscall can return as -errno

    private static volatile Map<String, Integer> byName;

    private Errno() {}

    /** "Operation not permitted". */
    public static String describe(int errno) {
        return LibC.strerror(errno);
    }

    /** "EPERM", or "errno 1234" for a number glibc has no name for. */
    public static String name(int errno) {
        String name = LibC.strerrorname_np(errno);
        return name != null ? name : "errno " + errno;
    }

    /** The number for "EPERM", or -1. */
    public static int byName(String name) {
        Map<String, Integer> map = byName;
        if (map == null) {
            map = new HashMap<>();
            for (int i = 1; i < 200; i++) {
                String n = LibC.strerrorname_np(i);
                if (n != null) {
                    map.putIfAbsent(n, i);
                }
            }
            byName = map;
        }
        return map.getOrDefault(name, -1);
    }
}

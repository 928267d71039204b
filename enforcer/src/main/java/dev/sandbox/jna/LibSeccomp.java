package dev.sandbox.jna;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * libseccomp 2.x ({@code libseccomp.so.2}), direct-mapped.
 *
 * Error convention: every int-returning function returns 0 (or a value) on success and {@code -errno} on failure;
 * errno is not set, so {@code LastErrorException} would be wrong here. Use {@link #check}.
 */
public final class LibSeccomp {
    private static final Throwable UNAVAILABLE;

    static {
        Throwable cause = null;
        try {
            Native.register(NativeLibrary.getInstance("libseccomp.so.2"));
        } catch (UnsatisfiedLinkError e) {
            cause = e;
        }
        UNAVAILABLE = cause;
    }

    // <seccomp.h> architecture tokens (equal to the kernel's AUDIT_ARCH_* values, <linux/audit.h>)
    public static final int SCMP_ARCH_X86_64 = 0xc000003e;
    public static final int SCMP_ARCH_X86 = 0x40000003;
    public static final int SCMP_ARCH_X32 = 0x4000003e;
    // <seccomp.h> actions
    public static final int SCMP_ACT_KILL_PROCESS = 0x80000000;
    public static final int SCMP_ACT_TRAP = 0x00030000;
    public static final int SCMP_ACT_NOTIFY = 0x7fc00000; // SECCOMP_RET_USER_NOTIF
    public static final int SCMP_ACT_ERRNO_BASE = 0x00050000; // | errno & 0xffff
    public static final int SCMP_ACT_TRACE_BASE = 0x7ff00000; // | data & 0xffff
    public static final int SCMP_ACT_LOG = 0x7ffc0000;
    public static final int SCMP_ACT_ALLOW = 0x7fff0000;
    // <seccomp.h> enum scmp_filter_attr
    public static final int SCMP_FLTATR_ACT_BADARCH = 2;
    public static final int SCMP_FLTATR_CTL_NNP = 3;
    public static final int SCMP_FLTATR_CTL_OPTIMIZE = 8; // libseccomp >= 2.5; 2 = binary tree of syscalls
    // <seccomp.h> enum scmp_compare, and struct scmp_arg_cmp {u32 arg; enum op; u64 datum_a; u64 datum_b}
    public static final int SCMP_CMP_EQ = 4;
    public static final int SCMP_CMP_MASKED_EQ = 7; // (arg & datum_a) == datum_b
    public static final int SIZEOF_SCMP_ARG_CMP = 24;

    /** One struct scmp_arg_cmp: argument {@code arg} compared by {@code op} with {@code a} and {@code b}. */
    public record ArgCmp(int arg, int op, long a, long b) {}
    // <seccomp.h> __NR_SCMP_ERROR: the name is not known for any arch
    public static final int __NR_SCMP_ERROR = -1;

    private LibSeccomp() {}

    /** Refuses, in a sentence, when libseccomp could not be loaded. */
    public static void ensureAvailable() {
        if (UNAVAILABLE != null) {
            String first = String.valueOf(UNAVAILABLE.getMessage()).lines().findFirst().orElse("");
            throw new dev.sandbox.error.SandboxException("libseccomp.so.2 cannot be loaded (install the libseccomp2 "
                    + "package): " + first, dev.sandbox.error.ExitCodes.REFUSED, UNAVAILABLE);
        }
    }

    public static native Pointer seccomp_init(int defAction);
    public static native void seccomp_release(Pointer ctx);
    public static native int seccomp_arch_add(Pointer ctx, int archToken);
    public static native int seccomp_arch_remove(Pointer ctx, int archToken);
    public static native int seccomp_attr_set(Pointer ctx, int attr, int value);
    /** Non-variadic form of seccomp_rule_add; with argCnt 0 the array may be null. */
    public static native int seccomp_rule_add_array(Pointer ctx, int action, int syscall, int argCnt, Pointer args);
    /** Adds the rules of src to dst and releases src; both must have the same attributes and no common arch. */
    public static native int seccomp_merge(Pointer dst, Pointer src);
    /** Number of a name on the native arch; a negative "pseudo number" if it exists only on other arches. */
    public static native int seccomp_syscall_resolve_name(String name);
    public static native int seccomp_export_bpf(Pointer ctx, int fd);
    public static native int seccomp_export_pfc(Pointer ctx, int fd);
    public static native int seccomp_syscall_resolve_name_arch(int archToken, String name);
    /** Returns a malloc'd string the caller frees, or null; kept as a Pointer for that reason. */
    public static native Pointer seccomp_syscall_resolve_num_arch(int archToken, int num);

    /**
     * One libseccomp filter context, for callers outside this package (the compiler holds no JNA types). Rules take
     * syscall numbers: of the context's own arch when it is the native one, native (x86_64) numbers otherwise, which
     * libseccomp translates by name.
     */
    public static final class Filter implements AutoCloseable {
        private Pointer ctx;

        /** @param archToken the one arch of this context; the native arch when it is {@link #SCMP_ARCH_X86_64} */
        public Filter(int defaultAction, int archToken) {
            ensureAvailable();
            ctx = seccomp_init(defaultAction);
            if (ctx == null) {
                throw new NativeCallException("seccomp_init", Errno.EINVAL);
            }
            try {
                if (archToken != SCMP_ARCH_X86_64) {
                    check("seccomp_arch_add", seccomp_arch_add(ctx, archToken));
                    check("seccomp_arch_remove(native)", seccomp_arch_remove(ctx, SCMP_ARCH_X86_64));
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        public Filter attr(String what, int attr, int value) {
            check("seccomp_attr_set(" + what + ")", seccomp_attr_set(ctx, attr, value));
            return this;
        }

        /** Adds {@code arch} to the arches this context filters (rules by name then apply to each). */
        public Filter addArch(String what, int archToken) {
            check("seccomp_arch_add(" + what + ")", seccomp_arch_add(ctx, archToken));
            return this;
        }

        /** Adds "syscall {@code nr} gets {@code action}", when every comparison holds (none: always). */
        public void rule(int action, int nr, String what, ArgCmp... cmps) {
            Memory args = null;
            if (cmps.length > 0) {
                args = new Memory((long) SIZEOF_SCMP_ARG_CMP * cmps.length);
                args.clear();
                for (int i = 0; i < cmps.length; i++) {
                    long o = (long) SIZEOF_SCMP_ARG_CMP * i;
                    args.setInt(o, cmps[i].arg());
                    args.setInt(o + 4, cmps[i].op());
                    args.setLong(o + 8, cmps[i].a());
                    args.setLong(o + 16, cmps[i].b());
                }
            }
            check("seccomp_rule_add(" + what + ")", seccomp_rule_add_array(ctx, action, nr, cmps.length, args));
        }

        /** Moves every rule of {@code other} (a context of another arch, same attributes) into this one. */
        public void merge(Filter other) {
            check("seccomp_merge", seccomp_merge(ctx, other.ctx));
            other.ctx = null; // seccomp_merge released it
        }

        /** The filter as {@code struct sock_filter[]}. */
        public byte[] bpf() {
            return export(false);
        }

        /** libseccomp's pseudo filter code for the same filter. */
        public String pfc() {
            return new String(export(true), java.nio.charset.StandardCharsets.UTF_8);
        }

        private byte[] export(boolean pfc) {
            // seccomp_export_* write into an fd; a memfd has no pipe's capacity limit and needs no temp file
            int fd;
            try {
                fd = LibC.memfd_create("sandbox-bpf", LibC.MFD_CLOEXEC);
            } catch (com.sun.jna.LastErrorException e) {
                throw LibC.failure("memfd_create", e);
            }
            try {
                if (pfc) {
                    check("seccomp_export_pfc", seccomp_export_pfc(ctx, fd));
                } else {
                    check("seccomp_export_bpf", seccomp_export_bpf(ctx, fd));
                }
                LibC.lseek(fd, 0, LibC.SEEK_SET);
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                byte[] buf = new byte[16384];
                for (;;) {
                    long n = LibC.read(fd, buf, buf.length);
                    if (n <= 0) {
                        break;
                    }
                    out.write(buf, 0, (int) n);
                }
                return out.toByteArray();
            } catch (com.sun.jna.LastErrorException e) {
                throw LibC.failure("reading the exported filter", e);
            } finally {
                LibC.close(fd);
            }
        }

        @Override
        public void close() {
            if (ctx != null) {
                seccomp_release(ctx);
                ctx = null;
            }
        }
    }

    /** Returns {@code ret} when it is not negative; otherwise throws {@code what: strerror(-ret)}. */
    public static int check(String what, int ret) {
        if (ret < 0) {
            throw new NativeCallException(what, -ret);
        }
        return ret;
    }

    /** The name for a syscall number on an arch, or null when libseccomp knows none. */
    public static String resolveNum(int archToken, int num) {
        Pointer p = seccomp_syscall_resolve_num_arch(archToken, num);
        if (p == null) {
            return null;
        }
        try {
            return p.getString(0);
        } finally {
            Native.free(Pointer.nativeValue(p));
        }
    }
}

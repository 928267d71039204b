package dev.sandbox.jna;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.sandbox.seccomp.FilterRecipe;

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

    /** Carries out {@code recipe} (native/src/recipe.c does the same, call for call) and exports its filter. */
    public static byte[] bpf(FilterRecipe recipe) {
        Filter[] ctxs = replay(recipe);
        try {
            return ctxs[recipe.result()].export(false);
        } finally {
            release(ctxs);
        }
    }

    /** libseccomp's pseudo filter code for the filter of {@code recipe}. */
    public static String pfc(FilterRecipe recipe) {
        Filter[] ctxs = replay(recipe);
        try {
            return new String(ctxs[recipe.result()].export(true), java.nio.charset.StandardCharsets.UTF_8);
        } finally {
            release(ctxs);
        }
    }

    private static Filter[] replay(FilterRecipe recipe) {
        ensureAvailable();
        Filter[] ctxs = new Filter[recipe.contexts()];
        java.util.List<FilterRecipe.Op> ops = recipe.ops();
        try {
            for (int i = 0; i < ops.size(); i++) {
                String call = recipe.call(i);
                FilterRecipe.Op op = ops.get(i);
                if (op instanceof FilterRecipe.Init o) {
                    ctxs[o.ctx()] = new Filter(o.defaultAction(), o.arch());
                } else if (op instanceof FilterRecipe.Attr o) {
                    check(call, seccomp_attr_set(ctxs[o.ctx()].ctx, o.attr(), o.value()));
                } else if (op instanceof FilterRecipe.AddArch o) {
                    check(call, seccomp_arch_add(ctxs[o.ctx()].ctx, o.arch()));
                } else if (op instanceof FilterRecipe.Rule o) {
                    ctxs[o.ctx()].rule(call, o.action(), o.nr(), o.cmps());
                } else if (op instanceof FilterRecipe.RuleNamed o) {
                    int nr = seccomp_syscall_resolve_name(o.name());
                    if (nr != __NR_SCMP_ERROR) {
                        ctxs[o.ctx()].rule(call, o.action(), nr, o.cmps());
                    }
                } else if (op instanceof FilterRecipe.Merge o) {
                    check(call, seccomp_merge(ctxs[o.ctx()].ctx, ctxs[o.from()].ctx));
                    ctxs[o.from()].ctx = null; // seccomp_merge released it
                }
            }
            return ctxs;
        } catch (RuntimeException e) {
            release(ctxs);
            throw e;
        }
    }

    private static void release(Filter[] ctxs) {
        for (Filter f : ctxs) {
            if (f != null) {
                f.close();
            }
        }
    }

    /** One libseccomp filter context of one arch. */
    private static final class Filter implements AutoCloseable {
        private Pointer ctx;

        /** @param archToken the one arch of this context; the native arch when it is {@link #SCMP_ARCH_X86_64} */
        Filter(int defaultAction, int archToken) {
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

        void rule(String call, int action, int nr, java.util.List<FilterRecipe.ArgCmp> cmps) {
            Memory args = null;
            if (!cmps.isEmpty()) {
                args = new Memory((long) SIZEOF_SCMP_ARG_CMP * cmps.size());
                args.clear();
                for (int i = 0; i < cmps.size(); i++) {
                    long o = (long) SIZEOF_SCMP_ARG_CMP * i;
                    args.setInt(o, cmps.get(i).arg());
                    args.setInt(o + 4, cmps.get(i).op());
                    args.setLong(o + 8, cmps.get(i).a());
                    args.setLong(o + 16, cmps.get(i).b());
                }
            }
            check(call, seccomp_rule_add_array(ctx, action, nr, cmps.size(), args));
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

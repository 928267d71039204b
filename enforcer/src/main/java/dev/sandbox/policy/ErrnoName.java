package dev.sandbox.policy;

import java.util.HashMap;
import java.util.Map;

/**
 * errno names and numbers as a policy writes them, without calling into libc: the policy model stays pure Java.
 * Linux's numbers (<asm-generic/errno-base.h>, <asm-generic/errno.h>; x86 uses the generic ones) are ABI and never
 * change; ErrnoNameTest compares this table with glibc's strerrorname_np.
 */
public final class ErrnoName {
    public static final int EPERM = 1;
    public static final int ENOSYS = 38;
    /** <linux/err.h> MAX_ERRNO: the most a syscall can return as -errno. */
    public static final int MAX = 4095;

    /** Index = errno - 1; null where Linux has no errno (41, 58). */
    private static final String[] NAMES = {
        "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD", "EAGAIN",
        "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR", "EISDIR",
        "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS", "EMLINK",
        "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP", null,
        "ENOMSG", "EIDRM", "ECHRNG", "EL2NSYNC", "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH", "ENOCSI", "EL2HLT",
        "EBADE", "EBADR", "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", null, "EBFONT", "ENOSTR", "ENODATA",
        "ETIME", "ENOSR", "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT", "ECOMM", "EPROTO",
        "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG", "ELIBACC", "ELIBBAD",
        "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS", "ENOTSOCK",
        "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT", "ESOCKTNOSUPPORT",
        "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN", "ENETUNREACH",
        "ENETRESET", "ECONNABORTED", "ECONNRESET", "ENOBUFS", "EISCONN", "ENOTCONN", "ESHUTDOWN",
        "ETOOMANYREFS", "ETIMEDOUT", "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH", "EALREADY", "EINPROGRESS",
        "ESTALE", "EUCLEAN", "ENOTNAM", "ENAVAIL", "EISNAM", "EREMOTEIO", "EDQUOT", "ENOMEDIUM", "EMEDIUMTYPE",
        "ECANCELED", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED", "EOWNERDEAD", "ENOTRECOVERABLE",
        "ERFKILL", "EHWPOISON"
    };

    private static final Map<String, Integer> BY_NAME = new HashMap<>();

    static {
        for (int i = 0; i < NAMES.length; i++) {
            if (NAMES[i] != null) {
                BY_NAME.put(NAMES[i], i + 1);
            }
        }
        // glibc's aliases: the same numbers under the names some programs and documents use
        BY_NAME.put("EWOULDBLOCK", 11);
        BY_NAME.put("EDEADLOCK", 35);
        BY_NAME.put("ENOTSUP", 95);
    }

    private ErrnoName() {}

    /** "EPERM", or "errno 1234" for a number Linux has no name for. */
    public static String of(int errno) {
        String name = errno >= 1 && errno <= NAMES.length ? NAMES[errno - 1] : null;
        return name != null ? name : "errno " + errno;
    }

    /** Whether Linux has a name for this number. */
    public static boolean named(int errno) {
        return errno >= 1 && errno <= NAMES.length && NAMES[errno - 1] != null;
    }

    /** The number for "EPERM", or -1. */
    public static int number(String name) {
        return BY_NAME.getOrDefault(name, -1);
    }
}

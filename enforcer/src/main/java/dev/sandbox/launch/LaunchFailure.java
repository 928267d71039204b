package dev.sandbox.launch;

import dev.sandbox.error.ExitCodes;
import dev.sandbox.error.SandboxException;
import dev.sandbox.jna.Errno;

/**
 * A launch step that failed in the child, as the launcher reported it: {@code {step, index, errno}}. Only here does
 * that record become a sentence and an exit code: 127 for a program that is not there, 126 for one that cannot be
 * executed, 125 for a step of the sandbox's own.
 */
public final class LaunchFailure extends SandboxException {
    private static final long serialVersionUID = 1L;

    private final StepKind step;
    private final int errno;

    public LaunchFailure(StepKind step, int errno, String program) {
        this(step, errno, program, null);
    }

    /** @param detail what the step worked on (a path, a mount), from the plan; may be null */
    public LaunchFailure(StepKind step, int errno, String program, String detail) {
        super(message(step, errno, program, Errno.describe(errno), detail), exitCode(step, errno));
        this.step = step;
        this.errno = errno;
    }

    public StepKind step() {
        return step;
    }

    public int errno() {
        return errno;
    }

    public static int exitCode(StepKind step, int errno) {
        if (step != StepKind.STEP_EXEC) {
            return ExitCodes.REFUSED;
        }
        return switch (errno) {
            case Errno.ENOENT, Errno.ENOTDIR, Errno.ELOOP, Errno.ENAMETOOLONG -> ExitCodes.NOT_FOUND;
            case Errno.EACCES, Errno.EPERM, Errno.ENOEXEC, Errno.EISDIR, Errno.ETXTBSY -> ExitCodes.NOT_EXECUTABLE;
            default -> ExitCodes.NOT_EXECUTABLE;
        };
    }

    static String message(StepKind step, int errno, String program) {
        return message(step, errno, program, Errno.describe(errno), null);
    }

    /** @param reason strerror(errno), or a placeholder when the sentence is a template (the compiled-policy cache) */
    public static String message(StepKind step, int errno, String program, String reason) {
        return message(step, errno, program, reason, null);
    }

    /** @param detail what the step worked on (a path, a mount), from the plan; may be null */
    static String message(StepKind step, int errno, String program, String reason, String detail) {
        String on = detail == null ? "" : " " + detail;
        if (step == null) {
            return "the launcher reported an unknown step (errno " + errno + "): the launcher and the Java side "
                    + "are from different builds";
        }
        return switch (step) {
            case STEP_EXEC -> "cannot execute " + program + ": " + reason
                    + (errno == Errno.ENOEXEC ? " (not a binary or script the kernel can run)" : "");
            case STEP_SECCOMP_FILTER -> "cannot apply the seccomp filter: " + reason
                    + (errno == Errno.EINVAL ? " (the kernel needs CONFIG_SECCOMP_FILTER)" : "")
                    + (errno == Errno.EACCES ? " (NO_NEW_PRIVS was not set first)" : "");
            case STEP_READ_PLAN -> "the launcher could not read its plan: " + reason
                    + " (the launcher and the Java side are from different builds?)";
            case STEP_UNSHARE -> (detail != null && detail.equals("user")
                    ? "cannot create a user namespace: " + reason + (errno == Errno.EPERM || errno == Errno.ENOSPC
                    || errno == Errno.EACCES ? " (unprivileged user namespaces are off here: sysctl "
                    + "user.max_user_namespaces must be > 0, kernel.unprivileged_userns_clone=1 on Debian kernels, "
                    + "kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu; or run as root; --best-effort runs "
                    + "without)" : "")
                    : "cannot create the " + detail + " namespace(s): " + reason + (errno == Errno.EPERM
                    ? " (needs root or a user namespace)" : errno == Errno.EINVAL ? " (this kernel lacks one of them:"
                    + " CONFIG_*_NS)" : ""));
            case STEP_SYNC -> "the sandbox could not set up the namespace (uid_map, cgroup): " + reason;
            case STEP_PID_INIT -> "cannot start the pid namespace's init: " + reason;
            case STEP_MOUNT -> "cannot mount" + on + ": " + reason;
            case STEP_MOUNT_SETATTR -> "cannot set mount attributes for" + on + ": " + reason
                    + (errno == Errno.ENOSYS ? " (read-only and nosuid binds need mount_setattr: Linux 5.12+)" : "");
            case STEP_MKDIR, STEP_MKFILE -> "cannot create the mount point" + on + " in the new root: " + reason
                    + " (a --ro-bind beneath it makes it read-only: bind the parent read-write, or add a --tmpfs)";
            case STEP_PIVOT_ROOT -> "pivot_root into the new root failed: " + reason;
            case STEP_UMOUNT -> "cannot detach the old root" + on + ": " + reason;
            case STEP_RLIMIT -> "cannot set --rlimit" + on + ": " + reason + (errno == Errno.EPERM
                    ? " (raising a hard limit needs root: CAP_SYS_RESOURCE)" : "");
            case STEP_IDENTITY -> "cannot change to" + on + ": " + reason + (errno == Errno.EPERM
                    ? " (needs root, or a user namespace where the ids are mapped)" : "");
            case STEP_CAPS -> "cannot drop capabilities (keeping " + detail + "): " + reason;
            case STEP_LANDLOCK_RULESET, STEP_LANDLOCK_RESTRICT -> "cannot restrict the filesystem with Landlock: "
                    + reason + (errno == Errno.ENOSYS || errno == 95 ? " (Landlock is not enabled: Linux 5.13+ with "
                    + "landlock in the lsm= boot parameter)" : "");
            case STEP_LANDLOCK_RULE -> "cannot add the Landlock rule" + on + ": " + reason;
            default -> step.what() + on + " failed: " + reason;
        };
    }
}

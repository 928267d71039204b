package dev.sandbox.launch;

import static dev.sandbox.launch.StepKind.STEP_CAPS;
import static dev.sandbox.launch.StepKind.STEP_EXEC;
import static dev.sandbox.launch.StepKind.STEP_LANDLOCK_RESTRICT;
import static dev.sandbox.launch.StepKind.STEP_NO_NEW_PRIVS;
import static dev.sandbox.launch.StepKind.STEP_PID_INIT;
import static dev.sandbox.launch.StepKind.STEP_PIVOT_ROOT;
import static dev.sandbox.launch.StepKind.STEP_SECCOMP_FILTER;
import static dev.sandbox.launch.StepKind.STEP_STOP;
import static dev.sandbox.launch.StepKind.STEP_SYNC;
import static dev.sandbox.launch.StepKind.STEP_UMOUNT;
import static dev.sandbox.launch.StepKind.STEP_UNSHARE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.isolation.Isolation;
import dev.sandbox.isolation.Mount;
import dev.sandbox.seccomp.BpfProgram;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The kernel order of the isolation steps, as planned (the live tests check what the kernel makes of them). */
class IsolationPlanTest {
    private static final BpfProgram FILTER = new BpfProgram(new byte[8]);

    private static LaunchPlan plan(Isolation iso, boolean traced) {
        return LaunchPlan.forProgram("/", traced, List.of(FILTER), null, -1, "/bin/true".getBytes(),
                List.of("true".getBytes()), 1, 9, iso);
    }

    private static Isolation all() {
        return Isolation.none().unshareAll().mount(Mount.parse(Mount.Kind.RO_BIND, "/")).net("none");
    }

    @Test
    @DisplayName("user namespace, sync, other namespaces, pid init, new root, identity, caps, NNP, filters, exec")
    void kernelOrder() {
        List<StepKind> k = plan(all(), false).kinds();
        assertEquals(STEP_UNSHARE, k.get(2), k::toString);
        assertEquals(STEP_SYNC, k.get(3), k::toString);
        assertEquals(STEP_UNSHARE, k.get(4), k::toString);
        assertEquals(STEP_PID_INIT, k.get(5), k::toString);
        int firstPivot = k.indexOf(STEP_PIVOT_ROOT);
        int lastPivot = k.lastIndexOf(STEP_PIVOT_ROOT);
        assertTrue(firstPivot < lastPivot, "two pivots: into the tmpfs base, then into the new root: " + k);
        assertTrue(k.indexOf(STEP_UMOUNT) < lastPivot, "the old root is detached before the final pivot: " + k);
        assertTrue(lastPivot < k.indexOf(STEP_CAPS), k::toString);
        assertTrue(k.indexOf(STEP_CAPS) < k.indexOf(STEP_NO_NEW_PRIVS), k::toString);
        assertEquals(2, k.stream().filter(s -> s == STEP_SECCOMP_FILTER).count(), "the policy's and the "
                + "isolation filter (TIOCSTI, --net none's socket rule): " + k);
        assertEquals(STEP_EXEC, k.get(k.size() - 1));
        assertFalse(k.contains(STEP_STOP));
    }

    @Test
    @DisplayName("learning inside isolation stops for the tracer right after the sync, before anything forks")
    void tracedStopsBeforeFork() {
        List<StepKind> k = plan(all(), true).kinds();
        assertEquals(STEP_STOP, k.get(k.indexOf(STEP_SYNC) + 1), k::toString);
        assertTrue(k.indexOf(STEP_STOP) < k.indexOf(STEP_PID_INIT), k::toString);
        List<StepKind> bare = plan(Isolation.none(), true).kinds();
        assertEquals(STEP_STOP, bare.get(bare.indexOf(STEP_NO_NEW_PRIVS) - 1), "without isolation the stop is "
                + "right before the filters, as before: " + bare);
    }

    @Test
    @DisplayName("Landlock comes after NO_NEW_PRIVS and before the seccomp filters")
    void landlockAfterNoNewPrivs() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.sandbox.isolation.Landlock.abi() > 0, "no Landlock here");
        List<StepKind> k = plan(Isolation.none().fsMode("readonly", null), false).kinds();
        assertTrue(k.indexOf(STEP_NO_NEW_PRIVS) < k.indexOf(STEP_LANDLOCK_RESTRICT), k::toString);
        assertTrue(k.indexOf(STEP_LANDLOCK_RESTRICT) < k.indexOf(STEP_SECCOMP_FILTER), k::toString);
    }

    @Test
    @DisplayName("every step kind has a sentence of its own when it fails")
    void everyStepHasAMessage() {
        for (StepKind s : StepKind.values()) {
            String m = LaunchFailure.message(s, dev.sandbox.jna.Errno.EPERM, "prog", "Operation not permitted", "/x");
            assertFalse(m.isBlank(), s.name());
            assertEquals(s == STEP_EXEC ? 126 : 125, LaunchFailure.exitCode(s, dev.sandbox.jna.Errno.EPERM), s.name());
        }
        assertTrue(LaunchFailure.message(STEP_UNSHARE, dev.sandbox.jna.Errno.EPERM, "p", "Operation not permitted",
                "user")
                .contains("user.max_user_namespaces"));
    }

    @Test
    @DisplayName("the cgroup trees to make read-only are read from mountinfo, escapes decoded")
    void cgroupMountsFromMountinfo() {
        String info = "22 1 0:21 / / rw,relatime - ext4 /dev/vda rw\n"
                + "30 22 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
                + "31 30 0:27 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
                + "32 30 0:28 / /sys/fs/cgroup/un\\040ified rw shared:5 - cgroup2 cgroup2 rw\n"
                + "33 22 0:29 / /mnt/cgroup-like rw - tmpfs cgroup rw\n";
        assertEquals(List.of("/sys/fs/cgroup/pids", "/sys/fs/cgroup/un ified"), IsolationSteps.cgroupMounts(info));
    }
}

package dev.sandbox.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyLoader;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What libseccomp makes of a policy, read back as pseudo filter code and as BPF. */
class FilterCompilerTest {
    private static Policy policy(String json) {
        return new PolicyLoader(w -> { }).parse(json.getBytes(StandardCharsets.UTF_8), "t.json");
    }

    @Test
    @DisplayName("an allowlist allows exactly its syscalls, kills the rest, and kills foreign arches")
    void allowlist() {
        String pfc = new FilterCompiler().pfc(policy("{\"mode\":\"allow\",\"syscalls\":[\"read\",\"getpid\"]}"));
        assertTrue(pfc.contains("if ($syscall == 0)\n    action ALLOW;"), pfc);
        assertTrue(pfc.contains("if ($syscall == 39)\n    action ALLOW;"), pfc);
        assertTrue(pfc.contains("  # default action\n  action KILL_PROCESS;"), pfc);
        assertTrue(pfc.contains("# invalid architecture action\naction KILL_PROCESS;"), pfc);
        assertTrue(!pfc.contains("arch x86 "), "i386 must not be in a filter that names no i386 syscall");
    }

    @Test
    @DisplayName("a blocklist gives its syscalls the action and allows the rest; foreign arches still die")
    void blocklist() {
        String pfc = new FilterCompiler().pfc(policy(
                "{\"mode\":\"block\",\"action\":\"errno\",\"errno\":\"EACCES\",\"syscalls\":[\"mkdir\"]}"));
        assertTrue(pfc.contains("if ($syscall == 83)\n    action ERRNO(13);"), pfc);
        assertTrue(pfc.contains("  # default action\n  action ALLOW;"), pfc);
        assertTrue(pfc.contains("# invalid architecture action\naction KILL_PROCESS;"), pfc);
    }

    @Test
    @DisplayName("i386 syscalls named in an allowlist get their own arch section, with i386 numbers")
    void i386Section() {
        String pfc = new FilterCompiler().pfc(policy("{\"mode\":\"allow\",\"syscalls\":[\"getpid\",\"i386:mkdir\"]}"));
        int i386 = pfc.indexOf("# filter for arch x86 (1073741827)");
        assertTrue(i386 > 0, pfc);
        assertTrue(pfc.indexOf("if ($syscall == 39)\n    action ALLOW;", i386) > 0, "i386 mkdir is 39: " + pfc);
        assertTrue(pfc.indexOf("\"getpid\"", i386) < 0, "x86_64 getpid must not leak into i386: " + pfc);
    }

    @Test
    @DisplayName("rules get their own action; clone3 gets ENOSYS; so does everything newer than known_up_to")
    void rulesAndPortability() {
        String pfc = new FilterCompiler().pfc(policy("{\"mode\":\"allow\",\"syscalls\":[\"read\"],"
                + "\"known_up_to\":\"statx\",\"rules\":[{\"syscalls\":[\"mkdir\"],\"action\":\"errno\"}]}"));
        assertTrue(pfc.contains("if ($syscall == 83)\n") && pfc.contains("action ERRNO(1);"), pfc);
        assertTrue(pfc.contains("# filter for syscall \"clone3\" (435)"), pfc);
        assertTrue(pfc.contains("if ($syscall == 333)"), "the first number after statx (332): " + pfc);
        assertTrue(!pfc.contains("if ($syscall == 332)"), pfc);
        String plain = new FilterCompiler().pfc(policy("{\"mode\":\"allow\",\"syscalls\":[\"read\",\"clone3\"]}"));
        assertTrue(!plain.contains("ERRNO(38)"), "no ENOSYS without known_up_to and with clone3 listed: " + plain);
    }

    @Test
    @DisplayName("the BPF checks only arch and number, so the kernel's allow cache keeps working")
    void numberOnly() {
        BpfProgram bpf = new FilterCompiler().compile(policy("{\"mode\":\"allow\",\"syscalls\":"
                + "[\"read\",\"write\",\"openat\",\"close\",\"mmap\",\"exit_group\",\"execve\"]}"));
        assertEquals(0, bpf.bytes().length % BpfProgram.INSTRUCTION_SIZE);
        // struct seccomp_data: nr at 0, arch at 4, instruction_pointer at 8, args from 16
        for (int i = 0; i < bpf.instructions(); i++) {
            int code = (bpf.bytes()[i * 8] & 0xff) | (bpf.bytes()[i * 8 + 1] & 0xff) << 8;
            int k = (bpf.bytes()[i * 8 + 4] & 0xff) | (bpf.bytes()[i * 8 + 5] & 0xff) << 8;
            if (code == 0x20) { // BPF_LD | BPF_W | BPF_ABS
                assertTrue(k == 0 || k == 4, "instruction " + i + " loads seccomp_data offset " + k);
            }
        }
        assertTrue(bpf.instructions() < 40, "7 syscalls should not need " + bpf.instructions() + " instructions");
    }

    @Test
    @DisplayName("the highest number a policy may name is one rule, not a walk through every number below it")
    void highestNumber() {
        Policy p = policy("{\"mode\":\"block\",\"action\":\"errno\",\"syscalls\":[\"mkdir\",\"1073741823\"],"
                + "\"rules\":[{\"syscalls\":[\"10000000\"],\"action\":\"errno\",\"errno\":\"EACCES\"}]}");
        FilterRecipe r = new FilterCompiler().recipe(p);
        java.util.List<Integer> ruled = new java.util.ArrayList<>();
        for (FilterRecipe.Op op : r.ops()) {
            if (op instanceof FilterRecipe.Rule rule) {
                ruled.add(rule.nr());
            }
        }
        assertEquals(java.util.List.of(83, 10000000, 1073741823), ruled);
        String pfc = new FilterCompiler().pfc(p);
        assertTrue(pfc.contains("if ($syscall == 1073741823)\n    action ERRNO(1);"), pfc);
        assertTrue(pfc.contains("if ($syscall == 10000000)\n    action ERRNO(13);"), pfc);
    }
}

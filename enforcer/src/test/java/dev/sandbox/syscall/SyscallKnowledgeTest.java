package dev.sandbox.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.testing.Probes;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SyscallKnowledgeTest {
    private static final Set<String> CATEGORIES = Set.of("file", "process", "memory", "network", "ipc", "signals",
            "time", "system", "security");

    @Test
    @DisplayName("every x86_64 syscall libseccomp knows has an entry with a category, a risk and a description")
    void complete() {
        for (String name : SyscallNames.all(Arch.X86_64)) {
            assertTrue(SyscallKnowledge.has(name), name + " has no entry");
            SyscallKnowledge.Entry e = SyscallKnowledge.of(name);
            assertTrue(CATEGORIES.contains(e.category()), name + ": " + e.category());
            assertFalse(e.description().isBlank(), name);
        }
    }

    @Test
    @DisplayName("the dangerous syscalls are marked high risk, the learning ceiling's among them")
    void dangerous() {
        for (String name : List.of("ptrace", "process_vm_writev", "bpf", "perf_event_open", "mount", "umount2",
                "pivot_root", "init_module", "finit_module", "kexec_load", "kexec_file_load", "keyctl", "add_key",
                "unshare", "setns", "userfaultfd", "io_uring_setup", "io_uring_enter", "open_by_handle_at",
                "personality")) {
            assertEquals(SyscallKnowledge.Risk.HIGH, SyscallKnowledge.of(name).risk(), name);
        }
        for (SyscallRef s : new PolicyLoader(w -> { }).load(Probes.root().resolve("policies/ceiling.json"))
                .syscalls()) {
            assertEquals(SyscallKnowledge.Risk.HIGH, SyscallKnowledge.of(s.name()).risk(), s.name());
        }
        assertEquals(SyscallKnowledge.Risk.LOW, SyscallKnowledge.of("read").risk());
    }
}

package dev.sandbox.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sandbox.jna.LayoutTest;
import dev.sandbox.trace.jna.Ptrace;
import dev.sandbox.trace.jna.TraceeMemory;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The ptrace constants and the ptrace_syscall_info offsets Ptrace hard-codes, against the C headers. */
class PtraceLayoutTest {
    @Test
    @DisplayName("ptrace requests, options, events and struct offsets match <sys/ptrace.h>")
    void layout() throws Exception {
        Map<String, Long> c = LayoutTest.layout();
        assertEquals(c.get("PTRACE_SEIZE"), (long) Ptrace.PTRACE_SEIZE);
        assertEquals(c.get("PTRACE_INTERRUPT"), (long) Ptrace.PTRACE_INTERRUPT);
        assertEquals(c.get("PTRACE_LISTEN"), (long) Ptrace.PTRACE_LISTEN);
        assertEquals(c.get("PTRACE_SYSCALL"), (long) Ptrace.PTRACE_SYSCALL);
        assertEquals(c.get("PTRACE_CONT"), (long) Ptrace.PTRACE_CONT);
        assertEquals(c.get("PTRACE_GETEVENTMSG"), (long) Ptrace.PTRACE_GETEVENTMSG);
        assertEquals(c.get("PTRACE_GET_SYSCALL_INFO"), (long) Ptrace.PTRACE_GET_SYSCALL_INFO);
        assertEquals(c.get("PTRACE_POKEUSER"), (long) Ptrace.PTRACE_POKEUSER);
        assertEquals(c.get("PTRACE_PEEKUSER"), (long) Ptrace.PTRACE_PEEKUSER);
        assertEquals(c.get("PTRACE_O_TRACESYSGOOD"), (long) Ptrace.PTRACE_O_TRACESYSGOOD);
        assertEquals(c.get("PTRACE_O_TRACEFORK"), (long) Ptrace.PTRACE_O_TRACEFORK);
        assertEquals(c.get("PTRACE_O_TRACEVFORK"), (long) Ptrace.PTRACE_O_TRACEVFORK);
        assertEquals(c.get("PTRACE_O_TRACECLONE"), (long) Ptrace.PTRACE_O_TRACECLONE);
        assertEquals(c.get("PTRACE_O_TRACEEXEC"), (long) Ptrace.PTRACE_O_TRACEEXEC);
        assertEquals(c.get("PTRACE_O_TRACEEXIT"), (long) Ptrace.PTRACE_O_TRACEEXIT);
        assertEquals(c.get("PTRACE_O_TRACESECCOMP"), (long) Ptrace.PTRACE_O_TRACESECCOMP);
        assertEquals(c.get("PTRACE_O_EXITKILL"), (long) Ptrace.PTRACE_O_EXITKILL);
        assertEquals(c.get("PTRACE_EVENT_FORK"), (long) Ptrace.PTRACE_EVENT_FORK);
        assertEquals(c.get("PTRACE_EVENT_VFORK"), (long) Ptrace.PTRACE_EVENT_VFORK);
        assertEquals(c.get("PTRACE_EVENT_CLONE"), (long) Ptrace.PTRACE_EVENT_CLONE);
        assertEquals(c.get("PTRACE_EVENT_EXEC"), (long) Ptrace.PTRACE_EVENT_EXEC);
        assertEquals(c.get("PTRACE_EVENT_EXIT"), (long) Ptrace.PTRACE_EVENT_EXIT);
        assertEquals(c.get("PTRACE_EVENT_SECCOMP"), (long) Ptrace.PTRACE_EVENT_SECCOMP);
        assertEquals(c.get("PTRACE_EVENT_STOP"), (long) Ptrace.PTRACE_EVENT_STOP);
        assertEquals(c.get("sizeof_ptrace_syscall_info"), (long) Ptrace.SIZEOF_SYSCALL_INFO);
        assertEquals(c.get("offsetof_ptrace_syscall_info_op"), (long) Ptrace.INFO_OP);
        assertEquals(c.get("offsetof_ptrace_syscall_info_arch"), (long) Ptrace.INFO_ARCH);
        assertEquals(c.get("offsetof_ptrace_syscall_info_entry_nr"), (long) Ptrace.INFO_NR);
        assertEquals(c.get("offsetof_ptrace_syscall_info_seccomp_nr"), (long) Ptrace.INFO_NR);
        assertEquals(c.get("offsetof_ptrace_syscall_info_entry_args"), (long) Ptrace.INFO_ARGS);
        assertEquals(c.get("offsetof_ptrace_syscall_info_seccomp_args"), (long) Ptrace.INFO_ARGS);
        assertEquals(c.get("offsetof_ptrace_syscall_info_exit_rval"), (long) Ptrace.INFO_RVAL);
        assertEquals(c.get("offsetof_ptrace_syscall_info_exit_is_error"), (long) Ptrace.INFO_IS_ERROR);
        assertEquals(c.get("ORIG_RAX_OFFSET"), Ptrace.ORIG_RAX);
        assertEquals(c.get("RAX_OFFSET"), Ptrace.RAX);
        assertEquals(c.get("RDI_OFFSET"), Ptrace.RDI);
        assertEquals(c.get("RBX_OFFSET"), Ptrace.RBX);
        assertEquals(c.get("PR_SET_DUMPABLE"), (long) Ptrace.PR_SET_DUMPABLE);
        assertEquals(c.get("sizeof_cpu_set_t"), (long) Ptrace.SIZEOF_CPU_SET);
        assertEquals(c.get("sizeof_iovec"), (long) TraceeMemory.SIZEOF_IOVEC);
        assertEquals(c.get("offsetof_iovec_iov_base"), (long) TraceeMemory.IOVEC_BASE);
        assertEquals(c.get("offsetof_iovec_iov_len"), (long) TraceeMemory.IOVEC_LEN);
        assertEquals(c.get("offsetof_ptrace_syscall_info_instruction_pointer"), (long) Ptrace.INFO_IP);
    }
}

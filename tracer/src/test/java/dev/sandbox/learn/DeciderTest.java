package dev.sandbox.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.prompt.Prompter;
import dev.sandbox.syscall.Arch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The decision chain without a kernel: base policy, then remembered answers, then --on-unknown / the person. */
class DeciderTest {
    private static final SyscallRef OPENAT = new SyscallRef(Arch.X86_64, "openat");
    private static final SyscallRef MKDIR = new SyscallRef(Arch.X86_64, "mkdir");
    private static final SyscallRef GETPID = new SyscallRef(Arch.X86_64, "getpid");
    private static final SyscallRef I386_MKDIR = new SyscallRef(Arch.I386, "mkdir");

    /** A person who answers from a script, and counts the questions. */
    static final class Scripted implements Prompter {
        final Deque<Answer> answers = new ArrayDeque<>();
        final List<Question> asked = new ArrayList<>();

        Scripted(Answer... a) {
            answers.addAll(List.of(a));
        }

        @Override
        public Answer ask(Question q) {
            asked.add(q);
            return answers.poll();
        }

        @Override
        public void cancel() { }
    }

    private static Policy policy(String json) {
        return new PolicyLoader(w -> { }).parse(json.getBytes(StandardCharsets.UTF_8), "base.json");
    }

    /** A caller: process {@code tgid} running {@code exe}. */
    record Caller(int tgid, String executable, SyscallRef call) implements Decider.Caller {
        @Override
        public Prompter.Question question() {
            return new Prompter.Question(call, 0, tgid, tgid, executable, call.name() + "()", Duration.ofSeconds(1));
        }
    }

    private static Decision decide(Decider d, SyscallRef s) {
        return d.decide(s, new Caller(1, "/bin/x", s));
    }

    @Test
    @DisplayName("the base allowlist answers first; the person is asked only about the rest")
    void baseFirst() {
        Scripted person = new Scripted(Prompter.Answer.BLOCK_ONCE);
        Decider d = new Decider(policy("{\"mode\":\"allow\",\"syscalls\":[\"openat\"]}"), OnUnknown.ASK, person,
                s -> { });
        assertEquals(Decision.of(Verdict.ALLOW, Source.BASE_POLICY), decide(d, OPENAT));
        assertEquals(Decision.of(Verdict.BLOCK, Source.PERSON), decide(d, MKDIR));
        assertEquals(1, person.asked.size());
    }

    @Test
    @DisplayName("a block-mode base refuses its syscalls and covers every other x86_64 syscall")
    void blockBase() {
        Decider d = new Decider(policy("{\"mode\":\"block\",\"syscalls\":[\"mkdir\"]}"), OnUnknown.ASK, null, s -> { });
        assertEquals(Decision.of(Verdict.BLOCK, Source.BASE_POLICY), decide(d, MKDIR));
        assertEquals(Decision.of(Verdict.ALLOW, Source.BASE_POLICY), decide(d, GETPID));
    }

    @Test
    @DisplayName("'always' answers are remembered; 'once' answers are asked again")
    void memory() {
        Scripted person = new Scripted(Prompter.Answer.ALLOW_ALWAYS, Prompter.Answer.ALLOW_ONCE,
                Prompter.Answer.BLOCK_ONCE);
        Decider d = new Decider(null, OnUnknown.ASK, person, s -> { });
        assertEquals(new Decision(Verdict.ALLOW, Source.PERSON, Scope.SESSION), decide(d, MKDIR));
        assertEquals(new Decision(Verdict.ALLOW, Source.SESSION, Scope.SESSION), decide(d, MKDIR));
        assertEquals(Decision.of(Verdict.ALLOW, Source.PERSON), decide(d, GETPID));
        assertEquals(Decision.of(Verdict.BLOCK, Source.PERSON), decide(d, GETPID));
        assertEquals(3, person.asked.size());
    }

    @Test
    @DisplayName("'this executable' covers every caller running that binary and no other")
    void executableScope() {
        Scripted person = new Scripted(Prompter.Answer.ALLOW_EXECUTABLE, Prompter.Answer.BLOCK_ONCE);
        Decider d = new Decider(null, OnUnknown.ASK, person, s -> { });
        assertEquals(new Decision(Verdict.ALLOW, Source.PERSON, Scope.EXECUTABLE),
                d.decide(MKDIR, new Caller(10, "/bin/a", MKDIR)));
        for (int tgid = 11; tgid < 19; tgid++) {
            assertEquals(new Decision(Verdict.ALLOW, Source.SESSION, Scope.EXECUTABLE),
                    d.decide(MKDIR, new Caller(tgid, "/bin/a", MKDIR)));
        }
        assertEquals(Decision.of(Verdict.BLOCK, Source.PERSON), d.decide(MKDIR, new Caller(10, "/bin/b", MKDIR)));
        assertEquals(2, person.asked.size());
    }

    @Test
    @DisplayName("'this process' covers that process only; the narrowest remembered answer wins")
    void processScope() {
        Scripted person = new Scripted(Prompter.Answer.BLOCK_PROCESS, Prompter.Answer.ALLOW_ALWAYS);
        Decider d = new Decider(null, OnUnknown.ASK, person, s -> { });
        d.decide(MKDIR, new Caller(10, "/bin/a", MKDIR));
        assertEquals(new Decision(Verdict.BLOCK, Source.SESSION, Scope.PROCESS),
                d.decide(MKDIR, new Caller(10, "/bin/a", MKDIR)));
        assertEquals(new Decision(Verdict.ALLOW, Source.PERSON, Scope.SESSION),
                d.decide(MKDIR, new Caller(11, "/bin/a", MKDIR)));
        assertEquals(new Decision(Verdict.BLOCK, Source.SESSION, Scope.PROCESS),
                d.decide(MKDIR, new Caller(10, "/bin/a", MKDIR)));
    }

    @Test
    @DisplayName("the ceiling refuses even what the base and --on-unknown allow, and says so once")
    void ceiling() {
        Policy ceiling = policy("{\"mode\":\"block\",\"syscalls\":[\"ptrace\"]}");
        List<String> notices = new ArrayList<>();
        SyscallRef ptrace = new SyscallRef(Arch.X86_64, "ptrace");
        Decider d = new Decider(policy("{\"mode\":\"allow\",\"syscalls\":[\"ptrace\"]}"), ceiling, OnUnknown.ALLOW,
                null, notices::add);
        assertEquals(new Decision(Verdict.BLOCK, Source.CEILING, Scope.SESSION), decide(d, ptrace));
        assertEquals(Verdict.BLOCK, decide(d, ptrace).verdict());
        assertEquals(1, notices.size());
        assertEquals(Verdict.ALLOW, decide(d, MKDIR).verdict());
    }

    @Test
    @DisplayName("no answer in time blocks; kill kills")
    void timeoutAndKill() {
        Decider d = new Decider(null, OnUnknown.ASK, new Scripted(Prompter.Answer.TIMEOUT, Prompter.Answer.KILL),
                s -> { });
        assertEquals(Decision.of(Verdict.BLOCK, Source.TIMEOUT), decide(d, MKDIR));
        assertEquals(Decision.of(Verdict.KILL, Source.PERSON), decide(d, MKDIR));
    }

    @Test
    @DisplayName("--on-unknown allow|block|kill never asks")
    void onUnknown() {
        assertEquals(Verdict.ALLOW, decide(new Decider(null, OnUnknown.ALLOW, null, s -> { }), MKDIR).verdict());
        assertEquals(Verdict.BLOCK, decide(new Decider(null, OnUnknown.BLOCK, null, s -> { }), MKDIR).verdict());
        assertEquals(Verdict.KILL, decide(new Decider(null, OnUnknown.KILL, null, s -> { }), MKDIR).verdict());
    }

    @Test
    @DisplayName("without a terminal, ask blocks and says so once")
    void noTerminal() {
        List<String> notices = new ArrayList<>();
        Decider d = new Decider(null, OnUnknown.ASK, null, notices::add);
        assertEquals(Decision.of(Verdict.BLOCK, Source.NO_TERMINAL), decide(d, MKDIR));
        assertEquals(Decision.of(Verdict.BLOCK, Source.NO_TERMINAL), decide(d, GETPID));
        assertEquals(1, notices.size());
        assertNotNull(notices.get(0));
    }

    @Test
    @DisplayName("an i386 mkdir is not covered by an x86_64 allowance of the same number (getpid) or name")
    void i386() {
        Scripted person = new Scripted(Prompter.Answer.BLOCK_ONCE);
        Decider d = new Decider(policy("{\"mode\":\"allow\",\"syscalls\":[\"getpid\",\"mkdir\"]}"), OnUnknown.ASK,
                person, s -> { });
        assertEquals(Decision.of(Verdict.BLOCK, Source.PERSON), decide(d, I386_MKDIR));
        assertEquals(I386_MKDIR, person.asked.get(0).syscall());
        Decider named = new Decider(policy("{\"mode\":\"allow\",\"syscalls\":[\"i386:mkdir\"]}"), OnUnknown.BLOCK,
                null, s -> { });
        assertEquals(Verdict.ALLOW, decide(named, I386_MKDIR).verdict());
    }

    @Test
    @DisplayName("x32 calls are killed whatever the base and --on-unknown say, as the enforcer kills them")
    void x32() {
        Decider d = new Decider(null, OnUnknown.ALLOW, null, s -> { });
        assertEquals(Decision.of(Verdict.KILL, Source.ABI), decide(d, new SyscallRef(Arch.X32, "getpid")));
    }

    @Test
    @DisplayName("the ceiling applies to a syscall by what it is: i386 ptrace and io_uring_setup are refused too")
    void ceilingEveryEntry() {
        Policy ceiling = policy("{\"mode\":\"block\",\"syscalls\":[\"ptrace\",\"io_uring_setup\"]}");
        List<String> notices = new ArrayList<>();
        Decider d = new Decider(null, ceiling, OnUnknown.ALLOW, null, notices::add);
        assertEquals(Source.CEILING, decide(d, new SyscallRef(Arch.I386, "ptrace")).source());
        assertEquals(Source.CEILING, decide(d, new SyscallRef(Arch.I386, "io_uring_setup")).source());
        assertEquals(Verdict.ALLOW, decide(d, I386_MKDIR).verdict());
        assertEquals("i386:ptrace is above the ceiling (base.json): refused with EPERM, and it will not be allowed "
                + "by the saved policy", notices.get(0));
    }

    @Test
    @DisplayName("the base is asked through the one function: its rules count, with their errno; ENOSYS does not cover")
    void baseRules() {
        Scripted person = new Scripted(Prompter.Answer.ALLOW_ONCE);
        Decider d = new Decider(policy("{\"mode\":\"allow\",\"syscalls\":[\"openat\"],\"rules\":[{\"syscalls\":"
                + "[\"mkdir\"],\"action\":\"errno\",\"errno\":\"EROFS\"},{\"syscalls\":[\"getpid\"],\"action\":"
                + "\"log\"}]}"), OnUnknown.ASK, person, s -> { });
        assertEquals(new Decision(Verdict.BLOCK, Source.BASE_POLICY, Scope.ONCE, 30), decide(d, MKDIR));
        assertEquals(Decision.of(Verdict.ALLOW, Source.BASE_POLICY), decide(d, GETPID));
        assertEquals(Decision.of(Verdict.ALLOW, Source.PERSON), decide(d, new SyscallRef(Arch.X86_64, "clone3")),
                "clone3's ENOSYS is portability, not a decision: it is asked");
        assertEquals(1, person.asked.size());
    }

    @Test
    @DisplayName("numbers that are no syscall are killed like x32, without asking")
    void notSyscalls() {
        Decider d = new Decider(null, null, OnUnknown.ALLOW, null, s -> { });
        assertEquals(Source.ABI, decide(d, SyscallRef.of(Arch.X86_64, 0x80000000)).source());
        assertEquals(Source.ABI, decide(d, SyscallRef.of(Arch.X32, 39)).source());
        assertEquals(Verdict.ALLOW, decide(d, SyscallRef.of(Arch.X86_64, 1000)).verdict());
    }
}

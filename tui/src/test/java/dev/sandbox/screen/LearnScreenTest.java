package dev.sandbox.screen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.virtual.DefaultVirtualTerminal;
import dev.sandbox.learn.Decision;
import dev.sandbox.trace.Syscall;
import dev.sandbox.learn.Source;
import dev.sandbox.learn.Verdict;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.prompt.Prompter;
import dev.sandbox.syscall.Arch;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The learning screen on lanterna's virtual terminal: the feed, the counters, the modal and its keys. */
class LearnScreenTest {
    private static String text(DefaultVirtualTerminal t) {
        StringBuilder b = new StringBuilder();
        TerminalSize size = t.getTerminalSize();
        for (int row = 0; row < size.getRows(); row++) {
            for (int col = 0; col < size.getColumns(); col++) {
                b.append(t.getCharacter(col, row).getCharacterString());
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static String await(DefaultVirtualTerminal t, Predicate<String> ready) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String s = text(t);
        while (!ready.test(s)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the screen never showed what was expected:\n" + s);
            }
            Thread.sleep(20);
            s = text(t);
        }
        return s;
    }

    @Test
    @DisplayName("the feed and counters show decided syscalls; the modal shows the call, risk, countdown and keys")
    void feedAndModal() throws Exception {
        DefaultVirtualTerminal terminal = new DefaultVirtualTerminal(new TerminalSize(120, 30));
        TerminalScreen screen = new TerminalScreen(terminal);
        screen.startScreen();
        try (LearnScreen ls = new LearnScreen(screen, "/bin/probe arg", sig -> { })) {
            ls.syscall(Syscall.decoded(42, "/bin/probe", SyscallRef.of(Arch.X86_64, 257), 257,
                    "openat(AT_FDCWD, \"/etc/hosts\", O_RDONLY)"), Decision.of(Verdict.ALLOW, Source.BASE_POLICY));
            ls.syscall(Syscall.decoded(42, "/bin/probe", SyscallRef.of(Arch.X86_64, 101), 101,
                    "ptrace(0, 0, NULL, NULL)"), Decision.of(Verdict.BLOCK, Source.CEILING));
            ls.tasks(42, 2, 3);
            // a frame reaches the virtual terminal piece by piece: wait for its last line
            String s = await(terminal, x -> x.contains("ptrace(") && x.contains("f feed filter  q end the session"));
            assertTrue(s.contains("sandbox learning: /bin/probe arg"), s);
            assertTrue(s.contains("pid 42: 2 processes, 3 tasks  syscalls 2  allowed 1  blocked 1  questions 0  feed: all"), s);
            assertTrue(s.contains(" 42 openat(AT_FDCWD, \"/etc/hosts\", O_RDONLY) = ALLOWED (base policy)"), s);

            Prompter.Question q = new Prompter.Question(new SyscallRef(Arch.X86_64, "keyctl"), 250, 42, 42,
                    "/bin/probe", "keyctl(0x270f, 0x0, 0x0)", Duration.ofSeconds(30));
            CompletableFuture<Prompter.Answer> answer = CompletableFuture.supplyAsync(() -> ls.ask(q));
            s = await(terminal, x -> x.contains("unknown syscall keyctl (250) from pid 42")
                    && x.contains("E this executable     k kill") && x.contains("f feed filter"));
            assertTrue(s.contains("security, high risk: manipulate the kernel keyring"), s);
            assertTrue(s.matches("(?s).*\\[#+ *\\] (30|29)s.*"), s);
            assertTrue(s.contains("allow: y always  o once  p this process  e this executable"), s);
            terminal.addInput(new KeyStroke('\n', false, false));
            terminal.addInput(new KeyStroke('E', false, false));
            assertEquals(Prompter.Answer.BLOCK_EXECUTABLE, answer.get(10, TimeUnit.SECONDS));
            await(terminal, x -> !x.contains("unknown syscall keyctl"));
        } finally {
            screen.stopScreen();
        }
    }

    @Test
    @DisplayName("a question nobody answers times out into a block")
    void timeout() throws Exception {
        DefaultVirtualTerminal terminal = new DefaultVirtualTerminal(new TerminalSize(100, 24));
        TerminalScreen screen = new TerminalScreen(terminal);
        screen.startScreen();
        try (LearnScreen ls = new LearnScreen(screen, "/bin/x", sig -> { })) {
            long start = System.nanoTime();
            Prompter.Answer a = ls.ask(new Prompter.Question(new SyscallRef(Arch.X86_64, "mkdir"), 83, 1, 1, "/bin/x",
                    "mkdir(\"d\", 0700)", Duration.ofSeconds(1)));
            assertEquals(Prompter.Answer.TIMEOUT, a);
            assertTrue((System.nanoTime() - start) / 1e9 < 2.5);
        } finally {
            screen.stopScreen();
        }
    }
}

package dev.sandbox.screen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.screen.Screen;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.Terminal;
import com.googlecode.lanterna.terminal.virtual.DefaultVirtualTerminal;
import com.googlecode.lanterna.terminal.virtual.VirtualTerminalListener;
import dev.sandbox.learn.Decision;
import dev.sandbox.learn.Source;
import dev.sandbox.learn.Verdict;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.prompt.Prompter;
import dev.sandbox.syscall.Arch;
import dev.sandbox.trace.Syscall;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The question screen on lanterna's virtual terminal: layout at 80x24 and 200x60, keys, countdown, ending. */
class LearnScreenTest {
    /** A question's display on a virtual terminal; keys are queued by the test. */
    private static final class Virtual implements LearnScreen.Display {
        final DefaultVirtualTerminal terminal;
        final TerminalScreen screen;
        final LinkedBlockingQueue<KeyDecoder.Key> keys = new LinkedBlockingQueue<>();
        final AtomicInteger opened = new AtomicInteger();
        volatile boolean closed;
        /** The screen as of its last flush: a whole frame, never one the UI thread is still drawing. */
        volatile String frame;

        Virtual(int cols, int rows) throws Exception {
            terminal = new DefaultVirtualTerminal(new TerminalSize(cols, rows));
            terminal.addVirtualTerminalListener(new VirtualTerminalListener() {
                @Override
                public void onFlush() {
                    frame = text();
                }

                @Override
                public void onBell() {}

                @Override
                public void onClose() {}

                @Override
                public void onResized(Terminal t, TerminalSize newSize) {}
            });
            screen = new TerminalScreen(terminal);
            screen.startScreen();
            frame = text();
        }

        LearnScreen.Opener opener() {
            return groups -> {
                opened.incrementAndGet();
                closed = false;
                return this;
            };
        }

        @Override
        public Screen screen() {
            return screen;
        }

        @Override
        public KeyDecoder.Key next(int timeoutMillis) {
            try {
                return keys.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return null;
            }
        }

        @Override
        public void close() {
            closed = true;
        }

        void type(char c) {
            keys.add(KeyDecoder.Key.of(c));
        }

        String text() {
            StringBuilder b = new StringBuilder();
            TerminalSize size = terminal.getTerminalSize();
            for (int row = 0; row < size.getRows(); row++) {
                b.append(row(row)).append('\n');
            }
            return b.toString();
        }

        String row(int row) {
            StringBuilder b = new StringBuilder();
            for (int col = 0; col < terminal.getTerminalSize().getColumns(); col++) {
                b.append(terminal.getCharacter(col, row).getCharacterString());
            }
            return b.toString();
        }

        String await(Predicate<String> ready) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            String s = frame;
            while (!ready.test(s)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the screen never showed what was expected:\n" + s);
                }
                Thread.sleep(20);
                s = frame;
            }
            return s;
        }
    }

    private static Prompter.Question question(String name, int nr, String decoded, int seconds) {
        return new Prompter.Question(new SyscallRef(Arch.X86_64, name), nr, 4242, 4242, "/usr/bin/probe", decoded,
                Duration.ofSeconds(seconds));
    }

    private static void feed(LearnScreen ls, int n) {
        for (int i = 0; i < n; i++) {
            ls.syscall(Syscall.decoded(4242, "/usr/bin/probe", new SyscallRef(Arch.X86_64, "openat"), 257,
                    "openat(AT_FDCWD, \"/etc/file" + i + "\", O_RDONLY)"), Decision.of(Verdict.ALLOW, Source.BASE_POLICY));
        }
        ls.syscall(Syscall.decoded(4242, "/usr/bin/probe", new SyscallRef(Arch.X86_64, "mkdir"), 83,
                "mkdir(\"/tmp/x\", 0700)"), Decision.of(Verdict.BLOCK, Source.PERSON));
    }

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"80, 24", "200, 60"})
    @DisplayName("the question screen shows the header, the whole call and risk text, the countdown, the keys and the feed")
    void layout(int cols, int rows) throws Exception {
        Virtual v = new Virtual(cols, rows);
        LearnScreen ls = new LearnScreen(v.opener(), "/usr/bin/probe --flag", false, () -> { });
        feed(ls, 40);
        String longPath = "/very/long/directory/name/that/goes/on/" + "and-on/".repeat(12) + "end";
        CompletableFuture<Prompter.Answer> answer = CompletableFuture.supplyAsync(() -> ls.ask(
                question("ptrace", 101, "ptrace(PTRACE_ATTACH, 1, \"" + longPath + "\", NULL)", 30)));
        String s = v.await(x -> x.contains("Ctrl-C end it now") && x.contains("then blocked"));
        assertTrue(v.row(0).startsWith(" sandbox learning: /usr/bin/probe --flag"), s);
        // the tree is read from /proc: pid 4242 is not ours, so it is counted from itself, or is gone
        assertTrue(v.row(1).startsWith(" question 1 | pid 4242: "), s);
        assertTrue(v.row(1).contains(" | 41 syscalls: 40 allowed, 1 blocked"), s);
        assertTrue(v.row(2).contains("the program is stopped until you answer"), s);
        assertTrue(s.contains("unknown syscall ptrace (101) from pid 4242, /usr/bin/probe"), s);
        String flat = s.replaceAll("\\s+", "");
        assertTrue(flat.contains(("ptrace(PTRACE_ATTACH, 1, \"" + longPath + "\", NULL)").replaceAll("\\s+", "")),
                "the whole call, wrapped: " + s);
        assertTrue(flat.contains("process,highrisk:traceandcontrolanotherprocess:readandwriteitsmemoryandregisters;"
                + "escapesanysandboxwhosepeersitcanreach"), "the whole risk text, wrapped: " + s);
        assertTrue(s.matches("(?s).*\\[#+ *\\] (30|29) s, then blocked \\(EPERM\\).*"), s);
        assertTrue(s.contains("allow: y always  o once  p this process  e this executable"), s);
        assertTrue(s.contains("block: n once  b always  P this process  E this executable    k kill"), s);
        assertTrue(v.row(rows - 1).startsWith(" ? help   f feed   q end the session   Ctrl-C end it now"), s);
        assertTrue(s.contains("-- what the program did before (all syscalls"), s);
        // the newest feed line is the last one shown
        int last = rows - 2;
        while (v.row(last).isBlank()) {
            last--;
        }
        assertTrue(v.row(last).contains("4242 mkdir(\"/tmp/x\", 0700) = BLOCKED"), s);
        for (int r = 0; r < rows; r++) {
            assertTrue(v.row(r).length() == cols, "row " + r);
        }
        v.type('E');
        assertEquals(Prompter.Answer.BLOCK_EXECUTABLE, answer.get(10, TimeUnit.SECONDS));
        assertTrue(v.closed);
    }

    @Test
    @DisplayName("Enter, Esc and other keys are not answers and the screen says so; ? shows the keys; f filters")
    void keysThatDoNotAnswer() throws Exception {
        Virtual v = new Virtual(80, 24);
        LearnScreen ls = new LearnScreen(v.opener(), "/bin/x", false, () -> { });
        feed(ls, 3);
        CompletableFuture<Prompter.Answer> answer = CompletableFuture.supplyAsync(() -> ls.ask(
                question("mkdir", 83, "mkdir(\"d\", 0700)", 30)));
        v.await(x -> x.contains("Ctrl-C end it now"));
        v.keys.add(new KeyDecoder.Key(KeyDecoder.Kind.ENTER, '\r'));
        v.await(x -> x.contains("Enter is not an answer: y o p e allow, n b P E block, k kill, ? help"));
        v.keys.add(new KeyDecoder.Key(KeyDecoder.Kind.ESCAPE, 0x1b));
        v.await(x -> x.contains("Esc is not an answer"));
        v.type('x');
        v.await(x -> x.contains("x is not an answer"));
        v.type('?');
        String help = v.await(x -> x.contains("-- keys (? again: back to the feed)"));
        assertTrue(help.contains("b  fail it with EPERM from now on"), help);
        v.type('?');
        v.type('f');
        String filtered = v.await(x -> x.contains("(outside the base; f changes)"));
        assertFalse(filtered.contains("openat("), filtered);
        assertTrue(filtered.contains("mkdir(\"/tmp/x\", 0700) = BLOCKED"), filtered);
        assertFalse(answer.isDone());
        v.type('o');
        assertEquals(Prompter.Answer.ALLOW_ONCE, answer.get(10, TimeUnit.SECONDS));
    }

    @Test
    @DisplayName("q asks first, then ends the session; Ctrl-C ends it at once; later questions are not asked")
    void ending() throws Exception {
        Virtual v = new Virtual(80, 24);
        AtomicInteger ended = new AtomicInteger();
        LearnScreen ls = new LearnScreen(v.opener(), "/bin/x", false, ended::incrementAndGet);
        CompletableFuture<Prompter.Answer> answer = CompletableFuture.supplyAsync(() -> ls.ask(
                question("mkdir", 83, "mkdir(\"d\", 0700)", 30)));
        v.await(x -> x.contains("Ctrl-C end it now"));
        v.type('q');
        v.await(x -> x.contains("end the session? the program is killed"));
        v.type('n'); // not an answer while confirming: it goes back
        v.await(x -> x.contains("the session goes on"));
        assertFalse(answer.isDone());
        assertEquals(0, ended.get());
        v.type('q');
        v.type('y');
        assertEquals(Prompter.Answer.CANCELLED, answer.get(10, TimeUnit.SECONDS));
        assertEquals(1, ended.get());
        assertEquals("the question about mkdir", ls.endedByPerson());
        assertEquals(Prompter.Answer.CANCELLED, ls.ask(question("rmdir", 84, "rmdir(\"d\")", 30)));
        assertEquals(1, v.opened.get());

        Virtual w = new Virtual(80, 24);
        LearnScreen other = new LearnScreen(w.opener(), "/bin/x", false, ended::incrementAndGet);
        CompletableFuture<Prompter.Answer> second = CompletableFuture.supplyAsync(() -> other.ask(
                question("mkdir", 83, "mkdir(\"d\", 0700)", 30)));
        w.await(x -> x.contains("Ctrl-C end it now"));
        w.keys.add(new KeyDecoder.Key(KeyDecoder.Kind.CTRL_C, 3));
        assertEquals(Prompter.Answer.CANCELLED, second.get(10, TimeUnit.SECONDS));
        assertEquals(2, ended.get());
    }

    @Test
    @DisplayName("a question nobody answers times out into a block; cancel ends an open one")
    void timeoutAndCancel() throws Exception {
        Virtual v = new Virtual(100, 24);
        LearnScreen ls = new LearnScreen(v.opener(), "/bin/x", true, () -> { });
        long start = System.nanoTime();
        assertEquals(Prompter.Answer.TIMEOUT, ls.ask(question("mkdir", 83, "mkdir(\"d\", 0700)", 1)));
        assertTrue((System.nanoTime() - start) / 1e9 < 5);
        assertTrue(v.closed);
        assertEquals("1 question, 0 stops (fast mode): 0 allowed, 0 blocked", ls.summary());
        CompletableFuture<Prompter.Answer> answer = CompletableFuture.supplyAsync(() -> ls.ask(
                question("mkdir", 83, "mkdir(\"d\", 0700)", 30)));
        v.await(x -> x.contains("question 2") && x.contains("nothing yet: in fast mode only syscalls outside"));
        ls.cancel();
        assertEquals(Prompter.Answer.CANCELLED, answer.get(10, TimeUnit.SECONDS));
        assertNull(ls.endedByPerson());
    }

    @Test
    @DisplayName("a terminal that cannot be had blocks the call and is reported")
    void unavailable() {
        LearnScreen ls = new LearnScreen(groups -> null, "/bin/x", false, () -> { });
        assertEquals(Prompter.Answer.TIMEOUT, ls.ask(question("mkdir", 83, "mkdir(\"d\", 0700)", 30)));
        assertTrue(ls.wasUnavailable());
    }

    @Test
    @DisplayName("any character in a command, path or feed line is drawn without breaking the screen")
    void anyBytes() throws Exception {
        StringBuilder all = new StringBuilder("\u001b(B\u001b=\u001b]0;title\u0007\ud800 lone \udc00 \u4e2d\u6587 \ud83d\ude00");
        for (int c = 0; c < 0x200; c++) {
            all.append((char) c);
        }
        String hostile = all.toString();
        for (int[] size : new int[][] {{80, 24}, {200, 60}, {20, 5}, {1, 1}}) {
            Virtual v = new Virtual(size[0], size[1]);
            LearnScreen.View view = new LearnScreen.View(hostile, hostile, 1, 1, 0, 1, false,
                    new Prompter.Question(new SyscallRef(Arch.X86_64, "mkdir"), 83, 1, 1, hostile, hostile,
                            Duration.ofSeconds(10)),
                    5_000_000_000L, hostile, false, LearnScreen.Filter.ALL,
                    List.of(new LearnScreen.Line(hostile, Verdict.ALLOW, true, false)));
            LearnScreen.draw(v.screen.newTextGraphics(), size[0], size[1], view);
            v.screen.refresh();
            if (size[0] >= 80) {
                assertTrue(v.text().contains("\\x1b(B\\x1b=\\x1b]0;title\\x07"), v.text());
            }
        }
    }
}

package dev.sandbox.screen;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.TextColor;
import com.googlecode.lanterna.graphics.TextGraphics;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.screen.Screen;
import com.sun.jna.LastErrorException;
import dev.sandbox.jna.LibC;
import dev.sandbox.learn.Decision;
import dev.sandbox.learn.Verdict;
import dev.sandbox.line.LinePrompter;
import dev.sandbox.prompt.Prompter;
import dev.sandbox.syscall.SyscallKnowledge;
import dev.sandbox.trace.Tracer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * {@code --ui screen}: the full-screen learning session. The tracer thread only queues (feed events, questions);
 * one UI thread drains the queues and draws at most {@link #FPS} frames a second, so a busy program is never slowed
 * by the terminal. Panes: a header (command, tasks, counters), the syscall feed (filter: all, unknown, blocked), the
 * program's own output (it runs on a pty), and a modal for each question with a countdown bar.
 */
public final class LearnScreen implements Prompter, Tracer.Feed, AutoCloseable {
    static final int FPS = 20;
    private static final int FEED_KEEP = 2000;
    private static final int OUTPUT_KEEP = 500;

    private enum Filter { ALL, UNKNOWN, BLOCKED }

    private record Line(String text, Verdict verdict, boolean unknown, boolean high) {}

    private record Question(Prompter.Question q, CompletableFuture<Answer> answer, long deadline) {}

    private final Screen screen;
    private final String command;
    private final IntConsumer quit;
    private final Pty pty;
    private final ConcurrentLinkedQueue<Line> incoming = new ConcurrentLinkedQueue<>();
    private final Deque<Line> feed = new ArrayDeque<>();
    private final Deque<String> output = new ArrayDeque<>();
    private final StringBuilder partial = new StringBuilder();
    private final AtomicLong seen = new AtomicLong();
    private final AtomicLong allowed = new AtomicLong();
    private final AtomicLong blocked = new AtomicLong();
    private final AtomicLong prompts = new AtomicLong();
    private volatile String tree = "starting";
    private volatile Question question;
    private volatile boolean confirmQuit;
    /** Tab switches the keyboard between the sandbox's keys and the program's terminal. */
    private volatile boolean programFocus;
    private volatile boolean running = true;
    private Filter filter = Filter.ALL;
    private final Thread ui;
    private final Thread reader;

    /**
     * @param quit called (with SIGTERM) when the person ends the session with q and confirms
     */
    public LearnScreen(Screen screen, String command, IntConsumer quit) {
        this.screen = screen;
        this.command = command;
        this.quit = quit;
        TerminalSize size = screen.getTerminalSize();
        this.pty = Pty.open(Math.max(4, size.getRows() / 3), Math.max(20, size.getColumns()));
        this.ui = new Thread(this::loop, "sandbox-screen");
        this.ui.setDaemon(true);
        this.reader = new Thread(this::readProgram, "sandbox-screen-pty");
        this.reader.setDaemon(true);
        ui.start();
        reader.start();
    }

    /** The fd the program gets as its terminal. */
    public int programTerminal() {
        return pty.slave;
    }

    // --- called on the tracer thread: queue only ---

    @Override
    public void syscall(dev.sandbox.trace.Syscall call, Decision d) {
        seen.incrementAndGet();
        (d.verdict() == Verdict.ALLOW ? allowed : blocked).incrementAndGet();
        boolean unknown = d.source() != dev.sandbox.learn.Source.BASE_POLICY;
        boolean high = SyscallKnowledge.of(call.ref().name()).risk() == SyscallKnowledge.Risk.HIGH;
        incoming.add(new Line(call.tid() + " " + call.text() + " = " + d.describe(), d.verdict(), unknown, high));
    }

    @Override
    public void tasks(int root, int processes, int threads) {
        tree = "pid " + root + ": " + processes + " process" + (processes == 1 ? "" : "es") + ", " + threads
                + " task" + (threads == 1 ? "" : "s");
    }

    @Override
    public Answer ask(Prompter.Question q) {
        prompts.incrementAndGet();
        long deadline = System.nanoTime() + q.timeout().toNanos();
        Question open = new Question(q, new CompletableFuture<>(), deadline);
        question = open;
        try {
            return open.answer().get(q.timeout().toMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return Answer.TIMEOUT;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Answer.CANCELLED;
        } catch (ExecutionException e) {
            return Answer.CANCELLED;
        } finally {
            question = null;
        }
    }

    @Override
    public void cancel() {
        Question open = question;
        if (open != null) {
            open.answer().complete(Answer.CANCELLED);
        }
    }

    // --- the UI thread ---

    private void loop() {
        long frame = 1_000_000_000L / FPS;
        while (running) {
            long start = System.nanoTime();
            try {
                KeyStroke k;
                while ((k = screen.pollInput()) != null) {
                    key(k);
                }
                Question open = question;
                if (open != null && System.nanoTime() > open.deadline()) {
                    open.answer().complete(Answer.TIMEOUT);
                }
                drain();
                draw();
            } catch (IOException e) {
                return;
            }
            long left = frame - (System.nanoTime() - start);
            if (left > 0) {
                try {
                    Thread.sleep(left / 1_000_000L, (int) (left % 1_000_000L));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void key(KeyStroke k) {
        Question open = question;
        Character c = k.getKeyType() == KeyType.Character ? k.getCharacter() : null;
        if (open != null) {
            Answer a = c == null ? null : LinePrompter.answer(c);
            if (a != null) {
                open.answer().complete(a);
            }
            return;
        }
        if (confirmQuit) {
            confirmQuit = false;
            if (c != null && c == 'y') {
                quit.accept(LibC.SIGTERM);
            }
            return;
        }
        if (k.getKeyType() == KeyType.Tab) {
            programFocus = !programFocus;
            return;
        }
        if (programFocus) {
            toProgram(k);
            return;
        }
        if (c == null) {
            return;
        }
        switch (c) {
            case 'f' -> filter = Filter.values()[(filter.ordinal() + 1) % Filter.values().length];
            case 'q' -> confirmQuit = true;
            default -> { }
        }
    }

    /** With the program pane focused, keys are typed into the program's terminal, as a terminal would send them. */
    private void toProgram(KeyStroke k) {
        String bytes = switch (k.getKeyType()) {
            case Character -> k.isCtrlDown() && Character.isLetter(k.getCharacter())
                    ? String.valueOf((char) (Character.toLowerCase(k.getCharacter()) - 'a' + 1))
                    : String.valueOf(k.getCharacter());
            case Enter -> "\r";
            case Backspace -> "\u007f";
            case Escape -> "\u001b";
            case ArrowUp -> "\u001b[A";
            case ArrowDown -> "\u001b[B";
            case ArrowRight -> "\u001b[C";
            case ArrowLeft -> "\u001b[D";
            default -> "";
        };
        if (!bytes.isEmpty()) {
            byte[] b = bytes.getBytes(StandardCharsets.UTF_8);
            try {
                LibC.write(pty.master, b, b.length);
            } catch (LastErrorException e) {
                // the program is gone
            }
        }
    }

    private void drain() {
        Line l;
        int n = 0;
        while ((l = incoming.poll()) != null && n++ < 100_000) {
            feed.addLast(l);
            if (feed.size() > FEED_KEEP) {
                feed.removeFirst();
            }
        }
    }

    private void draw() throws IOException {
        TerminalSize resized = screen.doResizeIfNecessary();
        if (resized != null) {
            pty.resize(Math.max(4, resized.getRows() / 3), Math.max(20, resized.getColumns()));
        }
        TerminalSize size = screen.getTerminalSize();
        int cols = size.getColumns();
        int rows = size.getRows();
        screen.clear();
        TextGraphics g = screen.newTextGraphics();
        g.enableModifiers(SGR.REVERSE);
        g.putString(0, 0, Rows.pad(" sandbox learning: " + command, cols));
        g.disableModifiers(SGR.REVERSE);
        g.putString(0, 1, Rows.pad(" " + tree + "  syscalls " + seen.get() + "  allowed " + allowed.get()
                + "  blocked " + blocked.get() + "  questions " + prompts.get() + "  feed: "
                + filter.name().toLowerCase(java.util.Locale.ROOT), cols));
        int outRows = Math.max(3, rows / 3);
        int feedTop = 2;
        int feedRows = Math.max(1, rows - feedTop - outRows - 2);
        Line[] lines = feed.stream().filter(this::shown).toArray(Line[]::new);
        int from = Math.max(0, lines.length - feedRows);
        for (int i = from; i < lines.length; i++) {
            Line l = lines[i];
            g.setForegroundColor(l.verdict() != Verdict.ALLOW ? TextColor.ANSI.RED
                    : l.high() ? TextColor.ANSI.YELLOW : l.unknown() ? TextColor.ANSI.CYAN : TextColor.ANSI.DEFAULT);
            g.putString(0, feedTop + i - from, Rows.pad(" " + l.text(), cols));
        }
        g.setForegroundColor(TextColor.ANSI.DEFAULT);
        int outTop = feedTop + feedRows;
        g.enableModifiers(SGR.BOLD);
        String title = programFocus ? "-- program (keys go here) " : "-- program output ";
        g.putString(0, outTop, Rows.pad(title + "-".repeat(Math.max(0, cols - title.length())), cols));
        g.disableModifiers(SGR.BOLD);
        String[] out;
        synchronized (output) {
            out = output.toArray(String[]::new);
        }
        int outFrom = Math.max(0, out.length - (outRows - 1));
        for (int i = outFrom; i < out.length; i++) {
            g.putString(0, outTop + 1 + i - outFrom, Rows.pad(out[i], cols));
        }
        g.enableModifiers(SGR.BOLD);
        g.putString(0, rows - 1, Rows.pad(confirmQuit ? "end the session? the program is killed and the policy saved "
                + "(with --save): y / any other key" : programFocus ? "typing into the program; Tab: back to the "
                + "sandbox's keys" : "f feed filter  q end the session  Tab type into the program", cols));
        g.disableModifiers(SGR.BOLD);
        Question open = question;
        if (open != null) {
            modal(g, open, cols, rows);
        }
        screen.refresh();
    }

    private boolean shown(Line l) {
        return switch (filter) {
            case ALL -> true;
            case UNKNOWN -> l.unknown();
            case BLOCKED -> l.verdict() != Verdict.ALLOW;
        };
    }

    private void modal(TextGraphics g, Question open, int cols, int rows) {
        Prompter.Question q = open.q();
        SyscallKnowledge.Entry kb = SyscallKnowledge.of(q.syscall().name());
        int w = Math.min(cols - 4, 100);
        int h = 11;
        int x = (cols - w) / 2;
        int y = Math.max(0, (rows - h) / 2);
        g.setBackgroundColor(TextColor.ANSI.BLUE);
        g.setForegroundColor(TextColor.ANSI.WHITE);
        for (int i = 0; i < h; i++) {
            g.putString(x, y + i, " ".repeat(w));
        }
        g.enableModifiers(SGR.BOLD);
        g.putString(x + 2, y, Rows.pad("unknown syscall " + q.syscall() + " (" + q.nr() + ") from pid " + q.pid(), w - 4));
        g.disableModifiers(SGR.BOLD);
        g.putString(x + 2, y + 2, Rows.pad(q.decoded(), w - 4));
        g.putString(x + 2, y + 3, Rows.pad(q.executable(), w - 4));
        if (kb.risk() == SyscallKnowledge.Risk.HIGH) {
            g.setForegroundColor(TextColor.ANSI.YELLOW);
        }
        g.putString(x + 2, y + 4, Rows.pad(kb.category() + ", " + kb.risk().label() + " risk: " + kb.description(), w - 4));
        g.setForegroundColor(TextColor.ANSI.WHITE);
        long total = q.timeout().toNanos();
        long left = Math.max(0, open.deadline() - System.nanoTime());
        int bar = (int) ((w - 14) * left / Math.max(1, total));
        g.putString(x + 2, y + 6, Rows.pad("[" + "#".repeat(bar) + " ".repeat(Math.max(0, w - 14 - bar)) + "] "
                + (left / 1_000_000_000L + 1) + "s", w - 4));
        g.putString(x + 2, y + 8, Rows.pad("allow: y always  o once  p this process  e this executable", w - 4));
        g.putString(x + 2, y + 9, Rows.pad("block: n once  b always  P this process  E this executable     k kill", w - 4));
        g.setBackgroundColor(TextColor.ANSI.DEFAULT);
        g.setForegroundColor(TextColor.ANSI.DEFAULT);
    }

    /** Copies the program's terminal output into the pane, one line at a time, without its escape sequences. */
    private void readProgram() {
        byte[] buf = new byte[8192];
        while (true) {
            long n;
            try {
                n = LibC.read(pty.master, buf, buf.length);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == dev.sandbox.jna.Errno.EINTR) {
                    continue;
                }
                return; // EIO: every slave is closed, the program is gone
            }
            if (n <= 0) {
                return;
            }
            String text = new String(buf, 0, (int) n, StandardCharsets.UTF_8).replaceAll("\u001b\\[[0-9;?]*[A-Za-z]", "");
            synchronized (output) {
                for (char c : text.toCharArray()) {
                    if (c == '\n') {
                        output.addLast(partial.toString());
                        partial.setLength(0);
                        if (output.size() > OUTPUT_KEEP) {
                            output.removeFirst();
                        }
                    } else if (c != '\r') {
                        partial.append(c == '\t' ? ' ' : c);
                    }
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        running = false;
        try {
            ui.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // the UI thread has stopped: this thread may draw the last frame
        drain();
        draw();
        pty.close();
    }

}

package dev.sandbox.screen;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.TextColor;
import com.googlecode.lanterna.graphics.TextGraphics;
import com.googlecode.lanterna.screen.Screen;
import dev.sandbox.learn.Decision;
import dev.sandbox.learn.Source;
import dev.sandbox.learn.Verdict;
import dev.sandbox.line.LinePrompter;
import dev.sandbox.prompt.Prompter;
import dev.sandbox.syscall.SyscallKnowledge;
import dev.sandbox.trace.Tracer;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code --ui screen}: the learner's full screen, shown only while a question is open.
 *
 * The program keeps the person's terminal for itself the rest of the time: its fds are the terminal, it draws there,
 * its output stays in the terminal's scrollback, and every key (Ctrl-C included) is its own. A question stops every
 * traced task anyway, so for that while the question borrows the terminal ({@link Tty}) and shows the header (the
 * traced tree, the counters), the call with what it is and its risk, a countdown, the keys, and what the program did
 * just before; then it gives the terminal back as it was. The tracer thread calls {@link #ask} and runs the whole
 * question on itself: between questions nothing of the sandbox runs on the terminal.
 */
public final class LearnScreen implements Prompter, Tracer.Feed {
    /** How a question reaches the person: the real terminal ({@link Tty}), or lanterna's virtual one in tests. */
    public interface Display extends AutoCloseable {
        Screen screen();

        /** The next key, or null after {@code timeoutMillis}. */
        KeyDecoder.Key next(int timeoutMillis);

        @Override
        void close();
    }

    /** Opens a display for one question; null when the terminal cannot be had. */
    public interface Opener {
        Display open(Set<Integer> programGroups);
    }

    private static final int FEED_KEEP = 500;
    private static final int FRAME_MS = 100;

    enum Filter { ALL, UNKNOWN, BLOCKED }

    record Line(String text, Verdict verdict, boolean unknown, boolean high) {}

    /** Everything one frame shows; {@link #draw} is a pure function of it. */
    record View(String command, String tree, long seen, long allowed, long blocked, long question, boolean fast,
            Prompter.Question q, long leftNanos, String status, boolean help, Filter filter, List<Line> feed) {}

    private final Opener opener;
    private final String command;
    private final boolean fast;
    private final Runnable endSession;
    private final Deque<Line> feed = new ArrayDeque<>();
    private final AtomicLong seen = new AtomicLong();
    private final AtomicLong allowed = new AtomicLong();
    private final AtomicLong blocked = new AtomicLong();
    private final AtomicLong questions = new AtomicLong();
    private volatile boolean cancelled;
    private volatile String endedAt;
    private volatile boolean unavailable;
    private Filter filter = Filter.ALL;

    /**
     * @param fast       the learner runs in fast mode: only syscalls outside the base allowlist reach the feed
     * @param endSession called on the tracer thread when the person ends the session (q, Ctrl-C) inside a question
     */
    public LearnScreen(Opener opener, String command, boolean fast, Runnable endSession) {
        this.opener = opener;
        this.command = command;
        this.fast = fast;
        this.endSession = endSession;
    }

    /** The screen on the person's terminal. */
    public static LearnScreen on(Tty tty, String command, boolean fast, Runnable endSession) {
        return new LearnScreen(tty::take, command, fast, endSession);
    }

    // --- the feed: called on the tracer thread for every decided syscall; it only counts and keeps a few lines ---

    @Override
    public void syscall(dev.sandbox.trace.Syscall call, Decision d) {
        seen.incrementAndGet();
        (d.verdict() == Verdict.ALLOW ? allowed : blocked).incrementAndGet();
        boolean unknown = d.source() != Source.BASE_POLICY;
        boolean high = SyscallKnowledge.of(call.ref().name()).risk() == SyscallKnowledge.Risk.HIGH;
        Line l = new Line(call.tid() + " " + call.text() + " = " + d.describe(), d.verdict(), unknown, high);
        synchronized (feed) {
            feed.addLast(l);
            if (feed.size() > FEED_KEEP) {
                feed.removeFirst();
            }
        }
    }

    @Override
    public void tasks(int root, int processes, int threads) {
        // the tree is read from /proc when a question opens: right in fast mode too
    }

    // --- questions ---

    @Override
    public Answer ask(Prompter.Question q) {
        long n = questions.incrementAndGet();
        if (cancelled) {
            return Answer.CANCELLED;
        }
        ProcTree tree = ProcTree.of(q.tgid());
        long deadline = System.nanoTime() + q.timeout().toNanos();
        Display d = opener.open(tree.groups());
        if (d == null) {
            unavailable = true;
            return Answer.TIMEOUT;
        }
        Session s = new Session(q, n, tree.describe());
        try (d) {
            while (true) {
                if (cancelled) {
                    return Answer.CANCELLED;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Answer.TIMEOUT;
                }
                render(d, s.view(left));
                KeyDecoder.Key k = d.next((int) Math.min(FRAME_MS, left / 1_000_000L + 1));
                Answer a = k == null ? null : s.key(k);
                if (a != null) {
                    return a;
                }
            }
        }
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    /** Where the person ended the session ("the question about keyctl"), or null if they did not. */
    public String endedByPerson() {
        return endedAt;
    }

    /** True if a question could not take the terminal (it was then blocked). */
    public boolean wasUnavailable() {
        return unavailable;
    }

    /** The one-line account printed when the session is over. */
    public String summary() {
        long q = questions.get();
        String counts = fast
                ? seen.get() + " stop" + (seen.get() == 1 ? "" : "s") + " (fast mode): " + allowed.get() + " allowed, "
                        + blocked.get() + " blocked"
                : seen.get() + " syscalls: " + allowed.get() + " allowed, " + blocked.get() + " blocked";
        return q + " question" + (q == 1 ? "" : "s") + ", " + counts;
    }

    /** One open question: what the keys have done to its view. */
    private final class Session {
        final Prompter.Question q;
        final long number;
        final String tree;
        String status = "";
        boolean help;
        boolean confirmEnd;

        Session(Prompter.Question q, long number, String tree) {
            this.q = q;
            this.number = number;
            this.tree = tree;
        }

        View view(long left) {
            List<Line> lines;
            synchronized (feed) {
                lines = new ArrayList<>(feed);
            }
            return new View(command, tree, seen.get(), allowed.get(), blocked.get(), number, fast, q, left,
                    status, help, filter, lines);
        }

        /** @return the answer the key gives, or null if the question stays open */
        Answer key(KeyDecoder.Key k) {
            if (k.kind() == KeyDecoder.Kind.CTRL_C) {
                return end();
            }
            Integer c = k.kind() == KeyDecoder.Kind.CHAR ? k.ch() : null;
            if (confirmEnd) {
                confirmEnd = false;
                if (c != null && (c == 'y' || c == 'q')) {
                    return end();
                }
                status = "the session goes on";
                return null;
            }
            Answer a = c == null ? null : LinePrompter.answer(c);
            if (a != null) {
                return a;
            }
            if (c != null && c == '?') {
                help = !help;
                status = "";
            } else if (c != null && c == 'f') {
                filter = Filter.values()[(filter.ordinal() + 1) % Filter.values().length];
                status = "";
            } else if (c != null && c == 'q') {
                confirmEnd = true;
                status = "end the session? the program is killed, what was learned is kept: y or q to end, any "
                        + "other key to go back";
            } else {
                status = k.label() + " is not an answer: y o p e allow, n b P E block, k kill, ? help";
            }
            return null;
        }

        private Answer end() {
            endedAt = "the question about " + q.syscall();
            cancelled = true;
            endSession.run();
            return Answer.CANCELLED;
        }
    }

    private static void render(Display d, View v) {
        Screen screen = d.screen();
        try {
            if (screen instanceof com.googlecode.lanterna.screen.TerminalScreen ts) {
                ts.getTerminal().getTerminalSize(); // asks the terminal, which tells the screen of a resize
            }
            screen.doResizeIfNecessary();
            screen.clear();
            draw(screen.newTextGraphics(), screen.getTerminalSize().getColumns(), screen.getTerminalSize().getRows(),
                    v);
            screen.refresh();
        } catch (IOException | RuntimeException e) {
            // a frame that cannot be drawn is skipped; the countdown still runs
        }
    }

    // --- drawing: a pure function of the view, laid out for anything from 80x24 to a large terminal ---

    static void draw(TextGraphics g, int cols, int rows, View v) {
        new Painter(g, cols, rows).paint(v);
    }

    private static final class Painter {
        private final TextGraphics g;
        private final int cols;
        private final int rows;
        private int row;

        Painter(TextGraphics g, int cols, int rows) {
            this.g = g;
            this.cols = cols;
            this.rows = rows;
        }

        /** Puts one row unless only the bottom line is left (it holds the keys). */
        private void put(String text) {
            if (row < rows - 1) {
                g.putString(0, row, Rows.pad(text, cols));
            }
            row++;
        }

        void paint(View v) {
            Prompter.Question q = v.q();
            SyscallKnowledge.Entry kb = SyscallKnowledge.of(q.syscall().name());
            boolean high = kb.risk() == SyscallKnowledge.Risk.HIGH;
            g.enableModifiers(SGR.REVERSE);
            put(" sandbox learning: " + v.command());
            g.disableModifiers(SGR.REVERSE);
            String counts = v.fast()
                    ? v.seen() + " stopped (fast mode): " + v.allowed() + " allowed, " + v.blocked() + " blocked"
                    : v.seen() + " syscalls: " + v.allowed() + " allowed, " + v.blocked() + " blocked";
            put(" question " + v.question() + " | " + v.tree() + " | " + counts);
            put(" the program is stopped until you answer; then its terminal is back as it was");
            int text = Math.max(10, cols - 4);
            g.enableModifiers(SGR.BOLD);
            for (String l : Rows.wrap("unknown syscall " + q.syscall() + " (" + q.nr() + ") from pid " + q.pid()
                    + (q.tgid() != q.pid() ? " (thread of " + q.tgid() + ")" : "") + ", " + q.executable(),
                    text, 2)) {
                put("  " + l);
            }
            g.disableModifiers(SGR.BOLD);
            int callLines = Math.max(2, rows / 8);
            for (String l : Rows.wrap(q.decoded(), text - 2, callLines)) {
                put("    " + l);
            }
            if (high) {
                g.setForegroundColor(TextColor.ANSI.YELLOW);
                g.enableModifiers(SGR.BOLD);
            }
            for (String l : Rows.wrap(kb.category() + ", " + kb.risk().label() + " risk: " + kb.description(), text,
                    3)) {
                put("  " + l);
            }
            g.setForegroundColor(TextColor.ANSI.DEFAULT);
            g.disableModifiers(SGR.BOLD);
            long total = Math.max(1, q.timeout().toNanos());
            long secs = (v.leftNanos() + 999_999_999L) / 1_000_000_000L;
            String after = "] " + secs + " s, then blocked (EPERM)";
            int barWidth = Math.max(4, cols - 4 - after.length());
            int filled = (int) Math.min(barWidth, (long) barWidth * v.leftNanos() / total);
            g.setForegroundColor(TextColor.ANSI.CYAN);
            put("  [" + "#".repeat(filled) + " ".repeat(barWidth - filled) + after);
            g.setForegroundColor(TextColor.ANSI.DEFAULT);
            put("  allow: y always  o once  p this process  e this executable");
            put("  block: n once  b always  P this process  E this executable    k kill");
            g.enableModifiers(SGR.BOLD);
            put(v.status().isEmpty() ? "" : "  " + v.status());
            g.disableModifiers(SGR.BOLD);
            if (v.help()) {
                help();
            } else {
                feed(v);
            }
            g.enableModifiers(SGR.REVERSE);
            g.putString(0, rows - 1, Rows.pad(" ? help   f feed   q end the session   Ctrl-C end it now", cols));
            g.disableModifiers(SGR.REVERSE);
        }

        private void feed(View v) {
            String title = "-- what the program did before (" + switch (v.filter()) {
                case ALL -> "all syscalls";
                case UNKNOWN -> "outside the base";
                case BLOCKED -> "blocked";
            } + "; f changes) ";
            put(title + "-".repeat(Math.max(0, cols - title.length())));
            int room = rows - 1 - row;
            if (room <= 0) {
                return;
            }
            List<Line> shown = new ArrayList<>();
            for (int i = v.feed().size() - 1; i >= 0 && shown.size() < room; i--) {
                Line l = v.feed().get(i);
                if (v.filter() == Filter.ALL || v.filter() == Filter.UNKNOWN && l.unknown()
                        || v.filter() == Filter.BLOCKED && l.verdict() != Verdict.ALLOW) {
                    shown.add(0, l);
                }
            }
            if (shown.isEmpty()) {
                put(v.fast() ? "  nothing yet: in fast mode only syscalls outside the base allowlist stop the program"
                        : "  nothing yet");
            }
            for (Line l : shown) {
                g.setForegroundColor(l.verdict() != Verdict.ALLOW ? TextColor.ANSI.RED
                        : l.high() ? TextColor.ANSI.YELLOW : l.unknown() ? TextColor.ANSI.CYAN
                        : TextColor.ANSI.DEFAULT);
                put("  " + l.text());
            }
            g.setForegroundColor(TextColor.ANSI.DEFAULT);
        }

        private void help() {
            String title = "-- keys (? again: back to the feed) ";
            put(title + "-".repeat(Math.max(0, cols - title.length())));
            for (String h : HELP) {
                List<String> lines = Rows.wrap(h, Math.max(10, cols - 8), 3);
                for (int i = 0; i < lines.size(); i++) {
                    put((i == 0 ? "  " : "     ") + lines.get(i));
                }
            }
        }
    }

    private static final List<String> HELP = List.of(
            "y  allow it now and for the rest of the session; it goes into the saved policy",
            "o  allow it this once",
            "p  allow it for this process only; e  for every task running this executable",
            "n  fail it with EPERM this once; the program goes on",
            "b  fail it with EPERM from now on; the saved policy keeps it as an EPERM rule",
            "P  / E  fail it for this process / for this executable",
            "k  kill the traced programs",
            "q  end the session: the programs are killed, what was learned is kept (saved with --save)",
            "Ctrl-C  the same, at once",
            "No answer before the countdown ends blocks the call (EPERM).",
            "Between questions the program has the terminal and every key, Ctrl-C included.");
}

package dev.sandbox.screen;

import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.screen.Screen;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.ansi.ANSITerminal;
import dev.sandbox.jna.Errno;
import dev.sandbox.jna.LibC;
import dev.sandbox.jna.NativeCallException;
import dev.sandbox.jna.Posix;
import dev.sandbox.jna.SignalMask;
import dev.sandbox.jna.Termios;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;

/**
 * The person's terminal, borrowed from the traced program for the length of one question.
 *
 * The program owns the terminal: its fds 0, 1 and 2 are the terminal itself, as in a bare run, and it sets the modes
 * it wants. A question is asked only while every traced task is stopped (the tracer holds them), so nothing else
 * reads or draws meanwhile. {@link #take} saves the program's terminal modes, switches to raw input without signal
 * keys (Ctrl-C becomes a key of the question), and draws the question on a screen of its own; {@link Taken#close}
 * puts back exactly the saved modes and what the program had on the screen:
 *
 * - a program on the normal screen (a shell, a REPL, tput, most tools) keeps its output: the question uses the
 *   alternate screen (DECSET 1049), and leaving it restores the normal screen, cursor and attributes;
 * - a full-screen program (less, vi, top) is already on the alternate screen, which has no spare copy: the question
 *   draws over it and the program is told to redraw with SIGWINCH, as tmux and screen do on re-attach.
 *
 * Which of the two is asked of the terminal: DECRQM for mode 1049 (xterm, VTE, kitty, foot, ... answer it), or tmux
 * through its own client when the sandbox runs in a tmux pane (tmux does not answer DECRQM). A terminal that says
 * nothing (GNU screen, the Linux console) is taken as the normal screen, which is never lost that way; if the
 * program's input is raw (full-screen programs, but also less or vi before they switch screens) it is told to redraw
 * as well. A full-screen program asked about on such a terminal then goes on on the normal screen: it works, and its
 * last screen stays visible after it ends (as with less -X).
 */
public final class Tty implements AutoCloseable {
    private static final byte[] DECRQM_ALT = "\u001b[?1049$p".getBytes(StandardCharsets.US_ASCII);
    private static final int DECRQM_WAIT_MS = 150;
    private static final int ESCAPE_WAIT_MS = 60;

    private final int fd;
    /** null: not asked yet; false: the terminal does not answer DECRQM, so never wait for it again. */
    private Boolean answersDecrqm;

    private Tty(int fd) {
        this.fd = fd;
    }

    /** The controlling terminal, or null when there is none. */
    public static Tty open() {
        try {
            return new Tty(Posix.open("/dev/tty", LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC));
        } catch (NativeCallException e) {
            return null;
        }
    }

    /**
     * Takes the terminal for a question; null when it cannot be had (the session runs in the background of a shell
     * that does not bring it back, or the terminal is gone).
     *
     * @param programGroups the process groups of the traced programs: one of them may hold the foreground (a shell
     *                      with job control), in which case it is lent to the question and given back
     */
    Taken take(Set<Integer> programGroups) {
        // With SIGTTOU blocked this thread may change the terminal's modes and foreground group even while the
        // program's group holds the foreground; the kernel would otherwise stop the whole sandbox.
        Taken t = new Taken(Posix.blockSignal(LibC.SIGTTOU));
        try {
            if (!t.foreground(programGroups)) {
                t.releaseMask();
                return null;
            }
            t.saved = Posix.tcgetattr(fd);
            int lflag = t.saved.lflag();
            Posix.tcsetattr(fd, LibC.TCSANOW, t.saved.keyAtATime(LibC.ICANON | LibC.ECHO | LibC.ISIG | LibC.IEXTEN));
            t.modesChanged = true;
            // Keys typed before the question appeared were meant for the program, not answers to this question.
            Posix.tcflush(fd, LibC.TCIFLUSH);
            Boolean alternate = alternateScreen(t);
            t.programOnAlternate = Boolean.TRUE.equals(alternate);
            t.redraw = t.programOnAlternate || alternate == null && (lflag & LibC.ICANON) == 0;
            // DECSC (ESC 7) also saves the attributes and the character sets: an ESC ( 0 line-drawing set of the
            // program's must not turn the question into box characters, so ASCII is selected for it (ESC ( B, SI),
            // with origin mode off and the attributes reset; leaving restores the program's.
            t.write(t.programOnAlternate ? "\u001b7" : "\u001b[?1049h");
            t.write("\u001b(B\u000f\u001b[?6l\u001b[0m\u001b[H\u001b[2J");
            t.screen = new TerminalScreen(new FdTerminal(t));
            t.screen.startScreen();
            return t;
        } catch (NativeCallException | IOException e) {
            t.close();
            return null;
        }
    }

    /** Whether the terminal shows its alternate screen; null when it cannot say. */
    private Boolean alternateScreen(Taken t) {
        if (!Boolean.FALSE.equals(answersDecrqm)) {
            t.write(DECRQM_ALT);
            long deadline = System.nanoTime() + DECRQM_WAIT_MS * 1_000_000L;
            while (System.nanoTime() < deadline) {
                t.readInto((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
                String reply = t.decoder.lastSequence();
                if (reply != null && reply.startsWith("?1049;") && reply.endsWith("$y")) {
                    answersDecrqm = true;
                    // 1 set, 3 permanently set; 2 reset, 4 permanently reset; 0 not recognised
                    char v = reply.charAt(6);
                    if (v == '1' || v == '3') {
                        return true;
                    }
                    if (v == '2' || v == '4') {
                        return false;
                    }
                    break;
                }
            }
            if (answersDecrqm == null) {
                answersDecrqm = false;
            }
        }
        return tmuxAlternate();
    }

    /**
     * tmux keeps the state of every pane and says it through its client; the sandbox's own pane is $TMUX_PANE. Run
     * while the tracer waits for the answer, so no waitpid(-1) of the tracer can take this child's exit.
     */
    private static Boolean tmuxAlternate() {
        String pane = System.getenv("TMUX_PANE");
        if (System.getenv("TMUX") == null || pane == null) {
            return null;
        }
        try {
            Process p = new ProcessBuilder("tmux", "display-message", "-p", "-t", pane, "#{alternate_on}")
                    .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!p.waitFor(2, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
                return null;
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return out.equals("1") ? Boolean.TRUE : out.equals("0") ? Boolean.FALSE : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The terminal's size, or 80x24 if it cannot say. */
    TerminalSize size() {
        Posix.WindowSize ws;
        try {
            ws = Posix.windowSize(fd);
        } catch (NativeCallException e) {
            return new TerminalSize(80, 24);
        }
        return ws.rows() == 0 || ws.cols() == 0 ? new TerminalSize(80, 24) : new TerminalSize(ws.cols(), ws.rows());
    }

    @Override
    public void close() {
        try {
            Posix.close(fd);
        } catch (NativeCallException e) {
            // already gone
        }
    }

    /** The terminal while one question has it. */
    final class Taken implements LearnScreen.Display {
        private final SignalMask oldMask;
        /** The program's terminal modes, put back by {@link #close}. */
        private Termios saved;
        private final KeyDecoder decoder = new KeyDecoder();
        private final java.util.ArrayDeque<KeyDecoder.Key> keys = new java.util.ArrayDeque<>();
        private final byte[] buf = new byte[512];
        private boolean modesChanged;
        private boolean programOnAlternate;
        /** The program is told to redraw afterwards: its screen was drawn over, or may have been. */
        private boolean redraw;
        /** The program's foreground group, lent to the question; 0 when the sandbox's own group had it. */
        private int lentBy;
        private TerminalScreen screen;
        private boolean closed;

        private Taken(SignalMask oldMask) {
            this.oldMask = oldMask;
        }

        /**
         * Makes the sandbox's process group the terminal's foreground. A background session (started with &) stops
         * itself as any job that reads the terminal does, and goes on when the shell brings it back with fg.
         */
        private boolean foreground(Set<Integer> programGroups) {
            int own = Posix.getpgrp();
            for (int attempt = 0; attempt < 2; attempt++) {
                int fg = Posix.tcgetpgrp(fd);
                if (fg == own) {
                    return true;
                }
                if (programGroups.contains(fg)) {
                    Posix.tcsetpgrp(fd, own);
                    lentBy = fg;
                    return true;
                }
                if (attempt == 0) {
                    Posix.kill(Posix.getpid(), LibC.SIGTTIN);
                }
            }
            return false;
        }

        @Override
        public Screen screen() {
            return screen;
        }

        @Override
        public KeyDecoder.Key next(int timeoutMillis) {
            if (!keys.isEmpty()) {
                return keys.poll();
            }
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (keys.isEmpty()) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    break;
                }
                boolean got = readInto((int) Math.min(left, decoder.pendingEscape() ? ESCAPE_WAIT_MS : left));
                if (!got && decoder.pendingEscape()) {
                    KeyDecoder.Key esc = decoder.idle();
                    if (esc != null) {
                        keys.add(esc);
                    }
                }
            }
            return keys.poll();
        }

        /** Reads what the terminal sent within {@code timeoutMillis}; false if nothing came. */
        private boolean readInto(int timeoutMillis) {
            try {
                if (!Posix.pollIn(fd, timeoutMillis)) {
                    return false;
                }
                int n = Posix.read(fd, buf, buf.length);
                if (n <= 0) {
                    return false;
                }
                keys.addAll(decoder.feed(buf, n));
                return true;
            } catch (NativeCallException e) {
                return false;
            }
        }

        void write(String s) {
            write(s.getBytes(StandardCharsets.UTF_8));
        }

        void write(byte[] b) {
            int off = 0;
            while (off < b.length) {
                try {
                    off += Posix.write(fd, off == 0 ? b : Arrays.copyOfRange(b, off, b.length), b.length - off);
                } catch (NativeCallException e) {
                    if (e.errno() != Errno.EINTR) {
                        return; // the terminal went away; the question will time out into "block"
                    }
                }
            }
        }

        /** Gives the terminal back to the program exactly as it had it. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (screen != null) {
                try {
                    screen.stopScreen();
                } catch (IOException | RuntimeException e) {
                    // nothing more to draw
                }
                write("\u001b[0m\u001b[H\u001b[2J");
                write(programOnAlternate ? "\u001b8" : "\u001b[?1049l");
            }
            try {
                if (modesChanged) {
                    // keys typed during the question belonged to it, not to the program
                    Posix.tcflush(fd, LibC.TCIFLUSH);
                    Posix.tcsetattr(fd, LibC.TCSANOW, saved);
                }
                if (lentBy != 0) {
                    Posix.tcsetpgrp(fd, lentBy);
                }
                if (screen != null && redraw) {
                    // The program's full screen was drawn over: ask its foreground group to redraw, as a resize does.
                    Posix.kill(-Posix.tcgetpgrp(fd), LibC.SIGWINCH);
                }
            } catch (NativeCallException e) {
                // the terminal or the program went away
            }
            releaseMask();
        }

        private void releaseMask() {
            oldMask.restore();
        }
    }

    /**
     * Lanterna's ANSI output on our terminal fd. The modes, the alternate screen and the cursor's visibility belong
     * to {@link Taken}: lanterna only draws, so its private-mode and cursor switches are left out.
     */
    private final class FdTerminal extends ANSITerminal {
        FdTerminal(Taken taken) {
            super(InputStream.nullInputStream(), new TtyOutput(taken), StandardCharsets.UTF_8);
        }

        @Override
        protected TerminalSize findTerminalSize() {
            return Tty.this.size();
        }

        @Override
        public void enterPrivateMode() {
        }

        @Override
        public void exitPrivateMode() {
        }

        @Override
        public void setCursorVisible(boolean visible) {
        }
    }

    private static final class TtyOutput extends OutputStream {
        private final Taken taken;
        private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();

        TtyOutput(Taken taken) {
            this.taken = taken;
        }

        @Override
        public void write(int b) {
            pending.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            pending.write(b, off, len);
        }

        @Override
        public void flush() {
            if (pending.size() > 0) {
                taken.write(pending.toByteArray());
                pending.reset();
            }
        }
    }
}

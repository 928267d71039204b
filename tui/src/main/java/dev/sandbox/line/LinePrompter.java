package dev.sandbox.line;

import dev.sandbox.jna.LibC;
import dev.sandbox.jna.NativeCallException;
import dev.sandbox.jna.Posix;
import dev.sandbox.jna.Termios;
import dev.sandbox.prompt.Prompter;
import dev.sandbox.syscall.SyscallKnowledge;
import java.nio.charset.StandardCharsets;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.AttributedStyle;

/**
 * The line prompt: one line describing the call, one line of keys with a countdown, a single key answers.
 *
 * Keys are read from our own fd on /dev/tty (the controlling terminal, not the program's stdin) in non-canonical,
 * no-echo mode, and the saved mode is put back after every question. The fd is only read while a question is open:
 * jline's non-blocking readers keep a background read() pending on the terminal after a question closes, which
 * would steal the traced program's next keystroke; jline renders the styled text.
 */
public final class LinePrompter implements Prompter {
    private final int fd;
    private final boolean color;
    private volatile boolean cancelled;

    private LinePrompter(int fd, boolean color) {
        this.fd = fd;
        this.color = color;
    }

    /** A prompter on the controlling terminal, or null when there is none (no tty: CI, cron, pipes). */
    public static LinePrompter open() {
        int fd;
        try {
            fd = Posix.open("/dev/tty", LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
        } catch (NativeCallException e) {
            return null;
        }
        String noColor = System.getenv("NO_COLOR");
        String term = System.getenv("TERM");
        boolean color = (noColor == null || noColor.isEmpty()) && term != null && !term.equals("dumb");
        return new LinePrompter(fd, color);
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    @Override
    public Answer ask(Question q) {
        String name = q.syscall().toString();
        SyscallKnowledge.Entry kb = SyscallKnowledge.of(q.syscall().name());
        boolean high = kb.risk() == SyscallKnowledge.Risk.HIGH;
        AttributedStringBuilder head = new AttributedStringBuilder()
                .style(AttributedStyle.BOLD.foreground(AttributedStyle.YELLOW)).append("[DYNAMIC]")
                .style(AttributedStyle.DEFAULT).append(" unknown syscall ")
                .style(high ? AttributedStyle.BOLD.foreground(AttributedStyle.RED) : AttributedStyle.BOLD).append(name)
                .style(AttributedStyle.DEFAULT).append(" (" + q.nr() + ") from pid " + q.pid()
                        + (q.tgid() != q.pid() ? " (thread of " + q.tgid() + ")" : "") + " " + q.executable()
                        + ": " + q.decoded());
        head.style(AttributedStyle.DEFAULT.foreground(AttributedStyle.BRIGHT)).append("  [" + kb.category() + ", ")
                .style(high ? AttributedStyle.BOLD.foreground(AttributedStyle.RED) : AttributedStyle.DEFAULT)
                .append(kb.risk().label() + " risk")
                .style(AttributedStyle.DEFAULT.foreground(AttributedStyle.BRIGHT)).append("]");
        if (high) {
            head.style(AttributedStyle.DEFAULT).append("\n  ").style(AttributedStyle.BOLD.foreground(AttributedStyle.RED))
                    .append("dangerous: ").style(AttributedStyle.DEFAULT).append(kb.description());
        }
        write(render(head.toAttributedString()) + "\n");
        Termios saved = enterRaw(false);
        boolean raw = saved != null;
        try {
            long deadline = System.nanoTime() + q.timeout().toNanos();
            long shown = -1;
            while (true) {
                if (cancelled) {
                    write("\r\033[K  cancelled\n");
                    return Answer.CANCELLED;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    write("\r\033[K  no answer in " + q.timeout().toSeconds() + " s: blocked (EPERM)\n");
                    return Answer.TIMEOUT;
                }
                long secs = (left + 999_999_999L) / 1_000_000_000L;
                if (secs != shown) {
                    shown = secs;
                    write("\r\033[K" + render(keys(secs)));
                }
                int key = readKey((int) Math.min(250, left / 1_000_000L + 1));
                Answer a = key < 0 ? null : answer(key);
                if (key == '?') {
                    write("\r\033[K  " + name + ": " + kb.description() + " (" + kb.category() + ", "
                            + kb.risk().label() + " risk)\n" + help() + "\n");
                    shown = -1;
                } else if (a != null) {
                    write("\r\033[K  " + describe(a) + "\n");
                    return a;
                }
            }
        } finally {
            if (raw) {
                restore(saved);
            }
        }
    }

    @Override
    public boolean confirm(String question) {
        return confirm(question, java.time.Duration.ofSeconds(10));
    }

    /**
     * Asks yes/no with a countdown; no answer in time, Enter, Esc, n, q, Ctrl-C and Ctrl-D all mean no. Ctrl-C is read
     * as a key here (signal keys are off while asking), so it cannot kill the sandbox with the terminal left raw.
     */
    public boolean confirm(String question, java.time.Duration timeout) {
        Termios saved = enterRaw(true);
        boolean raw = saved != null;
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            long shown = -1;
            while (!cancelled) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    write("\r\033[K" + question + " [y/N] no answer in " + timeout.toSeconds() + " s: no\n");
                    return false;
                }
                long secs = (left + 999_999_999L) / 1_000_000_000L;
                if (secs != shown) {
                    shown = secs;
                    write("\r\033[K" + question + " [y/N] (" + secs + " s) ");
                }
                int key = readKey((int) Math.min(250, left / 1_000_000L + 1));
                if (key == 'y' || key == 'Y') {
                    write("y\n");
                    return true;
                }
                if (key == 'n' || key == 'N' || key == 'q' || key == 4 || key == 3 || key == '\r' || key == '\n'
                        || key == 0x1b) {
                    write("n\n");
                    return false;
                }
            }
            write("\n");
            return false;
        } finally {
            if (raw) {
                restore(saved);
            }
        }
    }

    /** The answer a key gives; shared by the line prompt and the screen's modal. */
    public static Answer answer(int key) {
        return switch (key) {
            case 'y' -> Answer.ALLOW_ALWAYS;
            case 'o' -> Answer.ALLOW_ONCE;
            case 'p' -> Answer.ALLOW_PROCESS;
            case 'e' -> Answer.ALLOW_EXECUTABLE;
            case 'n' -> Answer.BLOCK_ONCE;
            case 'b' -> Answer.BLOCK_ALWAYS;
            case 'P' -> Answer.BLOCK_PROCESS;
            case 'E' -> Answer.BLOCK_EXECUTABLE;
            case 'k' -> Answer.KILL;
            default -> null; // Enter alone, or any other key, is not an answer
        };
    }

    public static String describe(Answer a) {
        return switch (a) {
            case ALLOW_ALWAYS -> "allowed, and remembered for this session";
            case ALLOW_ONCE -> "allowed this once";
            case ALLOW_PROCESS -> "allowed for this process";
            case ALLOW_EXECUTABLE -> "allowed for every task running this executable";
            case BLOCK_ONCE -> "blocked this once (EPERM)";
            case BLOCK_ALWAYS -> "blocked, and remembered for this session (EPERM)";
            case BLOCK_PROCESS -> "blocked for this process (EPERM)";
            case BLOCK_EXECUTABLE -> "blocked for every task running this executable (EPERM)";
            case KILL -> "killing the traced programs";
            default -> a.name();
        };
    }

    private AttributedString keys(long secs) {
        return new AttributedStringBuilder()
                .append("  ").style(AttributedStyle.BOLD).append("y").style(AttributedStyle.DEFAULT).append(" allow always  ")
                .style(AttributedStyle.BOLD).append("o").style(AttributedStyle.DEFAULT).append(" once  ")
                .style(AttributedStyle.BOLD).append("p").style(AttributedStyle.DEFAULT).append(" process  ")
                .style(AttributedStyle.BOLD).append("e").style(AttributedStyle.DEFAULT).append(" executable  ")
                .style(AttributedStyle.BOLD).append("n").style(AttributedStyle.DEFAULT).append(" block once  ")
                .style(AttributedStyle.BOLD).append("b").style(AttributedStyle.DEFAULT).append(" block always  ")
                .style(AttributedStyle.BOLD).append("P/E").style(AttributedStyle.DEFAULT).append(" block process/exe  ")
                .style(AttributedStyle.BOLD).append("k").style(AttributedStyle.DEFAULT).append(" kill  ")
                .style(AttributedStyle.BOLD).append("?").style(AttributedStyle.DEFAULT).append(" help  ")
                .style(AttributedStyle.DEFAULT.foreground(AttributedStyle.CYAN)).append("[" + secs + "s, then block] ")
                .toAttributedString();
    }

    private static String help() {
        return "  y: let it run now and every later time in this session; o: let it run this once;\n"
                + "  p: let it run for this process (pid); e: for every task running this executable;\n"
                + "  n: fail it with EPERM this once; b: fail it with EPERM from now on (the saved policy keeps EPERM);\n"
                + "  P / E: fail it for this process / this executable; k: kill the traced programs.\n"
                + "  Allowed syscalls go into the saved policy; blocked ones do not. No answer in time blocks.";
    }

    private String render(AttributedString s) {
        return color ? s.toAnsi() : s.toString();
    }

    /** Key-at-a-time input without echo; the modes to put back, or null if the terminal's could not be changed. */
    private Termios enterRaw(boolean noSignalKeys) {
        try {
            Termios saved = Posix.tcgetattr(fd);
            Posix.tcsetattr(fd, LibC.TCSANOW,
                    saved.keyAtATime(LibC.ICANON | LibC.ECHO | (noSignalKeys ? LibC.ISIG : 0)));
            // Keys typed before the question appeared are not answers to it.
            Posix.tcflush(fd, LibC.TCIFLUSH);
            return saved;
        } catch (NativeCallException e) {
            return null;
        }
    }

    private void restore(Termios saved) {
        try {
            Posix.tcsetattr(fd, LibC.TCSANOW, saved);
        } catch (NativeCallException e) {
            // the terminal went away
        }
    }

    /** One byte from the terminal, or -1 after {@code timeoutMillis}. */
    private int readKey(int timeoutMillis) {
        try {
            if (!Posix.pollIn(fd, timeoutMillis)) {
                return -1;
            }
            byte[] b = new byte[1];
            return Posix.read(fd, b, 1) == 1 ? b[0] & 0xff : -1;
        } catch (NativeCallException e) {
            return -1;
        }
    }

    private void write(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        try {
            Posix.write(fd, b, b.length);
        } catch (NativeCallException e) {
            // the terminal went away; the answer will time out into "block"
        }
    }
}

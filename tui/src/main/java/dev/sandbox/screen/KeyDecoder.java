package dev.sandbox.screen;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the bytes a terminal sends while a question is open into keys. Only single keys can answer; every escape
 * sequence (arrows, function keys, mouse reports, focus events, bracketed paste, a terminal's reply to a query) is
 * swallowed whole, so that none of its bytes can be read as an answer: an X10 mouse report carries three raw bytes,
 * any of which may be a 'y'.
 */
final class KeyDecoder {
    enum Kind { CHAR, ENTER, ESCAPE, CTRL_C }

    /** {@code ch} is the code point for CHAR (a control character for Ctrl+letter). */
    record Key(Kind kind, int ch) {
        static Key of(int ch) {
            return new Key(Kind.CHAR, ch);
        }

        /** How the key is shown in "this key does nothing here". */
        String label() {
            return switch (kind) {
                case ENTER -> "Enter";
                case ESCAPE -> "Esc";
                case CTRL_C -> "Ctrl-C";
                case CHAR -> ch == ' ' ? "Space" : ch == 0x7f ? "Backspace" : ch == '\t' ? "Tab"
                        : ch < 0x20 ? "Ctrl-" + (char) (ch + '@') : new String(Character.toChars(ch));
            };
        }
    }

    private enum State { GROUND, ESC, CSI, SS3, STRING, STRING_ESC, MOUSE, PASTE, UTF8 }

    /** Long enough for any real sequence; a runaway one is dropped rather than swallowing every later key. */
    private static final int MAX_SEQUENCE = 4096;

    private State state = State.GROUND;
    private final StringBuilder csi = new StringBuilder();
    private final ByteArrayOutputStream utf8 = new ByteArrayOutputStream();
    private int utf8Left;
    private int mouseLeft;
    private int length;
    /** The last complete CSI sequence's parameters and final byte, e.g. "?1049;2$y": a terminal's DECRQM reply. */
    private String lastSequence;

    List<Key> feed(byte[] bytes, int n) {
        List<Key> keys = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            accept(bytes[i] & 0xff, keys);
        }
        return keys;
    }

    /** Called when no byte followed an ESC for a while: it was the Esc key itself. */
    Key idle() {
        if (state == State.ESC) {
            state = State.GROUND;
            return new Key(Kind.ESCAPE, 0x1b);
        }
        return null;
    }

    boolean pendingEscape() {
        return state == State.ESC;
    }

    String lastSequence() {
        return lastSequence;
    }

    private void accept(int b, List<Key> keys) {
        if (state != State.GROUND && state != State.UTF8 && ++length > MAX_SEQUENCE) {
            state = State.GROUND;
        }
        switch (state) {
            case GROUND -> ground(b, keys);
            case UTF8 -> {
                if ((b & 0xc0) != 0x80) {
                    state = State.GROUND;
                    ground(b, keys);
                    return;
                }
                utf8.write(b);
                if (--utf8Left == 0) {
                    state = State.GROUND;
                    String s = utf8.toString(StandardCharsets.UTF_8);
                    keys.add(Key.of(s.codePointAt(0)));
                }
            }
            case ESC -> {
                switch (b) {
                    case '[' -> {
                        state = State.CSI;
                        csi.setLength(0);
                    }
                    case 'O' -> state = State.SS3;
                    case ']', 'P', '_', '^', 'X' -> state = State.STRING;
                    case 0x1b -> keys.add(new Key(Kind.ESCAPE, 0x1b)); // Esc pressed twice: the second may start a sequence
                    default -> state = State.GROUND; // Alt+key: not an answer
                }
            }
            case SS3 -> state = State.GROUND; // application-mode arrows and keypad: ESC O x
            case CSI -> {
                if (b >= 0x20 && b <= 0x3f) {
                    csi.append((char) b);
                } else if (b >= 0x40 && b <= 0x7e) {
                    String seq = csi.toString() + (char) b;
                    lastSequence = seq;
                    if (seq.equals("M")) {
                        state = State.MOUSE; // X10 mouse report: three raw bytes follow
                        mouseLeft = 3;
                    } else if (seq.equals("200~")) {
                        state = State.PASTE;
                        csi.setLength(0);
                    } else {
                        state = State.GROUND;
                    }
                } else {
                    // not a CSI byte: the sequence was cut short; the byte counts on its own
                    state = State.GROUND;
                    ground(b, keys);
                }
            }
            case MOUSE -> {
                if (--mouseLeft == 0) {
                    state = State.GROUND;
                }
            }
            case STRING -> {
                if (b == 0x07 || b == 0x9c) {
                    state = State.GROUND;
                } else if (b == 0x1b) {
                    state = State.STRING_ESC;
                }
            }
            case STRING_ESC -> state = b == '\\' ? State.GROUND : State.STRING;
            case PASTE -> {
                // pasted text is not an answer: drop it up to ESC [ 2 0 1 ~
                csi.append((char) b);
                if (csi.length() > 6) {
                    csi.deleteCharAt(0);
                }
                if (csi.toString().equals("\u001b[201~")) {
                    state = State.GROUND;
                }
            }
        }
    }

    private void ground(int b, List<Key> keys) {
        length = 0;
        if (b == 0x1b) {
            state = State.ESC;
        } else if (b == 0x03) {
            keys.add(new Key(Kind.CTRL_C, b));
        } else if (b == '\r' || b == '\n') {
            keys.add(new Key(Kind.ENTER, b));
        } else if (b < 0x80) {
            keys.add(Key.of(b));
        } else if (b >= 0xc2 && b <= 0xf4) {
            utf8.reset();
            utf8.write(b);
            utf8Left = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
            state = State.UTF8;
        }
        // other bytes (stray continuation bytes, C1 controls) are not keys
    }
}

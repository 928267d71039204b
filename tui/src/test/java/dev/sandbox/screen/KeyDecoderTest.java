package dev.sandbox.screen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sandbox.screen.KeyDecoder.Key;
import dev.sandbox.screen.KeyDecoder.Kind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class KeyDecoderTest {
    private static List<Key> keys(KeyDecoder d, String... chunks) {
        List<Key> out = new ArrayList<>();
        for (String c : chunks) {
            byte[] b = c.getBytes(StandardCharsets.ISO_8859_1);
            out.addAll(d.feed(b, b.length));
        }
        return out;
    }

    @Test
    @DisplayName("plain keys, Enter, Ctrl-C and UTF-8 come through one by one")
    void plain() {
        KeyDecoder d = new KeyDecoder();
        List<Key> k = keys(d, "yE\r\u0003", new String("é".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
        assertEquals(List.of(Key.of('y'), Key.of('E'), new Key(Kind.ENTER, '\r'), new Key(Kind.CTRL_C, 3),
                Key.of('é')), k);
        assertEquals("Ctrl-D", Key.of(4).label());
    }

    @Test
    @DisplayName("escape sequences never answer: arrows, function keys, focus, SGR and X10 mouse reports, paste, OSC")
    void sequencesAreSwallowed() {
        KeyDecoder d = new KeyDecoder();
        // an X10 mouse report at column 89, row 89: its raw bytes are "yy"; SS3 arrows; a bracketed paste of "y"
        List<Key> k = keys(d, "\u001b[A\u001b[15~\u001b[I\u001b[<0;121;121M\u001b[M yy\u001bOA",
                "\u001b[200~y\u001b[201~\u001b]11;rgb:0000/0000/0000\u0007\u001bP1$r0m\u001b\\n");
        assertEquals(List.of(Key.of('n')), k);
    }

    @Test
    @DisplayName("a sequence split across reads is still one sequence")
    void split() {
        KeyDecoder d = new KeyDecoder();
        assertEquals(List.of(), keys(d, "\u001b", "[", "1;5", "A"));
        assertEquals(List.of(Key.of('b')), keys(d, "b"));
    }

    @Test
    @DisplayName("a lone ESC is the Esc key once nothing follows it; a terminal's DECRQM reply is recorded")
    void escapeAndReplies() {
        KeyDecoder d = new KeyDecoder();
        assertEquals(List.of(), keys(d, "\u001b"));
        assertTrue(d.pendingEscape());
        assertEquals(new Key(Kind.ESCAPE, 0x1b), d.idle());
        assertNull(d.idle());
        assertEquals(List.of(), keys(d, "\u001b[?1049;2$y"));
        assertEquals("?1049;2$y", d.lastSequence());
    }

    @Test
    @DisplayName("a sequence cut short by a control byte gives that byte back")
    void cutShort() {
        KeyDecoder d = new KeyDecoder();
        assertEquals(List.of(new Key(Kind.CTRL_C, 3)), keys(d, "\u001b[12\u0003"));
    }
}

package dev.sandbox.screen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RowsTest {
    @Test
    @DisplayName("controls are shown as \\xNN, tabs as spaces, lone surrogates as ?")
    void printable() {
        assertEquals("a\\x1b[0mb c\\x7f?\ud83d\ude00", Rows.printable("a\u001b[0mb\tc\u007f\udc00\ud83d\ude00"));
    }

    @Test
    @DisplayName("text wraps at spaces, breaks long words, and marks what did not fit")
    void wrap() {
        assertEquals(List.of("one two", "three"), Rows.wrap("one two three", 8, 5));
        assertEquals(List.of("/aaaaaaa", "aaaaaaaa", "a"), Rows.wrap("/aaaaaaaaaaaaaaaa", 8, 5));
        assertEquals(List.of("one two", "three..."), Rows.wrap("one two three four five", 8, 2));
    }

    @Test
    @DisplayName("rows are cut and padded to the width")
    void pad() {
        assertEquals("ab  ", Rows.pad("ab", 4));
        assertEquals("abcd", Rows.pad("abcdef", 4));
        assertEquals("", Rows.pad("abc", 0));
    }
}

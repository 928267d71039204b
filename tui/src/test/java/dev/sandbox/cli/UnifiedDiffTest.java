package dev.sandbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class UnifiedDiffTest {
    @Test
    @DisplayName("a changed line in the middle: one hunk with three lines of context each side")
    void oneHunk() {
        String a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        String b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assertEquals("--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
                UnifiedDiff.diff(a, b, "a", "b"));
    }

    @Test
    @DisplayName("lines only added, and an empty side")
    void added() {
        assertEquals("--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n", UnifiedDiff.diff("", "x\ny\n", "a", "b"));
        assertEquals("--- a\n+++ b\n@@ -1 +1,2 @@\n x\n+y\n", UnifiedDiff.diff("x\n", "x\ny\n", "a", "b"));
    }

    @Test
    @DisplayName("changes far apart make two hunks")
    void twoHunks() {
        StringBuilder a = new StringBuilder();
        for (int i = 1; i <= 20; i++) {
            a.append(i).append('\n');
        }
        String b = a.toString().replace("2\n", "two\n").replace("19\n", "nineteen\n");
        String d = UnifiedDiff.diff(a.toString(), b, "a", "b");
        assertEquals(2, d.split("@@ -", -1).length - 1, d);
    }
}

package dev.sandbox.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A line diff in the unified format (diff -u, three lines of context), for verify to show how an enforced run's
 * output differs from the learning run's. Longest common subsequence by dynamic programming: outputs verify keeps
 * are at most 64 KiB, and a pair too large for the table gets the first differing line instead.
 */
final class UnifiedDiff {
    private static final int CONTEXT = 3;
    private static final long MAX_CELLS = 4_000_000;

    private UnifiedDiff() {}

    static String diff(String a, String b, String labelA, String labelB) {
        List<String> x = lines(a);
        List<String> y = lines(b);
        StringBuilder out = new StringBuilder("--- " + labelA + "\n+++ " + labelB + "\n");
        if ((long) (x.size() + 1) * (y.size() + 1) > MAX_CELLS) {
            int i = 0;
            while (i < x.size() && i < y.size() && x.get(i).equals(y.get(i))) {
                i++;
            }
            out.append("(too long for a diff: the first difference is at line ").append(i + 1).append(")\n");
            return out.toString();
        }
        int[][] lcs = new int[x.size() + 1][y.size() + 1];
        for (int i = x.size() - 1; i >= 0; i--) {
            for (int j = y.size() - 1; j >= 0; j--) {
                lcs[i][j] = x.get(i).equals(y.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        // The edit script: ' ' kept, '-' only in a, '+' only in b; with the line numbers in a and b.
        List<char[]> ops = new ArrayList<>();
        List<int[]> at = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < x.size() || j < y.size()) {
            if (i < x.size() && j < y.size() && x.get(i).equals(y.get(j))) {
                ops.add(new char[] {' '});
                at.add(new int[] {i++, j++});
            } else if (i < x.size() && (j == y.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
                ops.add(new char[] {'-'});
                at.add(new int[] {i++, j});
            } else {
                ops.add(new char[] {'+'});
                at.add(new int[] {i, j++});
            }
        }
        int k = 0;
        while (k < ops.size()) {
            if (ops.get(k)[0] == ' ') {
                k++;
                continue;
            }
            int start = Math.max(0, k - CONTEXT);
            int end = k;
            // extend the hunk while changes are closer than 2 * CONTEXT apart
            int last = k;
            while (end < ops.size()) {
                if (ops.get(end)[0] != ' ') {
                    last = end;
                } else if (end - last > 2 * CONTEXT) {
                    break;
                }
                end++;
            }
            end = Math.min(ops.size(), last + 1 + CONTEXT);
            int aStart = at.get(start)[0];
            int bStart = at.get(start)[1];
            int aLen = 0;
            int bLen = 0;
            for (int n = start; n < end; n++) {
                aLen += ops.get(n)[0] != '+' ? 1 : 0;
                bLen += ops.get(n)[0] != '-' ? 1 : 0;
            }
            out.append("@@ -").append(range(aStart, aLen)).append(" +").append(range(bStart, bLen)).append(" @@\n");
            for (int n = start; n < end; n++) {
                char op = ops.get(n)[0];
                String line = op == '+' ? y.get(at.get(n)[1]) : x.get(at.get(n)[0]);
                out.append(op).append(line).append('\n');
            }
            k = end;
        }
        if (!a.isEmpty() && !a.endsWith("\n") || !b.isEmpty() && !b.endsWith("\n")) {
            out.append("\\ (a last line without a newline)\n");
        }
        return out.toString();
    }

    private static String range(int start, int len) {
        return len == 0 ? start + ",0" : len == 1 ? String.valueOf(start + 1) : (start + 1) + "," + len;
    }

    private static List<String> lines(String s) {
        List<String> out = new ArrayList<>();
        if (s.isEmpty()) {
            return out;
        }
        String[] parts = s.split("\n", -1);
        int n = s.endsWith("\n") ? parts.length - 1 : parts.length;
        for (int i = 0; i < n; i++) {
            out.add(parts[i]);
        }
        return out;
    }
}

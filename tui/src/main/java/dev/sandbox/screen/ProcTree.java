package dev.sandbox.screen;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;

/**
 * The traced program's process tree as /proc shows it while a question is open: its first process (the sandbox's
 * child), how many processes and tasks, and their process groups. Read from the kernel rather than from the tracer's
 * events, so it is right in fast mode too, where most syscalls never reach the tracer.
 */
record ProcTree(int root, int processes, int tasks, Set<Integer> groups) {
    private static final Path PROC = Path.of("/proc");

    /** The tree that {@code pid} belongs to; an empty tree if it is gone. */
    static ProcTree of(int pid) {
        int self = (int) ProcessHandle.current().pid();
        int root = pid;
        for (int p = pid, hops = 0; p > 1 && hops < 4096; hops++) {
            int parent = field(p, 4);
            if (parent == self) {
                root = p;
                break;
            }
            if (parent <= 1) {
                break; // not a child of the sandbox: count from pid
            }
            p = parent;
        }
        int processes = 0;
        int tasks = 0;
        Set<Integer> groups = new HashSet<>();
        ArrayDeque<Integer> todo = new ArrayDeque<>();
        Set<Integer> seen = new HashSet<>();
        todo.add(root);
        while (!todo.isEmpty()) {
            int p = todo.poll();
            if (!seen.add(p)) {
                continue;
            }
            int pgrp = field(p, 5);
            if (pgrp <= 0) {
                continue; // exited meanwhile
            }
            processes++;
            groups.add(pgrp);
            try (DirectoryStream<Path> ts = Files.newDirectoryStream(PROC.resolve(p + "/task"))) {
                for (Path t : ts) {
                    tasks++;
                    for (String child : Files.readString(t.resolve("children")).trim().split("\\s+")) {
                        if (!child.isEmpty()) {
                            todo.add(Integer.parseInt(child));
                        }
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // the process went away while being read
            }
        }
        return new ProcTree(root, processes, tasks, groups);
    }

    /** "pid 4242: 2 processes, 3 tasks" */
    String describe() {
        if (processes == 0) {
            return "pid " + root + ": gone";
        }
        return "pid " + root + ": " + processes + " process" + (processes == 1 ? "" : "es") + ", " + tasks + " task"
                + (tasks == 1 ? "" : "s");
    }

    /** Field {@code n} (1-based, as proc(5) numbers them) of /proc/pid/stat; -1 if unreadable. */
    private static int field(int pid, int n) {
        String stat;
        try {
            stat = Files.readString(PROC.resolve(pid + "/stat"));
        } catch (IOException e) {
            return -1;
        }
        // the command name (field 2) is in parentheses and may hold spaces and parentheses itself
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            return -1;
        }
        String[] rest = stat.substring(close + 2).split(" ");
        try {
            return Integer.parseInt(rest[n - 3]);
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            return -1;
        }
    }
}

package dev.sandbox.isolation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** User and group names from /etc/passwd and /etc/group (what getpwnam(3) reads on a machine without NSS modules). */
final class Accounts {
    private Accounts() {}

    static int uid(String name) {
        return lookup(Path.of("/etc/passwd"), name, "--user", "user");
    }

    static int gid(String name) {
        return lookup(Path.of("/etc/group"), name, "--group", "group");
    }

    private static int lookup(Path file, String name, String option, String what) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.split(":", -1);
                if (f.length > 2 && f[0].equals(name)) {
                    return (int) Long.parseLong(f[2]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new IllegalArgumentException(option + " " + name + ": cannot read " + file + ": " + e.getMessage());
        }
        throw new IllegalArgumentException(option + " " + name + ": no such " + what + " in " + file
                + " (use #ID for a numeric id)");
    }
}

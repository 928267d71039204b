package dev.sandbox.cli;

import static dev.sandbox.cli.SandboxRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sandbox policy show|check|diff|merge on fixture policies, with their exact output. */
class PolicyToolsTest {
    @TempDir
    Path tmp;

    private String fixture(String name, String json) throws IOException {
        return Files.writeString(tmp.resolve(name), json).toString();
    }

    private String a() throws IOException {
        return fixture("a.json", "{\"mode\":\"allow\",\"syscalls\":[\"execve\",\"read\",\"write\",\"openat\"],"
                + "\"rules\":[{\"syscalls\":[\"mkdir\"],\"action\":\"errno\"}],\"known_up_to\":\"statx\","
                + "\"metadata\":{\"program\":\"/bin/a\",\"counts\":{\"read\":3,\"write\":1},"
                + "\"provenance\":{\"read\":{\"first_executable\":\"/bin/a\",\"first_pid\":7,\"decided_by\":\"you\"}},"
                + "\"runs\":[{\"date\":\"d1\",\"command\":[\"/bin/a\"],\"new_syscalls\":[]}]}}");
    }

    private String b() throws IOException {
        return fixture("b.json", "{\"mode\":\"allow\",\"syscalls\":[\"execve\",\"read\",\"close\",\"mkdir\",\"ptrace\"],"
                + "\"metadata\":{\"program\":\"/bin/a\",\"counts\":{\"read\":2},"
                + "\"runs\":[{\"date\":\"d2\",\"command\":[\"/bin/a\",\"-x\"],\"new_syscalls\":[\"close\"]}]}}");
    }

    @Test
    @DisplayName("show lists syscalls with counts and provenance, rules, and marks dangerous ones")
    void show() throws IOException {
        SandboxRun r = run("policy", "show", a());
        assertEquals(0, r.exit(), r::toString);
        assertEquals(String.join("\n",
                "policy " + tmp.resolve("a.json") + ": allow mode, 4 syscalls, refused calls get kill, 1 rules",
                "known up to statx: newer syscalls get ENOSYS",
                "learned from /bin/a over 1 run(s)",
                "",
                "allowed, file:",
                "  openat",
                "  read                          3 calls  first /bin/a (pid 7), decided by you",
                "  write                         1 call",
                "",
                "allowed, process:",
                "  execve",
                "",
                "rule, errno EPERM:",
                "  mkdir",
                ""), r.out());
        String shown = run("policy", "show", b()).out();
        assertTrue(shown.contains("allowed, process:\n  execve\n  ptrace                  [high risk: trace and control another "
                + "process"), shown);
    }

    @Test
    @DisplayName("check: valid with warnings for dangerous syscalls; --strict fails on them; invalid is 125")
    void check() throws IOException {
        SandboxRun ok = run("policy", "check", a());
        assertEquals(0, ok.exit());
        assertEquals("policy " + tmp.resolve("a.json") + ": valid: allow mode, 4 syscalls, refused calls get kill, "
                + "1 rules\n", ok.out());
        SandboxRun warn = run("policy", "check", "--strict", b());
        assertEquals(1, warn.exit());
        assertTrue(warn.out().startsWith("warning: policy " + tmp.resolve("b.json") + ": allows ptrace (high risk: "
                + "trace and control another process"), warn::toString);
        SandboxRun bad = run("policy", "check", fixture("bad.json", "{\"mode\":\"allow\",\"syscalls\":[\"opne\"]}"));
        assertEquals(125, bad.exit());
        assertTrue(bad.err().contains("unknown syscall \"opne\" (did you mean \"open\"?)"), bad::toString);
        SandboxRun i386 = run("policy", "check", "--strict", fixture("i386.json",
                "{\"mode\":\"allow\",\"syscalls\":[\"execve\",\"i386:ptrace\",\"i386:io_uring_setup\",\"1000\"]}"));
        assertEquals(1, i386.exit(), i386::toString);
        assertTrue(i386.out().contains("allows i386:ptrace (high risk: trace and control another process"), i386::toString);
        assertTrue(i386.out().contains("allows i386:io_uring_setup (high risk"), i386::toString);
        assertTrue(i386.out().contains("allows 1000 (unknown: no syscall table here names number 1000)"),
                i386::toString);
        SandboxRun execve = run("policy", "check", fixture("execve.json",
                "{\"mode\":\"block\",\"syscalls\":[\"execve\"]}"));
        assertEquals(125, execve.exit(), execve::toString);
        assertTrue(execve.err().contains("refuses execve (kill), so no program could start under it"),
                execve::toString);
    }

    @Test
    @DisplayName("diff shows what only one side has; exit 1 when different, 0 when the same")
    void diff() throws IOException {
        SandboxRun r = run("policy", "diff", a(), b());
        assertEquals(1, r.exit());
        assertEquals(String.join("\n",
                "--- " + tmp.resolve("a.json"),
                "+++ " + tmp.resolve("b.json"),
                "known_up_to: statx -> null",
                "+ close",
                "+ mkdir",
                "- openat",
                "+ ptrace",
                "- write",
                "- rule errno EPERM: mkdir",
                ""), r.out());
        assertEquals(0, run("policy", "diff", a(), a()).exit());
    }

    @Test
    @DisplayName("merge unions the allowlists, keeps a refusal the other allows, sums counts, keeps every run")
    void merge() throws IOException {
        Path out = tmp.resolve("merged.json");
        SandboxRun r = run("policy", "merge", a(), b(), "-o", out.toString());
        assertEquals(0, r.exit(), r::toString);
        assertEquals("merged 2 policies into " + out + ": 6 syscalls, 1 refused by rules\n", r.out());
        String merged = Files.readString(out);
        assertTrue(merged.contains("\"syscalls\": [\n    \"close\",\n    \"execve\",\n    \"openat\",\n    \"ptrace\","
                + "\n    \"read\",\n    \"write\"\n  ]"), merged);
        assertTrue(merged.contains("\"rules\": [\n    {\n      \"syscalls\": [\n        \"mkdir\"\n      ],\n      "
                + "\"action\": \"errno\",\n      \"errno\": \"EPERM\""), merged);
        assertTrue(merged.contains("\"read\": 5"), merged);
        assertTrue(merged.contains("\"date\": \"d1\"") && merged.contains("\"date\": \"d2\""), merged);
        assertEquals(0, run("policy", "check", out.toString()).exit(), "the merged file loads");
    }

    @Test
    @DisplayName("the completion script is generated from the command model and knows the options and subcommands")
    void completion() {
        SandboxRun r = run("completion");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("complete -F _complete_sandbox"), r.out());
        for (String word : new String[] {"--trace-block-dynamic", "--on-unknown", "--policy", "verify", "policy"}) {
            assertTrue(r.out().contains(word), word);
        }
    }

    @Test
    @DisplayName("the man page is roff generated from the command model: every option and subcommand is in it")
    void manPage() {
        SandboxRun r = run("man");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().startsWith(".TH SANDBOX 1 "), r.out());
        for (String word : new String[] {".SH SYNOPSIS", ".SH OPTIONS", ".SH EXIT STATUS", "\\-\\-trace\\-block\\-dynamic",
            "\\-\\-on\\-unknown", "\\-\\-ceiling", "SANDBOX VERIFY", "SANDBOX POLICY", "sandbox policy merge",
            "SANDBOX EDIT"}) {
            assertTrue(r.out().contains(word), word + " missing");
        }
    }

    @Test
    @DisplayName("edit without a terminal refuses with a sentence instead of hanging")
    void editNeedsTerminal() throws IOException {
        SandboxRun r = run("edit", a());
        assertEquals(125, r.exit(), r::toString);
        assertEquals("sandbox: edit needs a terminal (stdin and stdout); use 'sandbox policy show|check|diff|merge' "
                + "in scripts\n", r.err());
    }

    @Test
    @DisplayName("names from a policy are shown with their control characters escaped")
    void escaped() throws IOException {
        String p = fixture("esc.json", "{\"mode\":\"allow\",\"syscalls\":[\"execve\",\"read\"],\"metadata\":"
                + "{\"program\":\"/bin/\\u001b]2;owned\\u0007x\",\"provenance\":{\"read\":{\"first_executable\":"
                + "\"/tmp/\\u001b[2Jy\",\"first_pid\":1,\"decided_by\":\"you\"}}}}");
        SandboxRun r = run("policy", "show", p);
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("learned from /bin/\\x1b]2;owned\\x07x"), r.out());
        assertTrue(r.out().contains("first /tmp/\\x1b[2Jy (pid 1)"), r.out());
        assertTrue(!r.out().contains("\u001b"), r.out());
    }
}

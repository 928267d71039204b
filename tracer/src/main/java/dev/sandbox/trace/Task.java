package dev.sandbox.trace;

/** One traced kernel task (a process or a thread), as the tracer loop keeps track of it. */
final class Task {
    final int tid;
    int parent;
    String exe;
    /** The launcher before its execve: its own syscalls are the sandbox's, not the program's. */
    boolean launcher;
    /** Entry was refused (orig_rax = -1): at the exit stop the return value becomes -blockErrno; 0 if not. */
    int blockErrno;
    /** PTRACE_INTERRUPT was sent and its stop has not been seen yet. */
    boolean interruptPending;
    /** Stopped by our interrupt while a prompt is open; resumed when it closes. */
    boolean held;
    /** In a group-stop, parked with PTRACE_LISTEN until SIGCONT. */
    boolean listening;

    /** The thread group id, read from /proc when first needed (scoped answers), 0 until then. */
    int tgid;

    Task(int tid, int parent, String exe) {
        this.tid = tid;
        this.parent = parent;
        this.exe = exe;
    }

    int tgid() {
        if (tgid == 0) {
            try {
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + tid + "/status"))) {
                    if (line.startsWith("Tgid:")) {
                        tgid = Integer.parseInt(line.substring(5).trim());
                        break;
                    }
                }
            } catch (java.io.IOException | NumberFormatException e) {
                tgid = tid;
            }
        }
        return tgid;
    }
}

package dev.sandbox.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Every kind of wait status, built by hand the way the kernel encodes it (<bits/waitstatus.h>). */
class TraceEventTest {
    private static int stopped(int sig, int event) {
        return (event << 16) | (sig << 8) | 0x7f;
    }

    @Test
    @DisplayName("exits and deaths by signal")
    void endings() {
        assertEquals(new TraceEvent.Exited(3), TraceEvent.classify(3 << 8));
        assertEquals(new TraceEvent.Exited(0), TraceEvent.classify(0));
        assertEquals(new TraceEvent.Killed(9, false), TraceEvent.classify(9));
        assertEquals(new TraceEvent.Killed(11, true), TraceEvent.classify(11 | 0x80));
    }

    @Test
    @DisplayName("syscall stops carry SIGTRAP|0x80 (TRACESYSGOOD)")
    void syscallStop() {
        assertEquals(new TraceEvent.SyscallStop(), TraceEvent.classify(stopped(5 | 0x80, 0)));
    }

    @Test
    @DisplayName("ptrace events: fork, vfork, clone, exec, exit, seccomp")
    void events() {
        assertEquals(new TraceEvent.NewTask(1), TraceEvent.classify(stopped(5, 1)));
        assertEquals(new TraceEvent.NewTask(2), TraceEvent.classify(stopped(5, 2)));
        assertEquals(new TraceEvent.NewTask(3), TraceEvent.classify(stopped(5, 3)));
        assertEquals(new TraceEvent.Exec(), TraceEvent.classify(stopped(5, 4)));
        assertEquals(new TraceEvent.Exiting(), TraceEvent.classify(stopped(5, 6)));
        assertEquals(new TraceEvent.SeccompStop(), TraceEvent.classify(stopped(5, 7)));
    }

    @Test
    @DisplayName("PTRACE_EVENT_STOP: group-stops by stop signals, interrupt/new-child stops by SIGTRAP")
    void eventStop() {
        assertEquals(new TraceEvent.GroupStop(19), TraceEvent.classify(stopped(19, 128)));
        assertEquals(new TraceEvent.GroupStop(20), TraceEvent.classify(stopped(20, 128)));
        assertEquals(new TraceEvent.GroupStop(22), TraceEvent.classify(stopped(22, 128)));
        assertEquals(new TraceEvent.InterruptStop(), TraceEvent.classify(stopped(5, 128)));
    }

    @Test
    @DisplayName("anything else stopped is a signal to deliver, SIGTRAP included")
    void signalDelivery() {
        assertEquals(new TraceEvent.SignalDelivery(10), TraceEvent.classify(stopped(10, 0)));
        assertEquals(new TraceEvent.SignalDelivery(19), TraceEvent.classify(stopped(19, 0)));
        assertEquals(new TraceEvent.SignalDelivery(5), TraceEvent.classify(stopped(5, 0)));
    }
}

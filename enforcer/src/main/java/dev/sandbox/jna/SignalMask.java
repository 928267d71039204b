package dev.sandbox.jna;

import com.sun.jna.Memory;

/** A thread's signal mask (sigset_t) as {@link Posix#blockSignal} found it, to be put back on the same thread. */
public final class SignalMask {
    private final Memory set;

    SignalMask(Memory set) {
        this.set = set;
    }

    /** pthread_sigmask(SIG_SETMASK, this): the calling thread's mask becomes this one again. */
    public void restore() {
        LibC.checkReturned("pthread_sigmask(SIG_SETMASK)", LibC.pthread_sigmask(LibC.SIG_SETMASK, set, null));
    }
}

package dev.sandbox.launch;

import dev.sandbox.jna.NativeCallException;
import dev.sandbox.jna.Posix;
import java.util.ArrayList;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Passes SIGINT, SIGTERM and SIGHUP sent to the sandbox on to the program, as docker run and timeout do; the sandbox
 * itself then ends when the program does, with its status. Without this the JVM would exit at once and leave the
 * program running.
 */
public final class SignalForwarder {
    private static final String[] FORWARDED = {"INT", "TERM", "HUP"};

    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();

    private SignalForwarder() {}

    public static SignalForwarder install(int pid) {
        return install(sig -> {
            try {
                Posix.kill(pid, sig);
            } catch (NativeCallException e) {
                // ESRCH: the program is already gone; waitpid will say how it ended
            }
        });
    }

    /** Installs {@code onSignal} (called with the signal number) for the forwarded signals. */
    public static SignalForwarder install(java.util.function.IntConsumer onSignal) {
        SignalForwarder f = new SignalForwarder();
        for (String name : FORWARDED) {
            Signal s = new Signal(name);
            f.signals.add(s);
            f.previous.add(Signal.handle(s, sig -> onSignal.accept(sig.getNumber())));
        }
        return f;
    }

    public void uninstall() {
        for (int i = 0; i < signals.size(); i++) {
            Signal.handle(signals.get(i), previous.get(i));
        }
    }
}

package dev.sandbox.jna;

import com.sun.jna.Structure;

/**
 * Start-up work of JNA that a first static run does on a thread that would otherwise wait for it. JNA's first
 * binding reads the field order of its type structures, an annotation, and the JDK makes proxy classes to read one:
 * done here meanwhile, the binding finds it read. No JNA class is initialised, so nothing fails here that the run
 * would have met otherwise.
 */
public final class JnaStart {
    private JnaStart() {}

    /** Reads the annotation JNA's type structure ({@code Structure.FFIType}) is laid out by. */
    public static void readTypeLayout() {
        try {
            Class.forName("com.sun.jna.Structure$FFIType", false, JnaStart.class.getClassLoader())
                    .getAnnotation(Structure.FieldOrder.class);
        } catch (ClassNotFoundException | LinkageError e) {
            // the binding meets it again, and the run reports it as it always did
        }
    }
}

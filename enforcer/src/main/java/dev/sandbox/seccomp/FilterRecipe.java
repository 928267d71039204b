package dev.sandbox.seccomp;

import dev.sandbox.policy.SyscallRef;
import dev.sandbox.syscall.Arch;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The libseccomp calls that build one filter, in order, as data: what {@link FilterCompiler}, {@link LearnerGuard}
 * and {@link IsolationFilter} decided, for a libseccomp to carry out. Two things carry a recipe out, both mechanically
 * and both with libseccomp: {@code LibSeccomp.bpf} in the JVM, and native/src/recipe.c in sandbox-run, which
 * compiles a first run's policy while the JVM that wrote the recipe never loads JNA (JNA's start-up is most of a
 * first run's). The decisions stay here, in Java; a test holds the two executors to the same bytes.
 *
 * A context is {@code seccomp_init(default)} holding one arch (the native one, or another with the native one
 * removed, because libseccomp adds a rule to every arch of a context). {@link #serialize} is the layout recipe.h
 * reads.
 */
public final class FilterRecipe {
    /** recipe.h */
    static final int MAGIC = 0x50435253; // "SRCP"
    static final int VERSION = 1;
    static final int OP_INIT = 1;
    static final int OP_ATTR = 2;
    static final int OP_ADD_ARCH = 3;
    static final int OP_RULE = 4;
    static final int OP_RULE_NAMED = 5;
    static final int OP_MERGE = 6;

    /** One struct scmp_arg_cmp: argument {@code arg} compared by {@code op} (SCMP_CMP_*) with {@code a}, {@code b}. */
    public record ArgCmp(int arg, int op, long a, long b) {}

    /** One libseccomp call (or, for {@link Init}, the calls that make a one-arch context). */
    public sealed interface Op permits Init, Attr, AddArch, Rule, RuleNamed, Merge {
        /** The context the call works on. */
        int ctx();
    }

    /** {@code seccomp_init(defaultAction)}; unless {@code arch} is native, add it and remove the native one. */
    public record Init(int ctx, int defaultAction, int arch) implements Op {}

    /** {@code seccomp_attr_set}. */
    public record Attr(int ctx, int attr, int value) implements Op {}

    /** {@code seccomp_arch_add}: rules by name then apply to this arch too. */
    public record AddArch(int ctx, int arch) implements Op {}

    /** {@code seccomp_rule_add_array} with a syscall number (native numbers for a context of another arch). */
    public record Rule(int ctx, int action, int nr, List<ArgCmp> cmps) implements Op {}

    /**
     * {@code seccomp_rule_add_array} with {@code seccomp_syscall_resolve_name(name)}: libseccomp translates the name
     * into every arch of the context; a name no arch of this libseccomp knows adds nothing.
     */
    public record RuleNamed(int ctx, int action, String name, List<ArgCmp> cmps) implements Op {}

    /** {@code seccomp_merge(ctx, from)}: moves every rule of {@code from} (released) into {@code ctx}. */
    public record Merge(int ctx, int from) implements Op {}

    private final List<Op> ops = new ArrayList<>();
    /** Per op, what it worked on, for a failure message; null for a rule on a syscall named by its number. */
    private final List<String> whats = new ArrayList<>();
    private int contexts;
    private Context result;

    /** A new context holding only {@code arch} (an AUDIT_ARCH_* token, which libseccomp's arch tokens equal). */
    public Context context(int defaultAction, int arch) {
        Context c = new Context(contexts++);
        add(new Init(c.id, defaultAction, arch), null);
        return c;
    }

    /** The context whose filter this recipe makes; every other one must have been merged into it. */
    public FilterRecipe result(Context c) {
        result = c;
        return this;
    }

    public List<Op> ops() {
        return List.copyOf(ops);
    }

    public int contexts() {
        return contexts;
    }

    /** The context to export. */
    public int result() {
        if (result == null) {
            throw new IllegalStateException("a filter recipe without a result context");
        }
        return result.id;
    }

    /** What op {@code i} is called in a failure message: "seccomp_rule_add(read)". */
    public String call(int i) {
        Op op = ops.get(i);
        String what = whats.get(i);
        if (op instanceof Init) {
            return "seccomp_init";
        } else if (op instanceof Attr) {
            return "seccomp_attr_set(" + what + ")";
        } else if (op instanceof AddArch) {
            return "seccomp_arch_add(" + what + ")";
        } else if (op instanceof Merge) {
            return "seccomp_merge";
        } else if (what == null && op instanceof Rule r) {
            // made here, not per rule: a first run's compile adds hundreds of rules and fails none
            Init init = (Init) ops.stream().filter(o -> o instanceof Init && o.ctx() == r.ctx()).findFirst()
                    .orElseThrow();
            for (Arch a : Arch.values()) {
                if (a.auditArch() == init.arch()) {
                    return "seccomp_rule_add(" + SyscallRef.of(a, r.nr()) + ")";
                }
            }
            return "seccomp_rule_add(" + r.nr() + ")";
        }
        return "seccomp_rule_add(" + what + ")";
    }

    private void add(Op op, String what) {
        ops.add(op);
        whats.add(what);
    }

    /** One context of this recipe; its methods record calls, in order. */
    public final class Context {
        private final int id;

        private Context(int id) {
            this.id = id;
        }

        public Context attr(String what, int attr, int value) {
            add(new Attr(id, attr, value), what);
            return this;
        }

        /** Adds {@code arch} to the arches this context filters (rules by name then apply to each). */
        public Context addArch(String what, int arch) {
            add(new AddArch(id, arch), what);
            return this;
        }

        /**
         * "syscall {@code nr} gets {@code action}", when every comparison holds (none: always).
         *
         * @param what how a failure names the syscall; null: by its name or number on the context's arch
         */
        public Context rule(int action, int nr, String what, ArgCmp... cmps) {
            add(new Rule(id, action, nr, cmps.length == 0 ? List.of() : List.of(cmps)), what);
            return this;
        }

        /** The same by name, on every arch of this context that has it; nothing where none has. */
        public Context ruleNamed(int action, String name, String what, ArgCmp... cmps) {
            add(new RuleNamed(id, action, name, List.of(cmps)), what);
            return this;
        }

        /** Moves every rule of {@code other} (a context of another arch, same attributes) into this one. */
        public Context merge(Context other) {
            add(new Merge(id, other.id), null);
            return this;
        }
    }

    /** The layout of native/src/recipe.h: little-endian, ops in order, then the context to export. */
    public byte[] serialize() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + ops.size() * 16);
        out.writeBytes(ints(MAGIC, VERSION, contexts, result(), ops.size()));
        for (Op op : ops) {
            if (op instanceof Init o) {
                out.writeBytes(ints(OP_INIT, o.ctx(), o.defaultAction(), o.arch()));
            } else if (op instanceof Attr o) {
                out.writeBytes(ints(OP_ATTR, o.ctx(), o.attr(), o.value()));
            } else if (op instanceof AddArch o) {
                out.writeBytes(ints(OP_ADD_ARCH, o.ctx(), o.arch()));
            } else if (op instanceof Rule o) {
                out.writeBytes(ints(OP_RULE, o.ctx(), o.action(), o.nr(), o.cmps().size()));
                cmps(out, o.cmps());
            } else if (op instanceof RuleNamed o) {
                byte[] name = o.name().getBytes(StandardCharsets.UTF_8);
                out.writeBytes(ints(OP_RULE_NAMED, o.ctx(), o.action(), o.cmps().size(), name.length));
                cmps(out, o.cmps());
                out.writeBytes(name);
            } else if (op instanceof Merge o) {
                out.writeBytes(ints(OP_MERGE, o.ctx(), o.from()));
            }
        }
        return out.toByteArray();
    }

    private static void cmps(ByteArrayOutputStream out, List<ArgCmp> cmps) {
        for (ArgCmp c : cmps) {
            ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(c.arg()).putInt(c.op()).putLong(c.a()).putLong(c.b());
            out.writeBytes(b.array());
        }
    }

    private static byte[] ints(int... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }
}

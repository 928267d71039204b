package dev.sandbox.screen;

import com.google.gson.JsonObject;
import dev.sandbox.policy.Action;
import dev.sandbox.policy.Mode;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.Metadata;
import dev.sandbox.policy.PolicyFile;
import dev.sandbox.policy.SyscallRef;
import dev.sandbox.syscall.Arch;
import dev.sandbox.syscall.SyscallKnowledge;
import dev.sandbox.syscall.SyscallNames;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The state of an authoring session, with no terminal in it: which syscalls the policy lists, its mode and action,
 * the filter and cursor of the view. The screen draws it and sends it keys; the tests drive it directly too.
 */
public final class EditorModel {
    /** One row: a syscall with what the table and the learner know about it. */
    public record Row(String name, SyscallKnowledge.Entry kb, long count, String firstExe, String decidedBy) {}

    private final Policy original;
    private final JsonObject metadata;
    private final Set<String> listed = new TreeSet<>();
    private final Set<String> against;
    private final String againstName;
    private final List<Row> all = new ArrayList<>();
    private Mode mode;
    private Action action;
    private String filter = "";
    private boolean diffOnly;
    private int cursor;
    private boolean modified;

    public EditorModel(Policy policy, Policy against) {
        this.original = policy;
        this.metadata = policy.metadata();
        this.mode = policy.mode();
        this.action = policy.action();
        policy.syscalls().stream().filter(s -> s.arch() == Arch.X86_64).forEach(s -> listed.add(s.name()));
        this.against = new TreeSet<>();
        this.againstName = against == null ? null : against.source();
        if (against != null) {
            against.syscalls().forEach(s -> this.against.add(s.name()));
        }
        JsonObject counts = metadata.has("counts") ? metadata.getAsJsonObject("counts") : new JsonObject();
        JsonObject prov = metadata.has("provenance") ? metadata.getAsJsonObject("provenance") : new JsonObject();
        for (String name : SyscallNames.all(Arch.X86_64)) {
            JsonObject p = prov.has(name) ? prov.getAsJsonObject(name) : null;
            all.add(new Row(name, SyscallKnowledge.of(name), counts.has(name) ? counts.get(name).getAsLong() : -1,
                    p != null && p.has("first_executable") ? p.get("first_executable").getAsString() : null,
                    p != null && p.has("decided_by") ? p.get("decided_by").getAsString() : null));
        }
        // What the policy lists comes first, so it opens on the policy itself; then every other syscall. Sorted once:
        // a toggled row stays where it is.
        all.sort(Comparator.comparing((Row r) -> !listed.contains(r.name())).thenComparing(r -> r.kb().category())
                .thenComparing(Row::name));
    }

    /** The rows the current filter shows: the listed ones first, each part in category order. */
    public List<Row> visible() {
        List<Row> out = new ArrayList<>();
        for (Row r : all) {
            if (!filter.isEmpty() && !r.name().contains(filter) && !r.kb().category().equals(filter)) {
                continue;
            }
            if (diffOnly && listed.contains(r.name()) == against.contains(r.name())) {
                continue;
            }
            out.add(r);
        }
        return out;
    }

    public boolean isListed(String name) {
        return listed.contains(name);
    }

    /** '+' only in this policy, '-' only in the other one, ' ' the same (or no other policy). */
    public char diffMark(String name) {
        if (againstName == null || listed.contains(name) == against.contains(name)) {
            return ' ';
        }
        return listed.contains(name) ? '+' : '-';
    }

    public String againstName() {
        return againstName;
    }

    public int cursor() {
        return cursor;
    }

    public void move(int delta) {
        int n = visible().size();
        cursor = n == 0 ? 0 : Math.max(0, Math.min(n - 1, cursor + delta));
    }

    /** Lists or unlists the syscall under the cursor. */
    public void toggle() {
        List<Row> v = visible();
        if (v.isEmpty()) {
            return;
        }
        String name = v.get(cursor).name();
        if (!listed.remove(name)) {
            listed.add(name);
        }
        modified = true;
        move(0);
    }

    /** Lists {@code name}, shows it, and puts the cursor on it; false for an unknown name. */
    public boolean add(String name) {
        if (!SyscallNames.known(Arch.X86_64, name)) {
            return false;
        }
        modified |= listed.add(name);
        filter = "";
        diffOnly = false;
        List<Row> v = visible();
        for (int i = 0; i < v.size(); i++) {
            if (v.get(i).name().equals(name)) {
                cursor = i;
            }
        }
        return true;
    }

    /** Known names starting with {@code prefix}, for completion. */
    public List<String> complete(String prefix) {
        return SyscallNames.all(Arch.X86_64).stream().filter(n -> n.startsWith(prefix)).sorted().toList();
    }

    /** Shows only names containing {@code text} (or that category); the cursor lands on an exact match. */
    public void search(String text) {
        filter = text.trim();
        cursor = 0;
        List<Row> v = visible();
        for (int i = 0; i < v.size(); i++) {
            if (v.get(i).name().equals(filter)) {
                cursor = i;
            }
        }
    }

    public String filter() {
        return filter;
    }

    public void toggleDiffOnly() {
        if (againstName != null) {
            diffOnly = !diffOnly;
            cursor = 0;
        }
    }

    public boolean diffOnly() {
        return diffOnly;
    }

    public void switchMode() {
        mode = mode == Mode.ALLOW ? Mode.BLOCK : Mode.ALLOW;
        modified = true;
    }

    /** kill, errno EPERM, trap, log, then kill again. */
    public void cycleAction() {
        action = switch (action.kind()) {
            case KILL -> Action.errno(1);
            case ERRNO -> new Action(Action.Kind.TRAP, 0);
            case TRAP -> new Action(Action.Kind.LOG, 0);
            case LOG, ALLOW -> Action.KILL;
        };
        modified = true;
    }

    public Mode mode() {
        return mode;
    }

    public Action action() {
        return action;
    }

    public int listedCount() {
        return listed.size();
    }

    public boolean modified() {
        return modified;
    }

    public void saved() {
        modified = false;
    }

    /**
     * The policy as it now stands, keeping what this editor does not show (i386 syscalls, rules of syscalls not
     * listed, known_up_to, metadata). Refused, with the reason, when the enforcer could not start a program under it.
     */
    public Policy toPolicy() {
        List<SyscallRef> syscalls = new ArrayList<>();
        listed.forEach(n -> syscalls.add(new SyscallRef(Arch.X86_64, n)));
        original.syscalls().stream().filter(s -> s.arch() != Arch.X86_64).forEach(syscalls::add);
        Map<SyscallRef, Action> ruled = original.ruled();
        ruled.keySet().removeIf(s -> s.arch() == Arch.X86_64 && listed.contains(s.name()));
        Metadata meta = original.meta();
        if (!meta.isEmpty()) {
            meta = meta.toBuilder().edited((meta.edited() == null ? 0 : meta.edited()) + 1).build();
        }
        Policy p = new Policy(original.source(), mode, action, syscalls, Policy.group(ruled), original.knownUpTo(),
                meta).withIsolation(original.isolation());
        p.checkEnforceable();
        return p;
    }

    /** {@link #toPolicy()} in the file format. */
    public JsonObject toJson() {
        return PolicyFile.toJson(toPolicy());
    }

    public String header() {
        return original.source() + " - " + mode.label() + " mode, refused calls get " + action.describe() + " - "
                + listedCount() + " " + (mode == Mode.ALLOW ? "allowed" : "refused")
                + (modified ? " [modified]" : "") + (filter.isEmpty() ? "" : " - search: " + filter)
                + (diffOnly ? " - differences with " + againstName + " only" : "");
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}

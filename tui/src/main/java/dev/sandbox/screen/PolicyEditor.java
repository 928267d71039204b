package dev.sandbox.screen;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.TextColor;
import com.googlecode.lanterna.graphics.TextGraphics;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.screen.Screen;
import dev.sandbox.policy.Mode;
import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyException;
import dev.sandbox.policy.PolicyFile;
import dev.sandbox.syscall.SyscallKnowledge;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * {@code sandbox edit POLICY}: a full-screen authoring session over {@link EditorModel}. Every x86_64 syscall is a
 * row, grouped by category, with its learned count, risk and description; space toggles it, '/' searches, 'a' adds by
 * name with Tab completion, 'm'/'c' switch mode and action, 'd' shows only the differences with --against, 's' saves
 * (a backup of the previous file, then an atomic replace; a policy the loader would reject is never written).
 */
public final class PolicyEditor {
    private enum Input { NORMAL, SEARCH, ADD, CONFIRM_QUIT }

    private final EditorModel model;
    private final Path file;
    private final Screen screen;
    private Input input = Input.NORMAL;
    private final StringBuilder typed = new StringBuilder();
    private String status = "";
    private int top;

    public PolicyEditor(EditorModel model, Path file, Screen screen) {
        this.model = model;
        this.file = file;
        this.screen = screen;
    }

    /** Draws and handles keys until the person quits. */
    public void run() throws IOException {
        render();
        while (true) {
            KeyStroke k = screen.readInput();
            if (k == null || k.getKeyType() == KeyType.EOF) {
                return;
            }
            if (!handle(k)) {
                return;
            }
            render();
        }
    }

    /** @return false when the session ends */
    public boolean handle(KeyStroke k) {
        switch (input) {
            case SEARCH, ADD -> {
                return typing(k);
            }
            case CONFIRM_QUIT -> {
                Character c = k.getCharacter();
                if (c != null && (c == 'y' || c == 's')) {
                    return !save();
                }
                if (c != null && c == 'n') {
                    return false;
                }
                input = Input.NORMAL;
                status = "";
                return true;
            }
            default -> { }
        }
        status = "";
        int page = Math.max(1, screen.getTerminalSize().getRows() - 4);
        switch (k.getKeyType()) {
            case ArrowUp -> model.move(-1);
            case ArrowDown -> model.move(1);
            case PageUp -> model.move(-page);
            case PageDown -> model.move(page);
            case Home -> model.move(-100_000);
            case End -> model.move(100_000);
            case Enter -> model.toggle();
            case Escape -> model.search("");
            case Character -> {
                switch (k.getCharacter()) {
                    case ' ' -> model.toggle();
                    case 'k' -> model.move(-1);
                    case 'j' -> model.move(1);
                    case '/' -> start(Input.SEARCH);
                    case 'a' -> start(Input.ADD);
                    case 'm' -> model.switchMode();
                    case 'c' -> model.cycleAction();
                    case 'd' -> {
                        if (model.againstName() == null) {
                            status = "no --against policy to compare with";
                        } else {
                            model.toggleDiffOnly();
                        }
                    }
                    case 's' -> save();
                    case 'q' -> {
                        if (!model.modified()) {
                            return false;
                        }
                        input = Input.CONFIRM_QUIT;
                        status = "save the changes before quitting? y: save and quit, n: quit without saving, "
                                + "any other key: stay";
                    }
                    default -> { }
                }
            }
            default -> { }
        }
        return true;
    }

    private void start(Input mode) {
        input = mode;
        typed.setLength(0);
    }

    private boolean typing(KeyStroke k) {
        switch (k.getKeyType()) {
            case Escape -> input = Input.NORMAL;
            case Backspace -> {
                if (typed.length() > 0) {
                    typed.setLength(typed.length() - 1);
                }
            }
            case Tab -> {
                if (input == Input.ADD) {
                    List<String> options = model.complete(typed.toString());
                    if (options.size() == 1) {
                        typed.setLength(0);
                        typed.append(options.get(0));
                    } else if (!options.isEmpty()) {
                        typed.setLength(0);
                        typed.append(commonPrefix(options));
                        status = String.join(" ", options.subList(0, Math.min(12, options.size())))
                                + (options.size() > 12 ? " ..." : "");
                    }
                }
            }
            case Enter -> {
                String text = typed.toString();
                if (input == Input.SEARCH) {
                    model.search(text);
                } else if (!model.add(text)) {
                    status = "no x86_64 syscall is called \"" + text + "\" (Tab completes)";
                } else {
                    status = text + " is " + (model.mode() == Mode.ALLOW ? "allowed" : "refused");
                }
                input = Input.NORMAL;
            }
            case Character -> typed.append(k.getCharacter());
            default -> { }
        }
        return true;
    }

    /** @return whether the file was written */
    private boolean save() {
        Policy json;
        try {
            json = model.toPolicy();
        } catch (PolicyException e) {
            status = "not saved: " + e.userMessage();
            input = Input.NORMAL;
            return false;
        }
        try {
            Path backup = file.resolveSibling(file.getFileName() + ".bak");
            if (Files.exists(file)) {
                Files.copy(file, backup, StandardCopyOption.REPLACE_EXISTING);
            }
            PolicyFile.write(json, file);
            model.saved();
            boolean execve = model.mode() == Mode.ALLOW ? model.isListed("execve") : !model.isListed("execve");
            status = "saved " + file + " (previous version in " + backup.getFileName() + ")"
                    + (execve ? "" : "; note: execve is refused, so the enforcer cannot start a program with it");
            input = Input.NORMAL;
            return true;
        } catch (IOException e) {
            status = "not saved: " + e.getMessage();
            input = Input.NORMAL;
            return false;
        }
    }

    public void render() {
        screen.doResizeIfNecessary();
        TerminalSize size = screen.getTerminalSize();
        int cols = size.getColumns();
        int rows = size.getRows();
        screen.clear();
        TextGraphics g = screen.newTextGraphics();
        g.enableModifiers(SGR.REVERSE);
        g.putString(0, 0, Rows.pad(" sandbox edit " + model.header(), cols));
        g.disableModifiers(SGR.REVERSE);
        List<EditorModel.Row> visible = model.visible();
        int listRows = Math.max(1, rows - 3);
        int cursor = model.cursor();
        if (cursor < top) {
            top = cursor;
        } else if (cursor >= top + listRows) {
            top = cursor - listRows + 1;
        }
        top = Math.max(0, Math.min(top, Math.max(0, visible.size() - listRows)));
        for (int i = 0; i < listRows && top + i < visible.size(); i++) {
            EditorModel.Row r = visible.get(top + i);
            boolean high = r.kb().risk() == SyscallKnowledge.Risk.HIGH;
            String line = String.format("%c[%c] %-8s %-24s %9s %-6s %s", model.diffMark(r.name()),
                    model.isListed(r.name()) ? 'x' : ' ', r.kb().category(), r.name(),
                    r.count() >= 0 ? r.count() + "x" : "", r.kb().risk().label(), r.kb().description()
                            + (r.firstExe() != null ? " (first: " + r.firstExe() + ", " + r.decidedBy() + ")" : ""));
            g.setForegroundColor(high ? TextColor.ANSI.RED : TextColor.ANSI.DEFAULT);
            if (top + i == cursor) {
                g.enableModifiers(SGR.REVERSE);
            }
            g.putString(0, 1 + i, Rows.pad(line, cols));
            g.disableModifiers(SGR.REVERSE);
            g.setForegroundColor(TextColor.ANSI.DEFAULT);
        }
        String prompt = switch (input) {
            case SEARCH -> "search (name or category): " + typed;
            case ADD -> "add syscall (Tab completes): " + typed;
            default -> status;
        };
        g.putString(0, rows - 2, Rows.pad(prompt, cols));
        g.enableModifiers(SGR.BOLD);
        g.putString(0, rows - 1, Rows.pad("space toggle  / search  a add  m mode  c action"
                + (model.againstName() != null ? "  d differences" : "") + "  s save  q quit", cols));
        g.disableModifiers(SGR.BOLD);
        try {
            screen.refresh();
        } catch (IOException e) {
            // the terminal went away; the next read ends the session
        }
    }


    private static String commonPrefix(List<String> options) {
        String p = options.get(0);
        for (String o : options) {
            while (!o.startsWith(p)) {
                p = p.substring(0, p.length() - 1);
            }
        }
        return p;
    }
}

package dev.sandbox.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sandbox.policy.Policy;
import dev.sandbox.policy.PolicyLoader;
import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The recipe as native/src/recipe.c reads it: the constants and the byte layout. */
class FilterRecipeTest {
    private static String header() throws IOException {
        return Files.readString(Probes.root().resolve("native/src/recipe.h"));
    }

    private static long number(String h, String name) {
        Matcher m = Pattern.compile("\\b" + name + "\\s*=?\\s*(0x[0-9a-fA-F]+|\\d+)u?\\b").matcher(h);
        if (!m.find()) {
            throw new AssertionError(name + " not in recipe.h");
        }
        return Long.decode(m.group(1));
    }

    @Test
    @DisplayName("the constants agree with recipe.h")
    void constants() throws IOException {
        String h = header();
        assertEquals(FilterRecipe.MAGIC, (int) number(h, "RECIPE_MAGIC"));
        assertEquals(FilterRecipe.VERSION, number(h, "RECIPE_VERSION"));
        assertEquals(FilterRecipe.OP_INIT, number(h, "OP_INIT"));
        assertEquals(FilterRecipe.OP_ATTR, number(h, "OP_ATTR"));
        assertEquals(FilterRecipe.OP_ADD_ARCH, number(h, "OP_ADD_ARCH"));
        assertEquals(FilterRecipe.OP_RULE, number(h, "OP_RULE"));
        assertEquals(FilterRecipe.OP_RULE_NAMED, number(h, "OP_RULE_NAMED"));
        assertEquals(FilterRecipe.OP_MERGE, number(h, "OP_MERGE"));
    }

    /** Reads a serialized recipe back the way recipe.c does, as text, one op per line. */
    private static List<String> read(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<String> out = new ArrayList<>();
        assertEquals(FilterRecipe.MAGIC, b.getInt());
        assertEquals(FilterRecipe.VERSION, b.getInt());
        out.add("contexts " + b.getInt() + " result " + b.getInt());
        for (int i = 0, n = b.getInt(); i < n; i++) {
            int kind = b.getInt();
            int ctx = b.getInt();
            StringBuilder s = new StringBuilder(kind + " " + ctx);
            switch (kind) {
                case FilterRecipe.OP_INIT, FilterRecipe.OP_ATTR -> s.append(' ').append(Integer.toHexString(b.getInt()))
                        .append(' ').append(Integer.toHexString(b.getInt()));
                case FilterRecipe.OP_ADD_ARCH, FilterRecipe.OP_MERGE -> s.append(' ').append(Integer.toHexString(
                        b.getInt()));
                case FilterRecipe.OP_RULE, FilterRecipe.OP_RULE_NAMED -> {
                    s.append(' ').append(Integer.toHexString(b.getInt()));
                    int nr = kind == FilterRecipe.OP_RULE ? b.getInt() : 0;
                    int cmps = b.getInt();
                    int nameLen = kind == FilterRecipe.OP_RULE_NAMED ? b.getInt() : 0;
                    s.append(kind == FilterRecipe.OP_RULE ? " nr " + nr : "");
                    for (int c = 0; c < cmps; c++) {
                        s.append(" [").append(b.getInt()).append(' ').append(b.getInt()).append(' ')
                                .append(Long.toHexString(b.getLong())).append(' ').append(Long.toHexString(b.getLong()))
                                .append(']');
                    }
                    if (nameLen > 0) {
                        byte[] name = new byte[nameLen];
                        b.get(name);
                        s.append(" name ").append(new String(name, StandardCharsets.UTF_8));
                    }
                }
                default -> throw new AssertionError("op " + kind);
            }
            out.add(s.toString());
        }
        assertEquals(0, b.remaining(), "nothing after the last op");
        return out;
    }

    @Test
    @DisplayName("a recipe serializes every call in order, with its comparisons and names, and the result context")
    void layout() {
        FilterRecipe r = new FilterRecipe();
        FilterRecipe.Context a = r.context(0x7fff0000, 0xc000003e);
        a.attr("nnp", 3, 0).rule(0x50001, 83, null, new FilterRecipe.ArgCmp(1, 7, 0xffffffffL, 0x5412));
        FilterRecipe.Context b = r.context(0x80000000, 0x40000003);
        b.addArch("i386", 0x40000003).ruleNamed(0x50001, "socketcall", "i386 socketcall");
        a.merge(b);
        r.result(a);
        assertEquals(List.of("contexts 2 result 0", "1 0 7fff0000 c000003e", "2 0 3 0",
                "4 0 50001 nr 83 [1 7 ffffffff 5412]", "1 1 80000000 40000003", "3 1 40000003",
                "5 1 50001 name socketcall", "6 0 1"), read(r.serialize()));
        assertEquals("seccomp_rule_add(mkdir)", r.call(2), "a rule named by its number is named on its arch");
        assertEquals("seccomp_rule_add(i386 socketcall)", r.call(5));
        assertEquals("seccomp_merge", r.call(6));
        assertEquals("seccomp_attr_set(nnp)", r.call(1));
    }

    @Test
    @DisplayName("a policy's recipe reads back whole: every rule of the compiler, in number order")
    void policyRecipe() {
        Policy p = new PolicyLoader(w -> { }).parse(("{\"mode\":\"allow\",\"syscalls\":[\"read\",\"write\","
                + "\"execve\",\"i386:write\"],\"rules\":[{\"syscalls\":[\"mkdir\"],\"action\":\"errno\"}]}")
                .getBytes(StandardCharsets.UTF_8), "p.json");
        List<String> ops = read(new FilterCompiler().recipe(p).serialize());
        assertEquals("contexts 2 result 0", ops.get(0));
        // clone3 gets ENOSYS under every allowlist (libc falls back to clone)
        assertEquals(List.of("4 0 7fff0000 nr 0", "4 0 7fff0000 nr 1", "4 0 7fff0000 nr 59", "4 0 50001 nr 83",
                "4 0 50026 nr 435"),
                ops.stream().filter(o -> o.startsWith("4 0")).toList());
        assertEquals(List.of("5 1 7fff0000 name write"), ops.stream().filter(o -> o.startsWith("5 ")).toList());
    }
}

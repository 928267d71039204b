package dev.sandbox.policy;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every JSON example in the docs is a policy the loader accepts, so the docs cannot drift from the code. */
class DocsExamplesTest {
    private static final Pattern JSON_BLOCK = Pattern.compile("```json\\n(.*?)```", Pattern.DOTALL);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docs/policy-format.md", "README.md"})
    @DisplayName("every ```json block loads")
    void examplesLoad(String doc) throws IOException {
        Matcher m = JSON_BLOCK.matcher(Files.readString(Probes.root().resolve(doc)));
        List<String> blocks = new ArrayList<>();
        while (m.find()) {
            blocks.add(m.group(1));
        }
        assertFalse(blocks.isEmpty(), doc + " has no JSON examples");
        PolicyLoader loader = new PolicyLoader(w -> { });
        for (int i = 0; i < blocks.size(); i++) {
            loader.parse(blocks.get(i).getBytes(StandardCharsets.UTF_8), doc + " example " + (i + 1));
        }
    }
}

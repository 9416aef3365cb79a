package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import ofa4j.slicer.SearchStrategies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ofa slice --strategy / --evaluations}: every strategy by name, bad ones refused before the run is opened. */
class StrategyOptionTest {

    @TempDir Path dir;

    @Test
    void anUnknownStrategyIsRefusedWithTheAllowedNames() throws IOException {
        Path run = dir.resolve("no-run");
        CliRunner.Result r = CliRunner.run("slice", "--run", run.toString(), "--strategy", "amoeba");
        assertEquals(2, r.code(), r.err());
        assertEquals("ofa slice: --strategy: unknown search strategy 'amoeba'; allowed: "
                + String.join(", ", SearchStrategies.NAMES), r.err().strip());
        r = CliRunner.run("slice", "--run", run.toString(), "--strategy", "evolution", "--evaluations", "150");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("ofa slice: --evaluations: evaluations for evolution must be a multiple of the"
                + " population 100") && r.err().contains("found 150"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        r = CliRunner.run("slice", "--run", run.toString(), "--strategy", "bayes-opt", "--evaluations", "1");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("bayes-opt") && r.err().contains("found 1"), r.err());
        r = CliRunner.run("slice", "--run", run.toString(), "--strategy", "gradient", "--gradient-penalty", "quadratic");
        assertEquals(2, r.code(), r.err());
        assertEquals("ofa slice: --gradient-penalty: unknown gradient penalty 'quadratic': use linear or hinge",
                r.err().strip());
        r = CliRunner.run("slice", "--run", run.toString(), "--strategy", "gradient", "--gradient-lambda", "-1");
        assertEquals(2, r.code(), r.err());
        assertEquals("ofa slice: --gradient-lambda must be in [0, 100], found -1.0", r.err().strip());
        assertTrue(!Files.exists(run) && !Files.exists(Path.of("slice")), "nothing was written");
    }

    @Test
    void theHelpNamesEveryStrategy() {
        CliRunner.Result r = CliRunner.run("slice", "--help");
        assertEquals(0, r.code(), r.err());
        String help = r.out().replaceAll("\\s+", " ");
        for (String n : SearchStrategies.NAMES) {
            assertTrue(help.contains(n), n + " missing from: " + help);
        }
        assertTrue(help.contains("--evaluations=N"), help);
    }
}

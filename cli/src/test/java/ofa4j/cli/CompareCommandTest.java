package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import ofa4j.slicer.StrategyComparison;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ofa compare}: bad settings are one line, exit 2, before the run is opened or anything is written. */
class CompareCommandTest {

    @TempDir Path dir;

    private CliRunner.Result compare(String... extra) {
        String[] args = new String[extra.length + 5];
        args[0] = "compare";
        args[1] = "--run";
        args[2] = dir.resolve("no-run").toString();
        args[3] = "--out";
        args[4] = dir.resolve("out").toString();
        System.arraycopy(extra, 0, args, 5, extra.length);
        return CliRunner.run(args);
    }

    @Test
    void badSettingsAreOneLineNamingTheValue() {
        CliRunner.Result r = compare("--mode", "truth");
        assertEquals(2, r.code(), r.err());
        assertEquals("ofa compare: --mode: evaluation mode must be one of true, predictor; found 'truth'", r.err().strip());
        r = compare("--strategies", "random,annealing");
        assertEquals(2, r.code(), r.err());
        assertEquals("ofa compare: --strategies: unknown search strategy 'annealing'; allowed: "
                + String.join(", ", StrategyComparison.STRATEGIES), r.err().strip());
        r = compare("--strategies", "evolution", "--evaluations", "33");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("ofa compare: --evaluations: evaluations for evolution must be a multiple of 5")
                && r.err().contains("found 33"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        r = compare("--seeds", "0");
        assertEquals(2, r.code(), r.err());
        assertEquals("ofa compare: --seeds must be in [1, 100], found 0", r.err().strip());
        assertFalse(Files.exists(dir.resolve("out")), "nothing was written");
    }
}

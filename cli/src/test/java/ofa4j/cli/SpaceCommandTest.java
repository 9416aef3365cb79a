package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SpaceCommandTest {

    @Test
    void helpListsTheCommands() {
        CliRunner.Result r = CliRunner.run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("space"), r.out());
    }

    @Test
    void everyCommandAnswersHelpWithItsOwnUsage() {
        for (String cmd : java.util.List.of("run", "train", "profile", "predictor", "slice", "pareto", "serve", "eval",
                "export", "space", "bench")) {
            CliRunner.Result r = CliRunner.run(cmd, "--help");
            assertEquals(0, r.code(), cmd + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: ofa " + cmd), cmd + ": " + r.out());
            // every description is a valid format string: percent signs come out single, not raw
            assertTrue(!r.out().contains("%%") && !r.out().contains("%n"), cmd + ": " + r.out());
        }
        CliRunner.Result fit = CliRunner.run("predictor", "fit", "--help");
        assertEquals(0, fit.code(), fit.err());
        assertTrue(fit.out().startsWith("Usage: ofa predictor fit"), fit.out());
        CliRunner.Result train = CliRunner.run("train", "--help");
        assertTrue(train.out().contains("80% of an image folder") && train.out().contains("10% each"), train.out());
        assertTrue(!train.out().contains("Commands:"), "subcommands are not inherited: " + train.out());
        assertTrue(CliRunner.run("eval", "--version").out().contains(Ofa.VERSION));
    }

    @Test
    void describesThePresetWithCosts() {
        CliRunner.Result r = CliRunner.run("space", "--space", "fmnist");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("max  r28") && r.out().contains("8.754 M MACs"), r.out());
        assertTrue(r.out().contains("min  r20") && r.out().contains("1.409 M MACs"), r.out());
    }

    @Test
    void unknownSpaceIsOneLineAndExit2() {
        CliRunner.Result r = CliRunner.run("space", "--space", "imagenet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'imagenet'") && r.err().contains("fmnist"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void unknownOptionIsUsageError() {
        CliRunner.Result r = CliRunner.run("space", "--bogus");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--bogus"), r.err());
    }
}

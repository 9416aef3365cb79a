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

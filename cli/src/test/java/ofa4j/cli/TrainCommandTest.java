package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import ofa4j.supernet.data.FashionMnist;
import ofa4j.supernet.train.Phase;
import ofa4j.supernet.train.ProgressiveShrinkingTrainer;
import ofa4j.supernet.train.TrainingPreset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ofa train} options that the end-to-end pipeline test does not use. */
class TrainCommandTest {

    @TempDir Path dir;

    @Test
    void evalEveryEpochWritesAValidationCurveOnTheHighResolutionSpace() throws Exception {
        assumeTrue(Files.isDirectory(FashionMnist.SYSTEM_DIR), "Fashion-MNIST is not installed at " + FashionMnist.SYSTEM_DIR);
        Path out = dir.resolve("hr");
        CliRunner.Result r = CliRunner.run("train", "--preset", "quick", "--space", "fmnist-hr", "--train-images", "256",
                "--epochs", "2,1,1,1,1,1", "--subnets-per-step", "1,1,1,1,1,1", "--eval-every-epoch", "--quiet",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("space: fmnist-hr: ") && r.out().contains(
                "quick-custom preset: epochs [2, 1, 1, 1, 1, 1], subnets per step [1, 1, 1, 1, 1, 1], sandwich rule in no phase,"
                        + " weight decay 3.0E-5"),
                r.out());
        List<String> lines = Files.readAllLines(out.resolve(ProgressiveShrinkingTrainer.METRICS_FILE));
        assertEquals(7, lines.size(), String.join("\n", lines));
        for (String l : lines) {
            JsonObject m = JsonParser.parseString(l).getAsJsonObject();
            double max = m.get("val_acc_max").getAsDouble();
            double min = m.get("val_acc_min").getAsDouble();
            assertTrue(max >= 0 && max <= 1 && min >= 0 && min <= 1, l);
        }
        CliRunner.Result bad = CliRunner.run("train", "--space", "fmnist-x", "--out", dir.resolve("x").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("fmnist-x") && bad.err().contains("fmnist-hr"), bad.err());
    }

    @Test
    void sandwichFlagTakesPhaseNamesOrAllAndNamesABadOne() {
        TrainingPreset two = TrainCommand.customise(TrainingPreset.full(), null, null, null, null, List.of("Expand-1", " expand-2"), null);
        assertEquals("full-custom", two.name(), "another sampling rule is another schedule: resume refuses to mix them");
        assertEquals(List.of("expand-1", "expand-2"), two.sandwichPhases());
        assertEquals(Phase.PROGRESSIVE_SHRINKING_NAMES,
                TrainCommand.customise(TrainingPreset.full(), null, null, null, null, List.of("all"), null).sandwichPhases());
        assertEquals(List.of(), TrainCommand.customise(TrainingPreset.full(), null, null, null, null, List.of(" None"), null)
                .sandwichPhases(), "none: OFA's uniform sampling everywhere");
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
                () -> TrainCommand.customise(TrainingPreset.full(), null, null, null, null, List.of("all", "expand-1"), null));
        assertTrue(mixed.getMessage().contains("[all, expand-1]"), mixed.getMessage());
        TrainingPreset wd = TrainCommand.customise(TrainingPreset.quick(), null, null, null, null, null, 1e-4);
        assertEquals("quick-custom", wd.name(), "another weight decay is another recipe: resume refuses to mix them");
        assertEquals(1e-4, wd.weightDecay(), 0.0);
        assertEquals(TrainingPreset.quick().phaseEpochs(), wd.phaseEpochs());
        CliRunner.Result badWd = CliRunner.run("train", "--weight-decay", "-0.1", "--out", dir.resolve("w").toString());
        assertEquals(2, badWd.code());
        assertTrue(badWd.err().contains("--weight-decay") && badWd.err().contains("-0.1")
                && badWd.err().contains("[0, 1)"), badWd.err());
        CliRunner.Result bad = CliRunner.run("train", "--sandwich", "expand-1,expand3", "--out", dir.resolve("y").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("'expand3'") && bad.err().contains("depth-2"), bad.err());
        assertTrue(!Files.exists(dir.resolve("y").resolve(ProgressiveShrinkingTrainer.METRICS_FILE)), "nothing trained");
    }
}

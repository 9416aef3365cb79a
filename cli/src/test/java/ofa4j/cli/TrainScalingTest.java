package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.train.TrainingPreset;
import org.junit.jupiter.api.Test;

/** The schedule line of {@code ofa train} and {@code ofa run} with and without scaled epochs. */
class TrainScalingTest {

    @Test
    void scaledEpochsShowTheDataSizeAndTheStepsPerPhase() {
        SearchSpace s = SearchSpace.preset(SearchSpace.FMNIST);
        TrainingPreset q = TrainingPreset.quick();
        String line = TrainCommand.scheduleLine(s, q, q.scaledTo(1_439), 1_439);
        assertTrue(line.contains("quick preset: epochs [86, 15, 15, 15, 15, 15] (scaled to 1439 train images: steps per"
                + " phase [946, 165, 165, 165, 165, 165]), subnets per step [1, 1, 1, 1, 1, 1]"), line);
        assertTrue(line.endsWith("weight decay 3.0E-5"), line);
    }

    @Test
    void unscaledEpochsKeepTheLineAndAddTheSteps() {
        SearchSpace s = SearchSpace.preset(SearchSpace.FMNIST);
        TrainingPreset q = TrainingPreset.quick();
        String line = TrainCommand.scheduleLine(s, q, q.scaledTo(20_000), 20_000);
        assertTrue(line.contains("quick preset: epochs [6, 1, 1, 1, 1, 1], subnets per step [1, 1, 1, 1, 1, 1], sandwich"
                + " rule in no phase, weight decay 3.0E-5; steps per phase [936, 156, 156, 156, 156, 156]"), line);
        TrainingPreset custom = TrainCommand.customise(q, List.of(2, 1, 1, 1, 1, 1), null, 256, null, null, null);
        String given = TrainCommand.scheduleLine(s, custom, custom, 256);
        assertTrue(given.contains("quick-custom preset: epochs [2, 1, 1, 1, 1, 1], subnets per step"), given);
        assertTrue(given.endsWith("; steps per phase [4, 2, 2, 2, 2, 2]"), given);
    }
}

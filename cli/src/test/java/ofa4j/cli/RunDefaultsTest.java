package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The accuracy-table defaults of {@code ofa run} follow the preset (smoke must stay short). */
class RunDefaultsTest {

    @Test
    void tableSizeAndCalibrationFollowThePreset() {
        assertEquals(20, RunCommand.defaultSamples("smoke"));
        assertEquals(100, RunCommand.defaultCalibrationImages("smoke"));
        assertEquals(120, RunCommand.defaultSamples("quick"));
        assertEquals(500, RunCommand.defaultCalibrationImages("quick"));
        assertEquals(1500, RunCommand.defaultSamples("full"));
        assertEquals(2000, RunCommand.defaultCalibrationImages("full"));
        // the presets' own names, as TrainingPreset.named gives them
        for (String p : new String[] {"smoke", "quick", "full"}) {
            assertEquals(p, ofa4j.supernet.train.TrainingPreset.named(p).name());
        }
    }
}

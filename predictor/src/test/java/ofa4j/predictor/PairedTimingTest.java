package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

/** The interleaved timing of a model against the anchor: a model timed against itself has ratio 1. */
@org.junit.jupiter.api.Tag("perf") // compares timings: mvn -Pperf verify
class PairedTimingTest {

    @Test
    void aModelPairedWithItselfHasRatioOneAndALargerModelMore() {
        SearchSpace space = SearchSpace.fmnist();
        ExporterModels models = new ExporterModels();
        byte[] min = models.subnetModel(RandomWeights.subnet(space, space.min(), 1));
        ArchConfig max = space.max();
        byte[] big = models.subnetModel(RandomWeights.subnet(space, max, 1));
        try (OrtLatencyMeter m = new OrtLatencyMeter(space, models, 1, 1, 5, 40, 1)) {
            double[] self = m.pairedMs(min, min, 4);
            assertEquals(3, self.length);
            assertTrue(self[0] > 0 && self[1] > 0);
            // same model, same moments: only run-to-run jitter separates the two medians
            assertEquals(1.0, self[2], 0.25, "ratio of a model to itself: " + self[2]);
            double[] vs = m.pairedMs(big, min, 4);
            // the max subnet has ~6x the MACs of the min subnet: clearly slower whatever the load
            assertTrue(vs[2] > 1.5, "max / min ratio " + vs[2]);
            assertThrows(IllegalArgumentException.class, () -> m.pairedMs(min, min, 0));
        }
    }
}

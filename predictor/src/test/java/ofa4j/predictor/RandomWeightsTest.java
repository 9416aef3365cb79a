package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ofa4j.models.ArchConfig;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;
import org.junit.jupiter.api.Test;

class RandomWeightsTest {

    private final SearchSpace space = SearchSpace.fmnist();

    @Test
    void randomSubnetsAreValidSeededAndWellScaled() {
        ArchConfig a = space.sample(new java.util.SplittableRandom(3));
        Subnet s = RandomWeights.subnet(space, a, 5);
        assertEquals(Subnet.layout(space, a).keySet(), s.tensors().keySet());
        assertEquals(s.tensors(), RandomWeights.subnet(space, a, 5).tensors());
        assertNotEquals(s.tensors(), RandomWeights.subnet(space, a, 6).tensors());
        for (var e : s.tensors().entrySet()) {
            Tensor t = e.getValue();
            double min = Double.MAX_VALUE;
            double sq = 0;
            for (float v : t.data()) {
                min = Math.min(min, v);
                sq += v * v;
            }
            if (e.getKey().endsWith(".var")) {
                assertTrue(min >= 0.5, e.getKey() + " must stay positive, min " + min);
            }
            if (e.getKey().endsWith("dw.weight")) {
                // He normal: variance 2 / fan-in (k*k)
                int k = t.dim(2);
                assertEquals(2.0 / (k * k), sq / t.size(), 0.5 * 2.0 / (k * k), e.getKey());
            }
        }
    }

    @Test
    void ortMeterTimesLayersAndSubnetsAtAnyBatch() {
        LayerSpec stem = space.layers(space.max()).get(0);
        // layer models have a dynamic batch, like whole models: a profile can time batch 4
        assertArrayEquals(new long[] {4, 1, 28, 28}, OrtLatencyMeter.inputShape(new ExporterModels().layerModel(stem, 1), 4));
        try (OrtLatencyMeter m = new OrtLatencyMeter(space, new ExporterModels(), 1, 4, 1, 3, 1)) {
            assertTrue(m.layerMs(stem) > 0);
            assertTrue(m.subnetMs(space.min()) > 0);
        }
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> new OrtLatencyMeter(space, new ExporterModels(), 0, 1, 1, 1, 1));
        assertTrue(bad.getMessage().contains("threads >= 1"), bad.getMessage());
    }
}

package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.LatencyPredictor;
import ofa4j.predictor.LayerVariants;
import org.junit.jupiter.api.Test;

class TabulatedLatencyTest {

    /** A profile whose table entries are distinct irregular numbers, so that a wrong look-up shows. */
    static DeviceProfile profile(SearchSpace space, String name) {
        Map<String, Double> lut = new LinkedHashMap<>();
        SplittableRandom rng = new SplittableRandom(5);
        for (Map.Entry<String, LayerSpec> e : LayerVariants.enumerate(space).entrySet()) {
            lut.put(e.getKey(), 0.003 + CostModel.macs(e.getValue()) * 1.3e-6 * rng.nextDouble(0.8, 1.2));
        }
        return new DeviceProfile(name, "onnxruntime", 1, 1, space,
                new DeviceProfile.Measurement("h", "os", "cpu", "2026-01-01T00:00:00Z", 0, 1, lut.size(), 0, 0, 0, 0),
                lut, 0.0371, 1.173);
    }

    private static void sameAsProfile(SearchSpace space, int samples) {
        DeviceProfile p = profile(space, "lut-" + space.name());
        LatencyPredictor t = TabulatedLatency.of(p);
        assertTrue(t instanceof TabulatedLatency);
        assertEquals(p.deviceName(), t.deviceName());
        assertEquals(p.predictMs(space.max()), t.predictMs(space.max()), 0.0);
        assertEquals(p.predictMs(space.min()), t.predictMs(space.min()), 0.0);
        SplittableRandom rng = new SplittableRandom(9);
        for (int i = 0; i < samples; i++) {
            ArchConfig a = space.sample(rng);
            assertEquals(p.predictMs(a), t.predictMs(a), 0.0, a.key());
        }
    }

    @Test
    void equalsTheProfileBitForBitOnFmnist() {
        sameAsProfile(SearchSpace.fmnist(), 3000);
    }

    @Test
    void equalsTheProfileBitForBitOnOfaImageNetSpace() {
        sameAsProfile(SearchSpace.ofaMbv3W10(3, 1000, java.util.List.of(160, 176, 192, 224)), 300);
    }

    @Test
    void otherPredictorsAndIncompleteTablesAreLeftAlone() {
        SearchSpace space = SearchSpace.fmnist();
        TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(space);
        assertSame(cpu, TabulatedLatency.of(cpu));
        DeviceProfile full = profile(space, "partial");
        Map<String, Double> lut = new LinkedHashMap<>(full.lutMs());
        lut.remove(lut.keySet().iterator().next());
        DeviceProfile partial = new DeviceProfile("partial", "onnxruntime", 1, 1, space, full.measurement(), lut, 0, 1);
        assertSame(partial, TabulatedLatency.of(partial));
    }

    @Test
    void searchesUseTheTableAndStillMeetTheProfilesBound() {
        SearchSpace space = SearchSpace.fmnist();
        DeviceProfile p = profile(space, "lut");
        double bound = (p.predictMs(space.min()) + p.predictMs(space.max())) / 2;
        ConstrainedSpace cs = ConstrainedSpace.of(space, Constraint.builder().maxLatencyMs(p, bound).build());
        assertTrue(cs.devices().get(0) instanceof TabulatedLatency);
        SearchResult r = EvolutionSearch.builder().optGenerations(20).build()
                .search(cs, new TestPredictors.SmoothAccuracy(space, 1), 4);
        assertTrue(p.predictMs(r.best().arch()) <= bound);
        assertEquals(p.predictMs(r.best().arch()), r.best().costs().latencyMs("lut"), 0.0);
    }
}

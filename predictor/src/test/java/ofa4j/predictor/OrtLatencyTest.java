package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

/**
 * Profiles this machine in ONNX Runtime (1 thread, batch 1) and checks the latency model on 30
 * other random fmnist subnets measured end to end. The machine is shared, so the ceiling is loose;
 * the real figure is printed.
 */
@org.junit.jupiter.api.Tag("perf") // wall-clock assertion: mvn -Pperf verify
class OrtLatencyTest {

    @Test
    void profilePredictsMeasuredLatencyOfRandomSubnets() {
        LatencyCheck.assumeQuietMachine();
        SearchSpace space = SearchSpace.fmnist();
        try (OrtLatencyMeter meter = new OrtLatencyMeter(space, new ExporterModels(), 1, 1, 20, 100, 7)) {
            DeviceProfile p = Profiler.profile(space, meter, "cpu-ort-1t", 30, 11, true, null);
            Profiler.HeldOut h = LatencyCheck.heldOut(p, meter, space, "ORT 1t b1");
            assertEquals(LayerVariants.enumerate(space).size(), p.lutMs().size());
            assertTrue(h.mapePercent() < 25, h.toString());
        }
    }
}

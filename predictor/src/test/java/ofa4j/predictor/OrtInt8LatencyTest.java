package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

/**
 * Profiles this machine for INT8 models in ONNX Runtime (1 thread, batch 1) and checks the latency
 * model on 30 other random fmnist subnets, exported in INT8 QDQ form and measured end to end. As
 * for {@link OrtLatencyTest}, the ceiling is loose on a shared machine; the real figure is printed.
 */
@org.junit.jupiter.api.Tag("perf") // wall-clock assertion: mvn -Pperf verify
class OrtInt8LatencyTest {

    @Test
    void int8ProfilePredictsMeasuredLatencyOfRandomInt8Subnets() {
        LatencyCheck.assumeQuietMachine();
        SearchSpace space = SearchSpace.fmnist();
        try (OrtLatencyMeter meter = new OrtLatencyMeter(space, new ExporterModels(Precision.INT8), 1, 1, 20, 100, 7)) {
            DeviceProfile p = Profiler.profile(space, meter, "cpu-ort-1t-int8", 30, 11, true, null);
            assertEquals(Precision.INT8, p.precision());
            Profiler.HeldOut h = LatencyCheck.heldOut(p, meter, space, "ORT INT8 1t b1");
            assertEquals(LayerVariants.enumerate(space).size(), p.lutMs().size());
            assertTrue(h.mapePercent() < 25, h.toString());
        }
    }
}

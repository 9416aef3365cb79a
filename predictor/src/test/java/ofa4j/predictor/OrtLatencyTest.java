package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

/**
 * Profiles this machine in ONNX Runtime (1 thread, batch 1) and checks the latency model on 30
 * other random fmnist subnets measured end to end. The machine is shared, so the ceiling is loose;
 * the real figure is printed.
 */
class OrtLatencyTest {

    @Test
    void profilePredictsMeasuredLatencyOfRandomSubnets() {
        SearchSpace space = SearchSpace.fmnist();
        try (OrtLatencyMeter meter = new OrtLatencyMeter(space, new ExporterModels(), 1, 1, 20, 100, 7)) {
            DeviceProfile p = Profiler.profile(space, meter, "cpu-ort-1t", 30, 11, true, null);
            List<ArchConfig> test = AccuracyDatasetBuilder.sampleDistinct(space, 30, 12345);
            double ape = 0;
            double rawApe = 0;
            for (ArchConfig a : test) {
                double m = meter.subnetMs(a);
                ape += Math.abs(p.predictMs(a) - m) / m;
                rawApe += Math.abs(p.lutSumMs(a) - m) / m;
            }
            double mape = 100 * ape / test.size();
            System.out.printf(Locale.ROOT,
                    "ORT profile: %d variants, profile %.1f s, fit %.4f + %.3f x sum (fit MAPE %.2f%%); held-out MAPE %.2f%% (raw LUT sum %.2f%%)%n",
                    p.lutMs().size(), p.measurement().profileSeconds(), p.interceptMs(), p.scale(),
                    p.measurement().fitMapePercent(), mape, 100 * rawApe / test.size());
            assertEquals(LayerVariants.enumerate(space).size(), p.lutMs().size());
            assertTrue(mape < 25, "MAPE " + mape);
        }
    }
}

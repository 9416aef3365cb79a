package ofa4j.exporter;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.testing.RandomSubnets;
import org.junit.jupiter.api.Test;

/**
 * Measures export time and ONNX Runtime batch-1 median latency (1 intra-op thread) of the fmnist
 * max and min subnets and prints them (a quick figure for reports, not a benchmark: the jmh module
 * owns those).
 */
@org.junit.jupiter.api.Tag("perf") // wall-clock assertion: mvn -Pperf verify
class ExportTimingTest {

    @Test
    void exportAndLatencyOfFmnistMaxAndMin() {
        SearchSpace space = SearchSpace.fmnist();
        String[] names = {"max", "min"};
        ArchConfig[] archs = {space.max(), space.min()};
        for (int a = 0; a < archs.length; a++) {
            ArchConfig arch = archs[a];
            Subnet s = RandomSubnets.create(space, arch, 1);
            for (int i = 0; i < 5; i++) {
                OnnxExporter.toBytes(s, Map.of()); // JIT warm-up
            }
            int reps = 21;
            double[] times = new double[reps];
            byte[] model = null;
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                model = OnnxExporter.toBytes(s, Map.of());
                times[i] = (System.nanoTime() - t0) / 1e6;
            }
            java.util.Arrays.sort(times);
            double exportMs = times[reps / 2];
            double latencyMs = Verifier.medianLatencyMs(model, 1, 50, 500);
            System.out.printf(
                    "TIMING %s %s: export %.2f ms (median of %d after warm-up), %d bytes; ORT batch-1 median %.4f ms (1 intra-op thread, 50 warm-up, 500 runs)%n",
                    names[a], arch.key(), exportMs, reps, model.length, latencyMs);
            double layerSum = 0;
            for (ofa4j.models.LayerSpec l : s.layers()) {
                layerSum += Verifier.medianLatencyMs(OnnxExporter.layerModel(l, 1), 1, 20, 200);
            }
            System.out.printf(
                    "TIMING %s: sum of %d single-layer ORT medians %.4f ms vs whole model %.4f ms%n",
                    names[a], s.layers().size(), layerSum, latencyMs);
            assertTrue(exportMs > 0 && exportMs < 5000, "export took " + exportMs + " ms");
            assertTrue(latencyMs > 0 && latencyMs < 1000, "latency " + latencyMs + " ms");
        }
    }
}

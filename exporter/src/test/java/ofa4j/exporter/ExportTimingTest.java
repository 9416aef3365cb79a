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
class ExportTimingTest {

    @Test
    void exportAndLatencyOfFmnistMaxAndMin() {
        SearchSpace space = SearchSpace.fmnist();
        for (ArchConfig arch : new ArchConfig[] {space.max(), space.min()}) {
            Subnet s = RandomSubnets.create(space, arch, 1);
            for (int i = 0; i < 5; i++) {
                OnnxExporter.toBytes(s, Map.of()); // JIT warm-up
            }
            int reps = 10;
            long t0 = System.nanoTime();
            byte[] model = null;
            for (int i = 0; i < reps; i++) {
                model = OnnxExporter.toBytes(s, Map.of());
            }
            double exportMs = (System.nanoTime() - t0) / 1e6 / reps;
            double latencyMs = Verifier.medianLatencyMs(model, 1, 50, 500);
            System.out.printf(
                    "TIMING %s %s: export %.2f ms (mean of %d after warm-up), %d bytes; ORT batch-1 median %.4f ms (1 intra-op thread, 50 warm-up, 500 runs)%n",
                    arch == space.max() ? "max" : "min", arch.key(), exportMs, reps, model.length, latencyMs);
            assertTrue(exportMs > 0 && exportMs < 5000, "export took " + exportMs + " ms");
            assertTrue(latencyMs > 0 && latencyMs < 1000, "latency " + latencyMs + " ms");
        }
    }
}

package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

/**
 * Profiles this machine in DJL's PyTorch engine (1 thread; batch 1 and batch 8) and checks the
 * latency model on 30 other random fmnist subnets measured end to end. The machine is shared, so
 * the ceiling is loose; the real figures are printed. Held-out MAPE seen on 2026-11-29: idle, with
 * the median of passes, 6-13%, and once above 25% in CI; since profiles and this check keep each
 * entry's fastest pass, 5-14% even beside a training run that kept 1.5-1.8 other cores busy (the
 * quiet-machine check lifted by hand for that).
 */
@org.junit.jupiter.api.Tag("perf") // wall-clock assertion: mvn -Pperf verify
class DjlLatencyTest {

    @Test
    void pytorchProfilePredictsMeasuredLatencyAtBatch1And8() {
        LatencyCheck.assumeQuietMachine();
        SearchSpace space = SearchSpace.fmnist();
        double b1Max;
        try (DjlLatencyMeter meter = new DjlLatencyMeter(space, 1, 1, 5, 25, 7)) {
            DeviceProfile p = Profiler.profile(space, meter, DjlLatencyMeter.defaultDeviceName(1, 1), 30, 11, true, null);
            assertEquals("pytorch", p.engine());
            assertEquals(1, p.batchSize());
            assertEquals(LayerVariants.enumerate(space).size(), p.lutMs().size());
            Profiler.HeldOut h = LatencyCheck.heldOut(p, meter, space, "PyTorch 1t b1");
            assertTrue(h.mapePercent() < 25, "b1 " + h);
            b1Max = p.predictMs(space.max());
        }
        try (DjlLatencyMeter meter = new DjlLatencyMeter(space, 1, 8, 3, 9, 7)) {
            DeviceProfile p = Profiler.profile(space, meter, DjlLatencyMeter.defaultDeviceName(1, 8), 20, 11, true, null);
            assertEquals("cpu-pt-1t-b8", p.name());
            assertEquals(8, p.batchSize());
            Profiler.HeldOut h = LatencyCheck.heldOut(p, meter, space, "PyTorch 1t b8");
            assertTrue(h.mapePercent() < 25, "b8 " + h);
            // eight images cost more than one (measured only 1.4-2x: at batch 1 DJL's per-operator
            // call overhead dominates)
            assertTrue(p.predictMs(space.max()) > 1.1 * b1Max,
                    "batch 8 " + p.predictMs(space.max()) + " ms vs batch 1 " + b1Max + " ms");
        }
    }

    @Test
    void badCountsAreRefusedNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DjlLatencyMeter(SearchSpace.fmnist(), 1, 0, 1, 1, 1));
        assertTrue(e.getMessage().contains("batch >= 1") && e.getMessage().contains("0"), e.getMessage());
    }
}

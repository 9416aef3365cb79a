package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.LatencyPredictor;
import org.junit.jupiter.api.Test;

class SlicingServiceTest {

    private final SearchSpace space = SearchSpace.fmnist();
    private final TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(space);
    private final TestPredictors.LayerLatency slow = new TestPredictors.LayerLatency(space, "test-slow", 0.05, 3e-6);

    private SlicingService service() {
        Map<String, LatencyPredictor> devices = new LinkedHashMap<>();
        devices.put("test-cpu", cpu);
        devices.put("test-slow", slow);
        return new SlicingService(space, new TestPredictors.SmoothAccuracy(space, 3), devices,
                EvolutionSearch.builder().optGenerations(20).build(), 1);
    }

    @Test
    void answersRequestsAndCachesThem() {
        SlicingService s = service();
        assertEquals(java.util.List.of("test-cpu", "test-slow"), s.devices());
        Constraint c = s.constraint("test-slow", 20.0, null, null, null, 24, null);
        SearchResult r = s.slice("test-slow", c);
        assertTrue(r.best().costs().latencyMs("test-slow") <= 20.0);
        assertTrue(r.best().arch().resolution() >= 24);
        assertSame(r, s.slice("test-slow", s.constraint("test-slow", 20.0, null, null, null, 24, null)));
        assertEquals(1, s.cachedResults());
        // without a latency bound the device's latency is still reported
        SearchResult m = s.slice("test-cpu", s.constraint("test-cpu", null, 3_000_000L, null, null, null, null));
        assertTrue(m.best().costs().latencyMs().containsKey("test-cpu"));
        JsonObject j = ofa4j.models.JsonFiles.GSON.toJsonTree(r.toJson()).getAsJsonObject();
        assertEquals(r.best().arch(), ArchConfig.fromJsonTree(j.getAsJsonObject("arch")));
        assertEquals(r.best().arch().key(), j.get("key").getAsString());
        assertEquals(r.best().predictedAccuracy(), j.getAsJsonObject("predicted").get("accuracy").getAsDouble());
        assertEquals(20.0, j.getAsJsonObject("constraint").getAsJsonObject("max_latency_ms").get("test-slow")
                .getAsDouble());
        assertEquals(24, j.getAsJsonObject("constraint").get("min_resolution").getAsInt());
    }

    @Test
    void unknownDeviceAndImpossibleBoundsAreNamed() {
        SlicingService s = service();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.constraint("phone", 1.0, null, null, null, null, null));
        assertTrue(e.getMessage().contains("'phone'") && e.getMessage().contains("[test-cpu, test-slow]"),
                e.getMessage());
        InfeasibleConstraintException x = assertThrows(InfeasibleConstraintException.class,
                () -> s.slice("test-cpu", s.constraint("test-cpu", 0.01, null, null, null, null, null)));
        assertTrue(x.getMessage().contains(String.format(java.util.Locale.ROOT, "%.3f ms", cpu.predictMs(space.min()))),
                x.getMessage());
    }
}

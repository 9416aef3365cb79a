package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import ofa4j.models.CostModel;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

class ConstraintTest {

    private final SearchSpace space = SearchSpace.fmnist();
    private final TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(space);
    private final CostModel costs = new CostModel(space);

    /**
     * Runs a search on an impossible constraint; it must throw at once with the cheapest value:
     * before a single subnet was sent to the predictor (a count, not a wall-clock time).
     */
    private InfeasibleConstraintException failsFast(Constraint c) {
        TestPredictors.SmoothAccuracy predictor = new TestPredictors.SmoothAccuracy(space, 1);
        InfeasibleConstraintException e = assertThrows(InfeasibleConstraintException.class,
                () -> EvolutionSearch.ofaDefaults().search(space, predictor, c, 0));
        assertEquals(0, predictor.predicted(), "subnets predicted before the refusal");
        return e;
    }

    @Test
    void describeNamesEveryBound() {
        Constraint c = Constraint.builder().maxLatencyMs(cpu, 2.5).maxMacs(3_000_000).maxParams(400_000)
                .maxPeakMemoryBytes(20_480).minResolution(24).maxResolution(28).build();
        assertEquals("latency[test-cpu] <= 2.500 ms, MACs <= 3.000 M (3000000), params <= 0.400 M (400000),"
                + " peak memory <= 20.0 KiB (20480 B), resolution in [24, 28]", c.describe());
        assertEquals("unconstrained", Constraint.none().describe());
        assertTrue(Constraint.none().isNone());
    }

    @Test
    void andKeepsTheTighterBounds() {
        TestPredictors.LayerLatency gpu = new TestPredictors.LayerLatency(space, "test-gpu", 0.001, 1e-8);
        Constraint a = Constraint.builder().maxLatencyMs(cpu, 3).maxMacs(5_000_000).minResolution(20).build();
        Constraint b = Constraint.builder().maxLatencyMs(cpu, 2).maxLatencyMs(gpu, 1).maxMacs(6_000_000)
                .minResolution(24).maxResolution(28).maxParams(1000).build();
        Constraint c = a.and(b);
        assertEquals(2, c.latencyBounds().size());
        assertEquals(2.0, c.latencyBounds().get(0).maxMs());
        assertEquals("test-gpu", c.latencyBounds().get(1).predictor().deviceName());
        assertEquals(5_000_000L, c.maxMacs());
        assertEquals(1000L, c.maxParams());
        assertEquals(24, c.minResolution());
        assertEquals(28, c.maxResolution());
    }

    @Test
    void badBoundsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Constraint.builder().maxMacs(-5).build());
        assertTrue(e.getMessage().contains("max MACs") && e.getMessage().contains("-5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Constraint.builder().maxLatencyMs(cpu, 0).build());
        assertTrue(e.getMessage().contains("test-cpu") && e.getMessage().contains("0.0"), e.getMessage());
        TestPredictors.LayerLatency twin = new TestPredictors.LayerLatency(space, "test-cpu", 0.5, 1e-6);
        e = assertThrows(IllegalArgumentException.class,
                () -> Constraint.builder().maxLatencyMs(cpu, 2).maxLatencyMs(twin, 3).build());
        assertTrue(e.getMessage().contains("'test-cpu'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Constraint.builder().minResolution(28).maxResolution(24).build());
        assertTrue(e.getMessage().contains("28") && e.getMessage().contains("24"), e.getMessage());
    }

    @Test
    void macsBelowTheSmallestSubnetFailFastWithTheCheapestValue() {
        long min = costs.macs(space.min());
        InfeasibleConstraintException e = failsFast(Constraint.builder().maxMacs(min - 1).build());
        assertTrue(e.getMessage().contains(Constraint.formatCount(min)), e.getMessage());
        assertEquals(min, e.cheapest().get("macs"));
    }

    @Test
    void paramsAndMemoryBelowTheSmallestSubnetFailFast() {
        long p = costs.params(space.min());
        InfeasibleConstraintException e = failsFast(Constraint.builder().maxParams(p / 2).build());
        assertTrue(e.getMessage().contains("max params") && e.getMessage().contains(Constraint.formatCount(p)),
                e.getMessage());
        long m = costs.peakActivationBytes(space.min());
        e = failsFast(Constraint.builder().maxPeakMemoryBytes(m - 4).build());
        assertTrue(e.getMessage().contains("max peak memory") && e.getMessage().contains(Constraint.formatBytes(m)),
                e.getMessage());
    }

    @Test
    void latencyBelowTheSmallestSubnetFailsFastWithItsLatency() {
        double min = cpu.predictMs(space.min());
        InfeasibleConstraintException e = failsFast(Constraint.builder().maxLatencyMs(cpu, min * 0.9).build());
        assertTrue(e.getMessage().contains(String.format(Locale.ROOT, "%.3f ms", min)), e.getMessage());
        assertEquals(min, e.cheapest().get("latency_ms[test-cpu]"), 1e-12);
    }

    @Test
    void cheapestValueHonoursTheResolutionBounds() {
        // at min resolution 28 the smallest subnet is the min config at 28 px, not at 20 px
        long at28 = costs.macs(space.uniform(3, 3, 2, 28));
        InfeasibleConstraintException e =
                failsFast(Constraint.builder().minResolution(28).maxMacs(costs.macs(space.min())).build());
        assertTrue(e.getMessage().contains(Constraint.formatCount(at28)), e.getMessage());
    }

    @Test
    void resolutionOutsideTheSpaceListsTheAllowedResolutions() {
        InfeasibleConstraintException e = failsFast(Constraint.builder().maxResolution(16).build());
        assertTrue(e.getMessage().contains("[20, 24, 28]") && e.getMessage().contains("16"), e.getMessage());
        e = failsFast(Constraint.builder().minResolution(32).build());
        assertTrue(e.getMessage().contains("[20, 24, 28]") && e.getMessage().contains("32"), e.getMessage());
        assertEquals(List.of(24, 28), ConstrainedSpace.allowedResolutions(space,
                Constraint.builder().minResolution(21).maxResolution(40).build()));
    }

    @Test
    void boundExactlyAtTheSmallestSubnetIsFeasible() {
        Constraint c = Constraint.builder().maxMacs(costs.macs(space.min())).build();
        ConstrainedSpace cs = ConstrainedSpace.of(space, c);
        assertEquals(List.of(space.min()), cs.feasibleMinConfigs());
        assertTrue(cs.satisfies(space.min()));
        assertFalse(cs.satisfies(space.max()));
        long t0 = System.nanoTime();
        SearchResult r = EvolutionSearch.ofaDefaults().search(space, new TestPredictors.SmoothAccuracy(space, 1), c, 3);
        double ms = (System.nanoTime() - t0) / 1e6;
        assertEquals(space.min().key(), r.best().arch().key());
        assertTrue(ms < 2000, "took " + ms + " ms");
        // mutants that resample every gene never hit the only feasible subnet: every child is a give-up
        // and the search stops after one generation instead of spending 500 x 100 x 50 rejections
        SearchResult stop = EvolutionSearch.builder().optArchMutateProb(1).optResolutionMutateProb(1)
                .optMutationRatio(1).optRejection(new RejectionPolicy(50, true)).build()
                .search(space, new TestPredictors.SmoothAccuracy(space, 1), c, 3);
        assertEquals(space.min().key(), stop.best().arch().key());
        assertTrue(stop.notes().stream().anyMatch(x -> x.startsWith("stopped after generation 1 of 500")),
                stop.notes().toString());
        assertTrue(stop.notes().stream().anyMatch(x -> x.contains("gave up 100 mutations")), stop.notes().toString());
        assertEquals(200, stop.evaluations());
        SearchResult n = Nsga2Search.builder(CostAxis.macs()).build()
                .search(space, new TestPredictors.SmoothAccuracy(space, 1), c, 3);
        assertEquals(List.of(space.min().key()), n.front().stream().map(x -> x.arch().key()).toList());
    }
}

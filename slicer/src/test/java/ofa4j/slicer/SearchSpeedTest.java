package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

/**
 * Times one constrained search with OFA's default budget (population 100 x 500 generations =
 * 50,100 predictor evaluations) on fmnist with the cheap test predictors, after one warm-up run.
 * OFA's Python reference takes ~22 s for this; the goal is <= 1 s. The bound asserted is looser
 * (5 s) because the machine's 2 cores are shared; the measured time is printed.
 */
@org.junit.jupiter.api.Tag("perf") // wall-clock assertion: mvn -Pperf verify
class SearchSpeedTest {

    @Test
    void ofaDefaultBudgetSearchIsFast() {
        SearchSpace space = SearchSpace.fmnist();
        TestPredictors.SmoothAccuracy acc = new TestPredictors.SmoothAccuracy(space, 1);
        TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(space);
        double minLat = cpu.predictMs(space.min());
        double maxLat = cpu.predictMs(space.max());
        Constraint c = Constraint.builder().maxLatencyMs(cpu, minLat + 0.5 * (maxLat - minLat)).build();
        EvolutionSearch evo = EvolutionSearch.ofaDefaults();
        evo.search(space, acc, c, 0); // warm-up (JIT)
        double best = Double.MAX_VALUE;
        SearchResult r = null;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            r = evo.search(space, acc, c, 1 + i);
            best = Math.min(best, (System.nanoTime() - t0) / 1e6);
        }
        assertEquals(50_100, r.evaluations());
        System.out.printf(Locale.ROOT,
                "[speed] evolution, OFA default budget (%d evaluations, %d cost checks), %s: best of 3 = %.0f ms%n",
                r.evaluations(), r.costEvaluations(), c.describe(), best);
        assertTrue(best < 5000, "search took " + best + " ms");
        // the other strategies at the same budget, for the record
        for (SearchStrategy other : List.of(RandomSearch.withBudget(evo.budget()),
                Nsga2Search.builder(CostAxis.latency(cpu)).build())) {
            other.search(space, acc, c, 0);
            long t0 = System.nanoTime();
            SearchResult o = other.search(space, acc, c, 1);
            System.out.printf(Locale.ROOT, "[speed] %s, %d evaluations: %.0f ms%n", other.name(), o.evaluations(),
                    (System.nanoTime() - t0) / 1e6);
        }
        // repeats of a network are answered from the search's cache: only distinct subnets reach the predictor
        long before = acc.predicted();
        SearchResult again = evo.search(space, acc, c, 1);
        System.out.printf(Locale.ROOT, "[speed] distinct subnets sent to the predictor in one search: %d of %d%n",
                again.distinctEvaluations(), again.evaluations());
        assertEquals(again.distinctEvaluations(), acc.predicted() - before);
        assertTrue(again.distinctEvaluations() < again.evaluations());
    }
}

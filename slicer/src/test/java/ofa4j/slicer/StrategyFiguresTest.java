package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyPredictor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every strategy by name at equal budgets on the synthetic objectives, 5 seeds each: prints the mean
 * best found (and its sd over seeds) next to random search's, for the notes. Two objectives: {@link
 * TestPredictors.TargetAccuracy} (a hidden target subnet, known optimum 0.9, one per seed) and
 * {@link TestPredictors.SmoothAccuracy} (mostly MACs; its optimum is the largest feasible subnet).
 * Budgets: 2,000 evaluations (the population-based strategies and REINFORCE), 200 (Bayesian
 * optimisation's default; the others too, for comparison) and 50 steps (compound scaling). Takes
 * about two minutes, so it runs with the perf profile: {@code mvn -Pperf -pl slicer -am test
 * -Dtest=StrategyFiguresTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("perf") // a long comparison run for the notes, not a check of the code
class StrategyFiguresTest {

    private static final int SEEDS = 5;

    private final SearchSpace space = SearchSpace.fmnist();
    private final TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(space);

    private AccuracyPredictor objective(String which, long seed) {
        return which.equals("target") ? TestPredictors.TargetAccuracy.random(space, 1000 + seed)
                : new TestPredictors.SmoothAccuracy(space, 1000 + seed);
    }

    /** @return strategy name -> {mean best, sd over seeds} */
    private Map<String, double[]> table(String objective, long budget, List<String> names) {
        double minLat = cpu.predictMs(space.min());
        double maxLat = cpu.predictMs(space.max());
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Constraint k : List.of(Constraint.none(),
                Constraint.builder().maxLatencyMs(cpu, minLat + 0.3 * (maxLat - minLat)).build())) {
            for (String n : names) {
                SearchStrategy s = SearchStrategies.create(n, budget, CostAxis.macs());
                double sum = 0;
                double sq = 0;
                double evals = 0;
                for (long seed = 0; seed < SEEDS; seed++) {
                    SearchResult r = s.search(space, objective(objective, seed), k, seed);
                    double b = r.best().predictedAccuracy();
                    sum += b;
                    sq += b * b;
                    evals += r.evaluations();
                }
                double mean = sum / SEEDS;
                double sd = Math.sqrt(Math.max(0, sq / SEEDS - mean * mean));
                System.out.printf(Locale.ROOT, "[figures] %-6s %-28s budget %5d  %-22s mean best %.4f sd %.4f"
                        + " (%.0f evaluations)%n", objective, k.describe(), budget, n, mean, sd, evals / SEEDS);
                out.put(k.describe() + "/" + n, new double[] {mean, sd});
            }
        }
        return out;
    }

    @Test
    void everyStrategyAtEqualBudgets() {
        Map<String, double[]> t2000 = table("target", 2000,
                List.of("random", "evolution", "nsga2", "regularized-evolution", "reinforce"));
        Map<String, double[]> t200 = table("target", 200,
                List.of("random", "regularized-evolution", "reinforce", "bayes-opt"));
        Map<String, double[]> s200 = table("smooth", 200,
                List.of("random", "regularized-evolution", "reinforce", "bayes-opt"));
        Map<String, double[]> s50 = table("smooth", 50, List.of("random", "compound-scaling"));
        // unconstrained, the learning strategies find the known optimum at 2,000 evaluations; random search does not
        assertEquals(TestPredictors.TargetAccuracy.OPTIMUM, t2000.get("unconstrained/regularized-evolution")[0], 1e-9);
        assertEquals(TestPredictors.TargetAccuracy.OPTIMUM, t2000.get("unconstrained/reinforce")[0], 1e-9);
        assertTrue(t2000.get("unconstrained/random")[0] < 0.75);
        // at 200 evaluations only the surrogate gets there
        assertEquals(TestPredictors.TargetAccuracy.OPTIMUM, t200.get("unconstrained/bayes-opt")[0], 1e-9);
        assertTrue(s200.get("unconstrained/bayes-opt")[0] > s200.get("unconstrained/random")[0]);
        assertTrue(s50.get("unconstrained/compound-scaling")[0] > 0.85);
    }
}

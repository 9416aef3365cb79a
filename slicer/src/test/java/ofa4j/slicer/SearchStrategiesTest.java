package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

class SearchStrategiesTest {

    private final SearchSpace space = SearchSpace.fmnist();
    private final TestPredictors.SmoothAccuracy acc = new TestPredictors.SmoothAccuracy(space, 11);

    @Test
    void strategiesAreFoundByName() {
        assertEquals(List.of("evolution", "random", "nsga2", "regularized-evolution", "reinforce", "bayes-opt",
                "compound-scaling"), SearchStrategies.NAMES);
        for (String n : SearchStrategies.NAMES) {
            assertEquals(n, SearchStrategies.create(n, null, CostAxis.macs()).name());
        }
        assertEquals(50_100, ((EvolutionSearch) SearchStrategies.create("evolution", null, CostAxis.macs())).budget());
        assertEquals(1_000, ((Nsga2Search) SearchStrategies.create("nsga2", 1_000L, CostAxis.macs())).budget());
        assertEquals(200, ((BayesianOptimisation) SearchStrategies.create("bayes-opt", null, CostAxis.macs())).budget());
        assertEquals(300, ((ReinforceSearch) SearchStrategies.create("reinforce", 300L, CostAxis.macs())).budget());
        SearchResult r = SearchStrategies.create("random", 250L, CostAxis.macs()).search(space, acc, Constraint.none(), 1);
        assertEquals(250, r.evaluations());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SearchStrategies.create("amoeba", null, CostAxis.macs()));
        assertEquals("unknown search strategy 'amoeba'; allowed: evolution, random, nsga2, regularized-evolution,"
                + " reinforce, bayes-opt, compound-scaling", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SearchStrategies.create("evolution", 150L, CostAxis.macs()));
        assertTrue(e.getMessage().contains("multiple of the population 100") && e.getMessage().contains("150"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SearchStrategies.create("regularized-evolution", 50L, CostAxis.macs()));
        assertTrue(e.getMessage().contains("regularized-evolution") && e.getMessage().contains("50"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SearchStrategies.create("random", 0L, CostAxis.macs()));
        assertTrue(e.getMessage().contains("at least 1") && e.getMessage().contains("0"), e.getMessage());
    }
}

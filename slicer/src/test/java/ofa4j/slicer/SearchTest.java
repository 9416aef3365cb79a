package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

class SearchTest {

    private final SearchSpace space = SearchSpace.fmnist();
    private final CostModel costModel = new CostModel(space);
    private final TestPredictors.SmoothAccuracy acc = new TestPredictors.SmoothAccuracy(space, 11);
    private final TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(space);
    private final TestPredictors.LayerLatency slow = new TestPredictors.LayerLatency(space, "test-slow", 0.05, 3e-6);

    private final long minMacs = costModel.macs(space.min());
    private final long maxMacs = costModel.macs(space.max());
    private final double minLat = cpu.predictMs(space.min());
    private final double maxLat = cpu.predictMs(space.max());

    private long macsAt(double q) {
        return (long) (minMacs + q * (maxMacs - minMacs));
    }

    private double latAt(double q) {
        return minLat + q * (maxLat - minLat);
    }

    private List<Constraint> constraints() {
        long minParams = costModel.params(space.min());
        long maxParams = costModel.params(space.max());
        long minPeak = costModel.peakActivationBytes(space.min());
        long maxPeak = costModel.peakActivationBytes(space.max());
        return List.of(
                Constraint.none(),
                Constraint.builder().maxMacs(macsAt(0.3)).build(),
                Constraint.builder().maxMacs(macsAt(0.02)).build(),
                Constraint.builder().maxLatencyMs(cpu, latAt(0.4)).build(),
                Constraint.builder().maxLatencyMs(cpu, latAt(0.6)).maxLatencyMs(slow, slow.predictMs(space.max()) * 0.5)
                        .build(),
                Constraint.builder().maxParams((minParams + maxParams) / 2).maxPeakMemoryBytes((minPeak + maxPeak) / 2)
                        .build(),
                Constraint.builder().minResolution(24).maxResolution(24).maxMacs(macsAt(0.5)).build(),
                Constraint.builder().minResolution(28).maxLatencyMs(cpu, latAt(0.3)).build());
    }

    /** Checks a candidate against a constraint with the models' CostModel and the predictors themselves. */
    private void assertSatisfies(Candidate c, Constraint k, String where) {
        ArchConfig a = c.arch();
        space.validate(a);
        CostModel.Cost cost = costModel.cost(a);
        String msg = where + ": " + a.key() + " under " + k.describe();
        assertEquals(cost.macs(), c.costs().macs(), msg);
        if (k.maxMacs() != null) {
            assertTrue(cost.macs() <= k.maxMacs(), msg);
        }
        if (k.maxParams() != null) {
            assertTrue(cost.params() <= k.maxParams(), msg);
        }
        if (k.maxPeakMemoryBytes() != null) {
            assertTrue(cost.peakActivationBytes() <= k.maxPeakMemoryBytes(), msg);
        }
        if (k.minResolution() != null) {
            assertTrue(a.resolution() >= k.minResolution(), msg);
        }
        if (k.maxResolution() != null) {
            assertTrue(a.resolution() <= k.maxResolution(), msg);
        }
        for (Constraint.LatencyBound b : k.latencyBounds()) {
            assertTrue(b.predictor().predictMs(a) <= b.maxMs(), msg);
        }
        assertEquals(acc.predict(a), c.predictedAccuracy(), 1e-12, msg);
    }

    @Test
    void everyReturnedSubnetSatisfiesItsConstraint() {
        List<SearchStrategy> strategies = List.of(
                EvolutionSearch.builder().optPopulationSize(40).optGenerations(15).build(),
                RandomSearch.withBudget(400),
                Nsga2Search.builder(CostAxis.latency(cpu)).optPopulationSize(40).optGenerations(15).build(),
                Nsga2Search.builder(CostAxis.macs()).optPopulationSize(20).optGenerations(10).build());
        int checked = 0;
        for (Constraint k : constraints()) {
            for (SearchStrategy s : strategies) {
                for (long seed = 0; seed < 4; seed++) {
                    SearchResult r = s.search(space, acc, k, seed);
                    assertSatisfies(r.best(), k, s.name() + " best, seed " + seed);
                    for (Candidate c : r.front()) {
                        assertSatisfies(c, k, s.name() + " front, seed " + seed);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 500, "checked " + checked);
    }

    @Test
    void evolutionBeatsRandomSearchAtEqualEvaluations() {
        Constraint k = Constraint.builder().maxLatencyMs(cpu, latAt(0.35)).build();
        EvolutionSearch evo = EvolutionSearch.builder().optGenerations(50).build();
        double evoSum = 0;
        double randSum = 0;
        int runs = 3;
        for (long seed = 0; seed < runs; seed++) {
            SearchResult e = evo.search(space, acc, k, seed);
            SearchResult r = RandomSearch.withBudget(evo.budget()).search(space, acc, k, seed);
            assertEquals(evo.budget(), e.evaluations());
            assertEquals(e.evaluations(), r.evaluations());
            System.out.printf(Locale.ROOT, "[evo-vs-random] seed %d: evolution %.4f, random %.4f (%d evaluations)%n",
                    seed, e.best().predictedAccuracy(), r.best().predictedAccuracy(), e.evaluations());
            assertTrue(e.best().predictedAccuracy() > r.best().predictedAccuracy(), "seed " + seed);
            evoSum += e.best().predictedAccuracy();
            randSum += r.best().predictedAccuracy();
        }
        assertTrue(evoSum / runs > randSum / runs + 0.005,
                "evolution mean " + evoSum / runs + " vs random mean " + randSum / runs);
    }

    @Test
    void evolutionHistoryNeverDecreases() {
        SearchResult r = EvolutionSearch.builder().optGenerations(30).build()
                .search(space, acc, Constraint.builder().maxMacs(macsAt(0.4)).build(), 5);
        assertEquals(31, r.bestHistory().size());
        for (int i = 1; i < r.bestHistory().size(); i++) {
            assertTrue(r.bestHistory().get(i) >= r.bestHistory().get(i - 1));
        }
        assertEquals(r.best().predictedAccuracy(), r.bestHistory().get(r.bestHistory().size() - 1));
        assertTrue(r.bestHistory().get(30) > r.bestHistory().get(0));
    }

    @Test
    void nsga2FrontIsNonDominatedAndBeatsRandomSamplingInHypervolume() {
        for (CostAxis axis : List.of(CostAxis.latency(cpu), CostAxis.macs())) {
            Nsga2Search nsga = Nsga2Search.builder(axis).optGenerations(40).build();
            Constraint k = Constraint.builder().maxLatencyMs(cpu, latAt(0.8)).build();
            SearchResult n = nsga.search(space, acc, k, 3);
            SearchResult r = new RandomSearch(nsga.budget(), 100, RejectionPolicy.DEFAULT, axis).search(space, acc, k, 3);
            assertEquals(n.evaluations(), r.evaluations());
            List<Candidate> front = n.front();
            assertTrue(front.size() > 10, "front of " + front.size());
            for (int i = 0; i < front.size(); i++) {
                for (int j = 0; j < front.size(); j++) {
                    assertFalse(ParetoFront.dominates(front.get(i), front.get(j), axis), i + " dominates " + j);
                }
                if (i > 0) {
                    assertTrue(axis.value(front.get(i)) > axis.value(front.get(i - 1)));
                    assertTrue(front.get(i).predictedAccuracy() > front.get(i - 1).predictedAccuracy());
                }
            }
            // reference point: the bound on the latency axis, the largest subnet's MACs on the MACs axis
            double refCost = axis.name().startsWith("latency") ? latAt(0.8) : maxMacs / 1e6;
            double hvN = ParetoFront.hypervolume(front, axis, refCost, 0.5);
            double hvR = ParetoFront.hypervolume(r.front(), axis, refCost, 0.5);
            System.out.printf(Locale.ROOT, "[nsga2-vs-random] %s: hypervolume NSGA-II %.5f (front %d), random %.5f (front %d)%n",
                    axis.name(), hvN, front.size(), hvR, r.front().size());
            assertTrue(hvN >= hvR, axis.name() + ": " + hvN + " < " + hvR);
            assertEquals(front.get(front.size() - 1), n.best());
        }
    }

    @Test
    void sameSeedSameResult() {
        Constraint k = Constraint.builder().maxLatencyMs(cpu, latAt(0.5)).maxParams(costModel.params(space.max()) / 2)
                .build();
        List<SearchStrategy> strategies = List.of(
                EvolutionSearch.builder().optGenerations(20).build(),
                RandomSearch.withBudget(2000),
                Nsga2Search.builder(CostAxis.latency(cpu)).optGenerations(20).build());
        for (SearchStrategy s : strategies) {
            SearchResult a = s.search(space, acc, k, 42);
            SearchResult b = s.search(space, acc, k, 42);
            SearchResult c = s.search(space, acc, k, 43);
            assertEquals(a.best().arch(), b.best().arch(), s.name());
            assertEquals(a.bestHistory(), b.bestHistory(), s.name());
            assertEquals(keys(a.front()), keys(b.front()), s.name());
            assertEquals(a.evaluations(), b.evaluations(), s.name());
            assertEquals(a.costEvaluations(), b.costEvaluations(), s.name());
            assertNotEquals(keys(a.front()), keys(c.front()), s.name() + ": seeds 42 and 43 gave the same front");
        }
    }

    private static List<String> keys(List<Candidate> cs) {
        List<String> out = new ArrayList<>();
        for (Candidate c : cs) {
            out.add(c.arch().key());
        }
        return out;
    }

    @Test
    void boundedRejectionGivesUpWithTheConstraintAndCheapestCostSeen() {
        // feasible (the min subnet meets it) but uniform sampling essentially never does
        Constraint k = Constraint.builder().maxMacs(macsAt(0.01)).build();
        EvolutionSearch unguided = EvolutionSearch.builder().optGenerations(2)
                .optRejection(new RejectionPolicy(50, false)).build();
        long t0 = System.nanoTime();
        SearchGaveUpException e = assertThrows(SearchGaveUpException.class, () -> unguided.search(space, acc, k, 1));
        assertTrue((System.nanoTime() - t0) / 1e6 < 1000);
        String m = e.getMessage();
        assertTrue(m.contains("50 attempts") && m.contains(k.describe()) && m.contains("cheapest seen: MACs"), m);

        // guided (default): succeeds and reports the fallback and the give-ups of mutation / crossover
        SearchResult r = EvolutionSearch.builder().optGenerations(5).optRejection(new RejectionPolicy(20, true)).build()
                .search(space, acc, k, 1);
        assertTrue(r.best().costs().macs() <= k.maxMacs());
        assertFalse(r.notes().isEmpty());
        String notes = String.join("\n", r.notes());
        assertTrue(notes.contains("guided fallback") && notes.contains(k.describe()) && notes.contains("cheapest seen"),
                notes);
    }

    @Test
    void fleetSharesPredictionsAndMeetsEachTarget() {
        List<Fleet.Target> targets = List.of(
                new Fleet.Target("cpu-tight", Constraint.builder().maxLatencyMs(cpu, latAt(0.3)).build()),
                new Fleet.Target("cpu-loose", Constraint.builder().maxLatencyMs(cpu, latAt(0.7)).build()),
                new Fleet.Target("slow-macs", Constraint.builder().maxLatencyMs(slow, slow.predictMs(space.max()) * 0.6)
                        .maxMacs(macsAt(0.5)).build()));
        TestPredictors.SmoothAccuracy counting = new TestPredictors.SmoothAccuracy(space, 11);
        Fleet.Result f = Fleet.search(space, counting, targets, EvolutionSearch.builder().optGenerations(30).build(), 9);
        assertEquals(3, f.results().size());
        long evals = 0;
        for (Fleet.TargetResult t : f.results()) {
            assertSatisfies(t.result().best(), t.target().constraint(), t.target().name());
            evals += t.result().evaluations();
        }
        long distinct = 0;
        for (Fleet.TargetResult t : f.results()) {
            distinct += t.result().distinctEvaluations();
        }
        assertEquals(distinct, f.cacheHits() + f.cacheMisses());
        assertTrue(evals > distinct);
        assertEquals(f.cacheMisses(), counting.predicted());
        // a shared cache answers a repeated fleet call without the predictor
        CachingAccuracyPredictor shared = new CachingAccuracyPredictor(counting);
        Fleet.Result first = Fleet.search(space, shared, targets, EvolutionSearch.builder().optGenerations(30).build(), 9);
        long predictedBefore = counting.predicted();
        Fleet.Result second = Fleet.search(space, shared, targets, EvolutionSearch.builder().optGenerations(30).build(), 9);
        assertEquals(0, second.cacheMisses());
        assertEquals(first.cacheMisses(), second.cacheHits());
        assertEquals(predictedBefore, counting.predicted());
        assertEquals(first.results().get(2).result().best().arch(), second.results().get(2).result().best().arch());
        // the looser target finds at least as accurate a subnet
        assertTrue(f.results().get(1).result().best().predictedAccuracy()
                >= f.results().get(0).result().best().predictedAccuracy());

        InfeasibleConstraintException e = assertThrows(InfeasibleConstraintException.class, () -> Fleet.search(space,
                acc, List.of(targets.get(0), new Fleet.Target("impossible", Constraint.builder().maxMacs(1000).build())),
                RandomSearch.withBudget(100), 1));
        assertTrue(e.getMessage().startsWith("target impossible:") && e.getMessage().contains(
                Constraint.formatCount(minMacs)), e.getMessage());
    }

    @Test
    void searchesOfasImageNetSpaceUnderAMacsBudget() {
        SearchSpace imagenet = SearchSpace.ofaMbv3W10();
        CostModel cm = new CostModel(imagenet);
        Constraint k = Constraint.builder().maxMacs(300_000_000L).minResolution(160).build();
        SearchResult r = EvolutionSearch.builder().optGenerations(30).build()
                .search(imagenet, new TestPredictors.SmoothAccuracy(imagenet, 5), k, 2);
        assertTrue(cm.macs(r.best().arch()) <= 300_000_000L);
        assertTrue(r.best().arch().resolution() >= 160);
        // the search pushes towards the budget: the best uses most of it
        assertTrue(cm.macs(r.best().arch()) > 250_000_000L, "MACs " + cm.macs(r.best().arch()));
        InfeasibleConstraintException e = assertThrows(InfeasibleConstraintException.class,
                () -> ConstrainedSpace.of(imagenet, Constraint.builder().maxMacs(cm.macs(imagenet.min()) - 1).build()));
        // OFA's smallest subnet at 128 px: the message names its MACs
        assertTrue(e.getMessage().contains(Constraint.formatCount(cm.macs(imagenet.min()))), e.getMessage());
    }
}

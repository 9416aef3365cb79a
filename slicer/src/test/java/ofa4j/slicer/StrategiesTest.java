package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyPredictor;
import org.junit.jupiter.api.Test;

/**
 * The strategies of the NAS literature ({@link RegularizedEvolution}, {@link ReinforceSearch},
 * {@link BayesianOptimisation}, {@link CompoundScaling}): constraints always hold, seeded runs
 * repeat exactly, and each beats a deliberately broken variant of itself at equal budget on a
 * synthetic objective with a known optimum ({@link TestPredictors.TargetAccuracy}).
 */
class StrategiesTest {

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

    /** Loose to tight, single and joint bounds, resolution bounds. */
    private List<Constraint> constraints() {
        long minParams = costModel.params(space.min());
        long maxParams = costModel.params(space.max());
        long minPeak = costModel.peakActivationBytes(space.min());
        long maxPeak = costModel.peakActivationBytes(space.max());
        return List.of(
                Constraint.none(),
                Constraint.builder().maxMacs(macsAt(0.3)).build(),
                Constraint.builder().maxMacs(macsAt(0.02)).build(),
                Constraint.builder().maxLatencyMs(cpu, latAt(0.03)).build(),
                Constraint.builder().maxLatencyMs(cpu, latAt(0.6)).maxLatencyMs(slow, slow.predictMs(space.max()) * 0.5)
                        .build(),
                Constraint.builder().maxParams((minParams + maxParams) / 2).maxPeakMemoryBytes((minPeak + maxPeak) / 2)
                        .build(),
                Constraint.builder().minResolution(24).maxResolution(24).maxMacs(macsAt(0.5)).build(),
                Constraint.builder().minResolution(28).maxLatencyMs(cpu, latAt(0.3)).build());
    }

    /** Small budgets of every new strategy (and the soft-reward REINFORCE), for the constraint checks. */
    private List<SearchStrategy> strategies() {
        return List.of(
                RegularizedEvolution.builder().optPopulationSize(40).optSampleSize(10).optEvaluations(400).build(),
                ReinforceSearch.builder().optEvaluations(400).build(),
                ReinforceSearch.builder().optEvaluations(200).optSoftLatency(cpu, latAt(0.2), ReinforceSearch.MNASNET_EXPONENT)
                        .build(),
                BayesianOptimisation.builder().optEvaluations(40).optInitialPoints(10).optBatchSize(5)
                        .optRandomCandidates(30).build(),
                CompoundScaling.builder().optSteps(30).optFrontAxis(CostAxis.latency(cpu)).build());
    }

    /** Checks a candidate against a constraint with the models' CostModel and the predictors themselves. */
    private void assertSatisfies(Candidate c, Constraint k, AccuracyPredictor p, String where) {
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
        assertEquals(p.predict(a), c.predictedAccuracy(), 1e-12, msg);
    }

    @Test
    void everyReturnedSubnetSatisfiesItsConstraint() {
        int checked = 0;
        for (Constraint k : constraints()) {
            for (SearchStrategy s : strategies()) {
                for (long seed = 0; seed < 2; seed++) {
                    SearchResult r = s.search(space, acc, k, seed);
                    assertEquals(s.name(), r.strategy());
                    assertSatisfies(r.best(), k, acc, s.name() + " best, seed " + seed);
                    for (Candidate c : r.front()) {
                        assertSatisfies(c, k, acc, s.name() + " front, seed " + seed);
                        checked++;
                    }
                    assertTrue(r.evaluations() >= 1 && r.distinctEvaluations() <= r.evaluations(), s.name());
                }
            }
        }
        assertTrue(checked > 300, "checked " + checked);
    }

    @Test
    void searchesSpendTheirBudgetExactly() {
        Constraint k = Constraint.builder().maxLatencyMs(cpu, latAt(0.5)).build();
        assertEquals(1000, RegularizedEvolution.builder().optEvaluations(1000).build().search(space, acc, k, 1).evaluations());
        assertEquals(1003, RegularizedEvolution.builder().optEvaluations(1003).build().search(space, acc, k, 1).evaluations());
        assertEquals(777, ReinforceSearch.builder().optEvaluations(777).build().search(space, acc, k, 1).evaluations());
        SearchResult bo = BayesianOptimisation.builder().optEvaluations(60).build().search(space, acc, k, 1);
        assertEquals(60, bo.evaluations());
        assertEquals(60, bo.distinctEvaluations()); // the surrogate never proposes a subnet twice
        // the history: one entry per batch, never decreasing, ending at the best
        SearchResult re = RegularizedEvolution.builder().optEvaluations(1000).build().search(space, acc, k, 2);
        assertEquals(1 + (1000 - 100) / 25, re.bestHistory().size());
        for (int i = 1; i < re.bestHistory().size(); i++) {
            assertTrue(re.bestHistory().get(i) >= re.bestHistory().get(i - 1));
        }
        assertEquals(re.best().predictedAccuracy(), re.bestHistory().get(re.bestHistory().size() - 1));
    }

    @Test
    void sameSeedSameResult() {
        Constraint k = Constraint.builder().maxLatencyMs(cpu, latAt(0.5)).maxParams(costModel.params(space.max()) / 2)
                .build();
        for (SearchStrategy s : strategies()) {
            SearchResult a = s.search(space, acc, k, 42);
            SearchResult b = s.search(space, acc, k, 42);
            SearchResult c = s.search(space, acc, k, 43);
            assertEquals(a.best().arch(), b.best().arch(), s.name());
            assertEquals(a.bestHistory(), b.bestHistory(), s.name());
            assertEquals(keys(a.front()), keys(b.front()), s.name());
            assertEquals(a.evaluations(), b.evaluations(), s.name());
            assertEquals(a.distinctEvaluations(), b.distinctEvaluations(), s.name());
            assertEquals(a.costEvaluations(), b.costEvaluations(), s.name());
            assertEquals(a.notes(), b.notes(), s.name());
            if (s instanceof CompoundScaling) {
                // draws no random numbers: the seed changes nothing
                assertEquals(keys(a.front()), keys(c.front()), s.name());
            } else {
                assertNotEquals(keys(a.front()), keys(c.front()), s.name() + ": seeds 42 and 43 gave the same front");
            }
        }
    }

    private static List<String> keys(List<Candidate> cs) {
        List<String> out = new ArrayList<>();
        for (Candidate c : cs) {
            out.add(c.arch().key());
        }
        return out;
    }

    /**
     * Mean best value over seeds 0..n-1, each seed with its own hidden target, at the strategy's
     * budget; prints it next to random search at the same number of evaluations.
     */
    private double meanBest(String label, SearchStrategy s, Constraint k, int seeds,
            Function<Long, AccuracyPredictor> objective) {
        double sum = 0;
        double rand = 0;
        long evals = 0;
        for (long seed = 0; seed < seeds; seed++) {
            AccuracyPredictor p = objective.apply(seed);
            SearchResult r = s.search(space, p, k, seed);
            sum += r.best().predictedAccuracy();
            evals += r.evaluations();
            rand += RandomSearch.withBudget(r.evaluations()).search(space, p, k, seed).best().predictedAccuracy();
        }
        System.out.printf(Locale.ROOT, "[strategies] %-34s %s: mean best %.4f over %d seeds (random search at the"
                + " same %.0f evaluations: %.4f)%n", label, k.describe(), sum / seeds, seeds, evals / (double) seeds,
                rand / seeds);
        return sum / seeds;
    }

    private Function<Long, AccuracyPredictor> targets() {
        return seed -> TestPredictors.TargetAccuracy.random(space, 1000 + seed);
    }

    @Test
    void regularizedEvolutionBeatsEvolutionWithoutSelectionPressure() {
        Constraint k = Constraint.builder().maxLatencyMs(cpu, latAt(0.9)).build();
        double good = meanBest("regularized-evolution S=25", RegularizedEvolution.builder().optEvaluations(2000).build(), k,
                5, targets());
        double broken = meanBest("regularized-evolution S=1 (broken)",
                RegularizedEvolution.builder().optEvaluations(2000).optSampleSize(1).build(), k, 5, targets());
        assertTrue(good > broken + 0.1, good + " vs " + broken);
        assertTrue(good > 0.85, "mean best " + good + " of optimum " + TestPredictors.TargetAccuracy.OPTIMUM);
    }

    @Test
    void reinforceBeatsItsUntrainedPolicy() {
        Constraint k = Constraint.builder().maxLatencyMs(cpu, latAt(0.9)).build();
        double good = meanBest("reinforce lr 0.05", ReinforceSearch.builder().optEvaluations(2000).build(), k, 5, targets());
        double broken = meanBest("reinforce lr 0 (broken)",
                ReinforceSearch.builder().optEvaluations(2000).optLearningRate(0).build(), k, 5, targets());
        assertTrue(good > broken + 0.1, good + " vs " + broken);
        assertTrue(good > 0.85, "mean best " + good + " of optimum " + TestPredictors.TargetAccuracy.OPTIMUM);
    }

    @Test
    void bayesianOptimisationBeatsRandomChoiceOfItsCandidates() {
        Constraint k = Constraint.builder().maxLatencyMs(cpu, latAt(0.9)).build();
        BayesianOptimisation.Builder b = BayesianOptimisation.builder().optEvaluations(120).optBatchSize(4);
        double good = meanBest("bayes-opt EI", b.build(), k, 5, targets());
        double broken = meanBest("bayes-opt random choice (broken)",
                b.optAcquisition(BayesianOptimisation.Acquisition.RANDOM).build(), k, 5, targets());
        assertTrue(good > broken + 0.1, good + " vs " + broken);
        assertTrue(good > 0.85, "mean best " + good + " of optimum " + TestPredictors.TargetAccuracy.OPTIMUM);
    }

    @Test
    void compoundScalingBeatsEverySingleAxis() {
        // the known optimum: the end of the compound curve (smallest kernel, largest expand, depth and resolution)
        ArchConfig end = space.uniform(space.kernels().get(0), space.maxExpand(), space.maxDepth(), space.maxResolution());
        Function<Long, AccuracyPredictor> toEnd = seed -> new TestPredictors.TargetAccuracy(space, end);
        Function<Long, AccuracyPredictor> smooth = seed -> new TestPredictors.SmoothAccuracy(space, 1000 + seed);
        Constraint none = Constraint.none();
        Constraint bound = Constraint.builder().maxLatencyMs(cpu, latAt(0.3)).build();
        CompoundScaling compound = CompoundScaling.builder().optSteps(40).build();
        double toEndCompound = meanBest("compound-scaling", compound, none, 1, toEnd);
        assertEquals(TestPredictors.TargetAccuracy.OPTIMUM, toEndCompound, 1e-12);
        double smoothCompound = meanBest("compound-scaling", compound, bound, 3, smooth);
        double[][] singles = {{1.2, 1, 1}, {1, 1.1, 1}, {1, 1, 1.15}};
        for (double[] c : singles) {
            CompoundScaling one = CompoundScaling.builder().optSteps(40).optCoefficients(c[0], c[1], c[2]).build();
            String label = String.format(Locale.ROOT, "single axis %.2f/%.2f/%.2f (broken)", c[0], c[1], c[2]);
            assertTrue(toEndCompound > meanBest(label, one, none, 1, toEnd) + 0.1, label);
            assertTrue(smoothCompound > meanBest(label, one, bound, 3, smooth) + 0.02, label);
        }
    }

    @Test
    void compoundScalingCurveGrowsFromTheSmallestSubnetToTheLargest() {
        CompoundScaling cs = CompoundScaling.builder().optSteps(60).build();
        List<CompoundScaling.CurvePoint> curve = cs.curve(space, space.resolutions());
        assertEquals(space.min(), curve.get(0).arch());
        assertEquals(0.0, curve.get(0).phi());
        ArchConfig last = curve.get(curve.size() - 1).arch();
        assertEquals(space.uniform(3, 6, 4, 28).key(), last.key());
        assertTrue(curve.size() > 20, "curve of " + curve.size());
        for (int i = 1; i < curve.size(); i++) {
            assertTrue(curve.get(i).phi() > curve.get(i - 1).phi());
            assertTrue(costModel.macs(curve.get(i).arch()) > costModel.macs(curve.get(i - 1).arch()), "point " + i);
        }
        // the mean of the units follows the target: 2 of 4 stages one level up at the midpoint
        assertArrayEquals(new int[] {2, 2, 3, 3}, CompoundScaling.levels(List.of(2, 3, 4), 2.5, 4));
        assertArrayEquals(new int[] {3, 3, 3, 4}, CompoundScaling.levels(List.of(2, 3, 4), 3.3, 4));
        assertArrayEquals(new int[] {6, 6}, CompoundScaling.levels(List.of(3, 4, 6), 7.5, 2));
        assertArrayEquals(new int[] {3, 3, 3}, CompoundScaling.levels(List.of(3, 4, 6), 3.0, 3));
        // with a resolution bound the curve starts at the smallest allowed resolution
        ConstrainedSpace only28 = ConstrainedSpace.of(space, Constraint.builder().minResolution(28).build());
        assertTrue(cs.curve(space, only28.resolutions()).stream().allMatch(p -> p.arch().resolution() == 28));
        // the plot-ready curve carries costs and predictions of every point, feasible or not
        ConstrainedSpace tight = new ConstrainedSpace(space, Constraint.builder().maxLatencyMs(cpu, latAt(0.3)).build(),
                List.of());
        List<Candidate> pts = cs.curveCandidates(tight, acc);
        assertEquals(curve.size(), pts.size());
        assertTrue(pts.stream().anyMatch(c -> !tight.satisfies(c.costs())));
        assertEquals(acc.predict(last), pts.get(pts.size() - 1).predictedAccuracy(), 1e-12);
        SearchResult r = cs.search(tight, acc, 0);
        long feasible = pts.stream().filter(c -> tight.satisfies(c.costs())).count();
        assertEquals(feasible, r.evaluations());
        assertEquals(pts.stream().filter(c -> tight.satisfies(c.costs()))
                .mapToDouble(Candidate::predictedAccuracy).max().orElseThrow(), r.best().predictedAccuracy(), 1e-12);
    }

    @Test
    void softLatencyRewardTradesAccuracyForLatency() {
        double target = latAt(0.2);
        ReinforceSearch hard = ReinforceSearch.builder().optEvaluations(3000).build();
        ReinforceSearch soft = ReinforceSearch.builder().optEvaluations(3000)
                .optSoftLatency(cpu, target, ReinforceSearch.MNASNET_EXPONENT).build();
        SearchResult h = hard.search(space, acc, Constraint.none(), 3);
        SearchResult s = soft.search(space, acc, Constraint.none(), 3);
        double lat = s.best().costs().latencyMs(cpu.deviceName());
        double reward = s.best().predictedAccuracy() * Math.pow(lat / target, -0.07);
        assertEquals(reward, s.bestHistory().get(s.bestHistory().size() - 1), 1e-12);
        assertTrue(String.join("\n", s.notes()).contains("soft reward"), s.notes().toString());
        // accuracy alone drives towards the largest subnets; the soft reward stops earlier: each search wins on its own objective
        double hardLat = cpu.predictMs(h.best().arch());
        double hardReward = h.best().predictedAccuracy() * Math.pow(hardLat / target, -0.07);
        assertTrue(lat < 0.8 * hardLat, lat + " vs " + hardLat);
        assertTrue(h.best().predictedAccuracy() > s.best().predictedAccuracy());
        assertTrue(reward > hardReward, reward + " vs " + hardReward);
        // hard bounds still hold under the soft reward
        Constraint k = Constraint.builder().maxLatencyMs(cpu, latAt(0.1)).build();
        SearchResult both = soft.search(space, acc, k, 3);
        assertTrue(both.front().stream().allMatch(c -> c.costs().latencyMs(cpu.deviceName()) <= latAt(0.1)));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReinforceSearch.builder().optSoftLatency(cpu, target, 0.07));
        assertTrue(e.getMessage().contains("exponent must be <= 0") && e.getMessage().contains("0.07"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ReinforceSearch.builder().optSoftLatency(cpu, -1, -0.07));
        assertTrue(e.getMessage().contains("target") && e.getMessage().contains("-1"), e.getMessage());
        // a space built without the soft device cannot give the reward its latency
        ConstrainedSpace without = ConstrainedSpace.of(space, Constraint.none());
        e = assertThrows(IllegalArgumentException.class, () -> soft.search(without, acc, 1));
        assertTrue(e.getMessage().contains(cpu.deviceName()) && e.getMessage().contains("extraDevices"), e.getMessage());
    }

    @Test
    void gaussianProcessInterpolatesAndIsUnsureFarAway() {
        double[][] x = new double[12][];
        double[] y = new double[12];
        for (int i = 0; i < x.length; i++) {
            x[i] = new double[] {i / 2.0};
            y[i] = Math.sin(i / 2.0);
        }
        double[][] d = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            d[i] = new double[i];
            for (int j = 0; j < i; j++) {
                d[i][j] = GaussianProcess.squaredDistance(x[i], x[j]);
            }
        }
        GaussianProcess gp = GaussianProcess.fit(x, d, y);
        for (int i = 0; i < x.length; i++) {
            double[] p = gp.predict(x[i]);
            assertEquals(y[i], p[0], 0.02, "at " + x[i][0]);
            assertTrue(p[1] < 0.05, "sd at a training point " + p[1]);
        }
        double[] between = gp.predict(new double[] {2.25});
        assertEquals(Math.sin(2.25), between[0], 0.05);
        double[] far = gp.predict(new double[] {40});
        assertTrue(far[1] > 0.5, "sd far away " + far[1]);
        // EI: at mean = best it is sd x phi(0); far below the best it vanishes; without uncertainty it is the gain
        assertEquals(0.5 * 0.3989422804, BayesianOptimisation.expectedImprovement(new double[] {1.0, 0.5}, 1.0), 1e-9);
        assertTrue(BayesianOptimisation.expectedImprovement(new double[] {0.0, 0.01}, 1.0) < 1e-12);
        assertEquals(0.25, BayesianOptimisation.expectedImprovement(new double[] {1.25, 0.0}, 1.0), 1e-12);
    }

    @Test
    void badSettingsAreRefusedWithTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RegularizedEvolution.builder().optSampleSize(101).build());
        assertTrue(e.getMessage().contains("sample size") && e.getMessage().contains("101"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RegularizedEvolution.builder().optEvaluations(50).build());
        assertTrue(e.getMessage().contains("population size 100") && e.getMessage().contains("50"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ReinforceSearch.builder().optLearningRate(-0.1).build());
        assertTrue(e.getMessage().contains("learning rate") && e.getMessage().contains("-0.1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ReinforceSearch.builder().optBaselineDecay(1).build());
        assertTrue(e.getMessage().contains("baseline decay") && e.getMessage().contains("1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> BayesianOptimisation.builder().optEvaluations(100).optInitialPoints(101).build());
        assertTrue(e.getMessage().contains("initial points") && e.getMessage().contains("101"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CompoundScaling.builder().optCoefficients(0.9, 1, 1).build());
        assertTrue(e.getMessage().contains(">= 1") && e.getMessage().contains("0.9"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CompoundScaling.builder().optKernel(4).build()
                .curve(space, space.resolutions()));
        assertTrue(e.getMessage().contains("[3, 5, 7]") && e.getMessage().contains("4"), e.getMessage());
    }
}

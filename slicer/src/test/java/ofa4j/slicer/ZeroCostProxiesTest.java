package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracySample;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.TestSpaces;
import ofa4j.supernet.data.ImageSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ZeroCostProxies} on a tiny random supernet and {@link ProxyStudy}'s correlations, resumption
 * and training-free search on synthetic proxies.
 */
class ZeroCostProxiesTest {

    private final SearchSpace space = TestSpaces.tinyFmnist();

    @TempDir Path dir;

    @Test
    void proxiesOfATinySupernetAreFiniteRepeatableAndOrderTheExtremes() {
        ImageSet train = TestSpaces.randomSet(64, 1, 16, 10, 3);
        float[] mean = {0.5f};
        float[] std = {0.25f};
        try (Supernet net = Supernet.create(space, 1)) {
            TestSpaces.randomize(net, 2);
            ZeroCostProxies p = new ZeroCostProxies(net, train, mean, std, 16, 32, 7);
            ZeroCostProxies.Scores max = p.score(space.max());
            ZeroCostProxies.Scores min = p.score(space.min());
            for (ZeroCostProxies.Scores s : List.of(max, min)) {
                assertTrue(Double.isFinite(s.synflow()) && Double.isFinite(s.naswot()) && s.gradNorm() > 0, s.toString());
                // NASWOT's kernel is 16 x 16 with diagonal D (the units): log det <= 16 log D (Hadamard)
                assertTrue(s.naswot() <= 16 * Math.log(1e7), s.toString());
            }
            CostModel cost = new CostModel(space);
            assertEquals(cost.params(space.max()), max.params());
            assertEquals(cost.macs(space.min()), min.macs());
            // synflow sums positive paths: the largest subnet holds every path of the smallest and more
            assertTrue(max.synflow() > min.synflow(), max + " vs " + min);
            ZeroCostProxies.Scores again = p.score(space.max());
            assertEquals(max.synflow(), again.synflow(), 1e-9);
            assertEquals(max.naswot(), again.naswot(), 1e-9);
            assertEquals(max.gradNorm(), again.gradNorm(), 1e-6 * max.gradNorm());

            // identical images have identical codes: the kernel is rank one, singular
            float[] px = new float[64 * 16 * 16];
            float[] one = train.pixels();
            for (int i = 0; i < 64; i++) {
                System.arraycopy(one, 0, px, i * 256, 256);
            }
            ImageSet same = new ImageSet("same", 1, 16, 16, px, train.labels(), 10);
            double collapsed = new ZeroCostProxies(net, same, mean, std, 16, 32, 7).score(space.max()).naswot();
            assertTrue(collapsed == Double.NEGATIVE_INFINITY || collapsed < max.naswot() - 20,
                    collapsed + " vs " + max.naswot());
        }
        assertThrows(IllegalArgumentException.class, () -> new ZeroCostProxies(null, train, mean, std, 1, 32, 7));
    }

    @Test
    void logAbsDetOfKnownMatrices() {
        assertEquals(Math.log(3), ZeroCostProxies.logAbsDet(new double[][] {{2, 1}, {1, 2}}), 1e-12);
        assertEquals(Math.log(24), ZeroCostProxies.logAbsDet(new double[][] {{0, 2, 0}, {3, 0, 0}, {0, 0, 4}}), 1e-12);
        assertEquals(Double.NEGATIVE_INFINITY, ZeroCostProxies.logAbsDet(new double[][] {{3, 3}, {3, 3}}));
    }

    private List<AccuracySample> rows(int n) {
        SplittableRandom r = new SplittableRandom(5);
        List<AccuracySample> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (out.size() < n) {
            ArchConfig a = space.sample(r, space.kernels(), space.expandRatios(), space.depths(), space.resolutions());
            if (seen.add(a.key())) {
                out.add(AccuracySample.of(a, 0.5 + 0.4 * r.nextDouble(), 1));
            }
        }
        return out;
    }

    @Test
    void correlationsAreRankCorrelationsWithMeasuredAccuracy() {
        List<AccuracySample> rows = rows(20);
        List<ZeroCostProxies.Scores> s = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            double a = rows.get(i).accuracy();
            // synflow a monotone function of accuracy, naswot its reverse, params rank-equal, macs constant
            s.add(new ZeroCostProxies.Scores(rows.get(i).key(), Math.exp(10 * a), -a, a * a, (long) (1e6 * a), 5, 1));
        }
        ProxyStudy.Report r = ProxyStudy.correlate(rows, s, 16);
        assertEquals(20, r.subnets());
        assertEquals(1.0, r.correlations().get(0).spearman(), 1e-12);
        assertEquals(1.0, r.correlations().get(0).kendall(), 1e-12);
        assertEquals(-1.0, r.correlations().get(1).spearman(), 1e-12);
        assertEquals(1.0, r.correlations().get(2).spearman(), 1e-12);
        assertEquals(1.0, r.correlations().get(3).spearman(), 1e-9);
        assertTrue(ProxyStudy.markdown(r).contains("| naswot | -1.000 | -1.000 |"), ProxyStudy.markdown(r));
    }

    @Test
    void computedProxiesAreKeptAndARerunComputesNone() throws IOException {
        List<AccuracySample> rows = rows(12);
        AtomicInteger calls = new AtomicInteger();
        java.util.function.Function<ArchConfig, ZeroCostProxies.Scores> f = a -> {
            calls.incrementAndGet();
            return new ZeroCostProxies.Scores(a.key(), a.resolution(), 1, 2, 3, 4, 5);
        };
        Path file = dir.resolve("proxies.jsonl");
        List<ZeroCostProxies.Scores> first = ProxyStudy.compute(rows, f, file, null);
        assertEquals(12, calls.get());
        assertEquals(12, Files.readAllLines(file).size());
        Files.writeString(file, "{\"key\":\"r1", java.nio.file.StandardOpenOption.APPEND); // cut by a kill
        List<ZeroCostProxies.Scores> second = ProxyStudy.compute(rows, f, file, null);
        assertEquals(12, calls.get());
        assertEquals(first, second);
        assertEquals(first, ProxyStudy.compute(rows(14), f, file, null).subList(0, 12));
        assertEquals(14, calls.get());
    }

    @Test
    void aTrainingFreeSearchMaximisesTheProxyAndMeasuresTheWinner() throws IOException {
        SearchSpace fm = SearchSpace.fmnist();
        TestPredictors.SmoothAccuracy truth = new TestPredictors.SmoothAccuracy(fm, 5);
        TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(fm);
        ConstrainedSpace cs = new ConstrainedSpace(fm, Constraint.builder()
                .maxLatencyMs(cpu, (cpu.predictMs(fm.min()) + cpu.predictMs(fm.max())) / 2).build(), List.of());
        CostModel cost = new CostModel(fm);
        ProxyStudy.ProxyObjective macs = new ProxyStudy.ProxyObjective("macs",
                a -> new ZeroCostProxies.Scores(a.key(), 0, 0, 0, 0, cost.macs(a), 0));
        try (MeasuredAccuracy m = new MeasuredAccuracy((a, seed) -> truth.predict(a), 1, "synthetic", null)) {
            ProxyStudy.SearchOutcome o = ProxyStudy.trainingFreeSearch(cs,
                    StrategyComparison.forBudget("evolution", 100, CostAxis.macs()), macs, m, 3);
            ArchConfig best = StrategyComparisonTest.ArchKeys.parse(fm, o.bestKey());
            assertTrue(cs.satisfies(best));
            assertEquals(cost.macs(best), o.proxyValue(), 0);
            assertEquals(truth.predict(best), o.measuredAccuracy(), 1e-12);
            assertEquals(100, o.evaluations());
            assertEquals(1, m.measured());
            assertTrue(o.computed() <= 100 && o.computed() > 10);
        }
        assertThrows(IllegalArgumentException.class, () -> new ProxyStudy.ProxyObjective("jacov", a -> null));
    }
}

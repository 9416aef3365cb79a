package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.TestSpaces;
import ofa4j.supernet.data.ImageSet;
import org.junit.jupiter.api.Test;

/**
 * {@link GradientSearch}: the straight-through updates find a known optimum (and a climbing variant
 * does not), constraints hold, seeded runs repeat, and one run on a tiny supernet's gates.
 */
class GradientSearchTest {

    private final SearchSpace space = SearchSpace.fmnist();

    /** A loss whose gate gradient is a hidden additive cost of each chosen kernel and expand ratio. */
    private static final class HiddenCost implements GradientSearch.PathLoss {
        final double[][] kernel;
        final double[][] expand;

        HiddenCost(SearchSpace s, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            kernel = new double[s.numBlockSlots()][s.kernels().size()];
            expand = new double[s.numBlockSlots()][s.expandRatios().size()];
            for (int i = 0; i < kernel.length; i++) {
                for (int j = 0; j < kernel[i].length; j++) {
                    kernel[i][j] = 0.1 + r.nextDouble();
                }
                for (int j = 0; j < expand[i].length; j++) {
                    expand[i][j] = 0.1 + r.nextDouble();
                }
            }
        }

        int best(double[] c) {
            int b = 0;
            for (int i = 1; i < c.length; i++) {
                if (c[i] < c[b]) {
                    b = i;
                }
            }
            return b;
        }

        @Override
        public GradientSearch.Step step(ArchConfig arch, SplittableRandom rng) {
            SearchSpace s = SearchSpace.fmnist();
            int n = arch.depths().stream().mapToInt(Integer::intValue).sum();
            double[] g = new double[n + 1]; // one block outside the stages, as OFA's first block
            int b = 1;
            double loss = 0;
            for (int st = 0; st < arch.depths().size(); st++) {
                for (int j = 0; j < arch.depths().get(st); j++) {
                    int slot = st * s.maxDepth() + j;
                    g[b] = kernel[slot][s.kernels().indexOf(arch.blocks().get(slot).kernel())]
                            + expand[slot][s.expandRatios().indexOf(arch.blocks().get(slot).expand())];
                    loss += g[b++];
                }
            }
            return new GradientSearch.Step(loss, g);
        }

        /** Always-active slots whose argmax kernel and expand are the cheapest. */
        int matches(ArchConfig a) {
            SearchSpace s = SearchSpace.fmnist();
            int m = 0;
            for (int st = 0; st < s.numStages(); st++) {
                for (int j = 0; j < s.depths().get(0); j++) {
                    int slot = st * s.maxDepth() + j;
                    m += s.kernels().indexOf(a.blocks().get(slot).kernel()) == best(kernel[slot]) ? 1 : 0;
                    m += s.expandRatios().indexOf(a.blocks().get(slot).expand()) == best(expand[slot]) ? 1 : 0;
                }
            }
            return m;
        }
    }

    @Test
    void straightThroughUpdatesFindTheHiddenOptimumAndClimbingDoesNot() {
        TestPredictors.SmoothAccuracy acc = new TestPredictors.SmoothAccuracy(space, 1);
        int slots = 2 * space.numStages() * space.depths().get(0);
        int good = 0;
        int bad = 0;
        for (long seed = 0; seed < 3; seed++) {
            HiddenCost h = new HiddenCost(space, 100 + seed);
            SearchResult r = GradientSearch.builder(h).optSteps(2000).build()
                    .search(space, acc, Constraint.none(), seed);
            SearchResult w = GradientSearch.builder(h).optSteps(2000).brokenAscent().build()
                    .search(space, acc, Constraint.none(), seed);
            good += h.matches(r.best().arch());
            bad += h.matches(w.best().arch());
            // the loss fell: the mean of the last 10 steps is below that of the first 10
            assertTrue(r.bestHistory().get(r.bestHistory().size() - 2) < r.bestHistory().get(0), r.bestHistory().toString());
        }
        System.out.printf("[gradient] cheapest choice found in %d of %d always-active decisions (climbing variant: %d)%n",
                good, 3 * slots, bad);
        assertTrue(good >= 0.7 * 3 * slots, good + " of " + 3 * slots); // chance: a third
        assertTrue(bad <= 0.25 * 3 * slots, bad + " of " + 3 * slots);
    }

    /** A loss that falls with every larger kernel, expand ratio and depth: the best subnet is the largest the bound allows. */
    private static GradientSearch.PathLoss biggerIsBetter(SearchSpace s) {
        return (arch, rng) -> {
            int n = arch.depths().stream().mapToInt(Integer::intValue).sum();
            double[] g = new double[n + 1];
            int b = 1;
            double loss = 0;
            for (int st = 0; st < arch.depths().size(); st++) {
                for (int j = 0; j < arch.depths().get(st); j++) {
                    ofa4j.models.BlockChoice c = arch.blocks().get(st * s.maxDepth() + j);
                    g[b] = 0.5 * (s.kernels().size() - 1 - s.kernels().indexOf(c.kernel()))
                            + 0.5 * (s.expandRatios().size() - 1 - s.expandRatios().indexOf(c.expand()))
                            - (j >= s.depths().get(0) ? 1 : 0); // a block beyond the smallest depth lowers the loss
                    loss += g[b++];
                }
            }
            return new GradientSearch.Step(loss, g);
        };
    }

    @Test
    void hingePenaltySpendsTheBudgetWhereTheLinearOneStopsShort() {
        TestPredictors.SmoothAccuracy acc = new TestPredictors.SmoothAccuracy(space, 1);
        TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(space);
        double lo = cpu.predictMs(space.min());
        double bound = lo + 0.5 * (cpu.predictMs(space.max()) - lo);
        Constraint c = Constraint.builder().maxLatencyMs(cpu, bound).build();
        double hinge = 0;
        double linear = 0;
        for (long seed = 0; seed < 3; seed++) {
            for (GradientSearch.Penalty p : GradientSearch.Penalty.values()) {
                SearchResult r = GradientSearch.builder(biggerIsBetter(space)).optSteps(400).optLambda(20).optPenalty(p)
                        .optCandidates(1).build().search(space, acc, c, seed);
                double used = (cpu.predictMs(r.best().arch()) - lo) / (bound - lo);
                assertTrue(used <= 1 + 1e-9, p + " " + r.best().arch().key());
                if (p == GradientSearch.Penalty.HINGE) {
                    hinge += used / 3;
                } else {
                    linear += used / 3;
                }
            }
        }
        System.out.printf("[gradient] share of the latency budget over the min subnet used: hinge %.2f, linear %.2f%n",
                hinge, linear);
        assertTrue(hinge > linear + 0.3, "hinge " + hinge + " vs linear " + linear);
        assertTrue(hinge > 0.8, "hinge used " + hinge + " of the budget");
        assertEquals(GradientSearch.Penalty.HINGE, GradientSearch.Penalty.parse("Hinge"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradientSearch.Penalty.parse("quadratic"));
        assertTrue(e.getMessage().contains("'quadratic'") && e.getMessage().contains("linear or hinge"), e.getMessage());
    }

    @Test
    void theResolutionLearnsFromTheLossAloneAndClimbingDoesNot() {
        // the loss falls by 0.2 per resolution step, under batch noise of sd 0.15; no gate says anything of it
        List<Integer> res = space.resolutions();
        GradientSearch.PathLoss loss = (arch, rng) -> {
            int n = arch.depths().stream().mapToInt(Integer::intValue).sum();
            double noise = 0.15 * Math.sqrt(-2 * Math.log(Math.max(1e-12, rng.nextDouble())))
                    * Math.cos(2 * Math.PI * rng.nextDouble());
            return new GradientSearch.Step(1 + 0.2 * (res.size() - 1 - res.indexOf(arch.resolution())) + noise,
                    new double[n]);
        };
        TestPredictors.SmoothAccuracy acc = new TestPredictors.SmoothAccuracy(space, 1);
        int largest = 0;
        int largestClimbing = 0;
        for (long seed = 0; seed < 4; seed++) {
            ArchConfig a = GradientSearch.builder(loss).optSteps(200).optCandidates(1).build()
                    .search(space, acc, Constraint.none(), seed).best().arch();
            ArchConfig w = GradientSearch.builder(loss).optSteps(200).optCandidates(1).brokenAscent().build()
                    .search(space, acc, Constraint.none(), seed).best().arch();
            largest += a.resolution() == res.get(res.size() - 1) ? 1 : 0;
            largestClimbing += w.resolution() == res.get(res.size() - 1) ? 1 : 0;
        }
        assertTrue(res.size() >= 2, res.toString());
        assertEquals(4, largest, "searches that chose the largest of " + res);
        assertEquals(0, largestClimbing, "climbing searches that chose the largest of " + res);
    }

    @Test
    void constraintsHoldAndSeededRunsRepeat() {
        TestPredictors.SmoothAccuracy acc = new TestPredictors.SmoothAccuracy(space, 1);
        TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(space);
        HiddenCost h = new HiddenCost(space, 7);
        for (double q : new double[] {0.05, 0.3, 0.7}) {
            double lat = cpu.predictMs(space.min()) + q * (cpu.predictMs(space.max()) - cpu.predictMs(space.min()));
            Constraint c = Constraint.builder().maxLatencyMs(cpu, lat).build();
            GradientSearch g = GradientSearch.builder(h).optSteps(60).optLambda(2).build();
            SearchResult a = g.search(space, acc, c, 3);
            SearchResult b = g.search(space, acc, c, 3);
            assertEquals(a.best().arch(), b.best().arch());
            assertEquals(a.bestHistory(), b.bestHistory());
            assertTrue(a.front().size() >= 1 && a.evaluations() >= 1 && a.evaluations() <= 8);
            for (Candidate x : a.front()) {
                assertTrue(cpu.predictMs(x.arch()) <= lat, x.arch().key() + " under " + c.describe());
            }
            assertTrue(cpu.predictMs(a.best().arch()) <= lat);
        }
        assertThrows(IllegalArgumentException.class, () -> GradientSearch.builder(h).optSteps(0).build());
    }

    @Test
    void runsOnATinySupernetsGates() {
        SearchSpace tiny = TestSpaces.tinyFmnist();
        ImageSet val = TestSpaces.randomSet(32, 1, 16, 10, 4);
        TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(tiny);
        Constraint c = Constraint.builder().maxLatencyMs(cpu, (cpu.predictMs(tiny.min()) + cpu.predictMs(tiny.max())) / 2)
                .build();
        try (Supernet net = Supernet.create(tiny, 1)) {
            TestSpaces.randomize(net, 2);
            GradientSearch.PathLoss loss = GradientSearch.supernetLoss(net, val, new float[] {0.5f}, new float[] {0.25f}, 8);
            GradientSearch.Step st = loss.step(tiny.max(), new SplittableRandom(1));
            int active = tiny.max().depths().stream().mapToInt(Integer::intValue).sum();
            assertTrue(st.blockGates().length >= active && st.blockGates().length <= active + 1);
            assertTrue(Double.isFinite(st.loss()) && st.loss() > 0);
            SearchResult r = GradientSearch.builder(loss).optSteps(6).optCandidates(3).build()
                    .search(tiny, new TestPredictors.SmoothAccuracy(tiny, 1), c, 5);
            for (Candidate x : r.front()) {
                assertTrue(cpu.predictMs(x.arch()) <= c.latencyBounds().get(0).maxMs());
            }
            assertTrue(r.bestHistory().stream().allMatch(Double::isFinite), r.bestHistory().toString());
        }
    }
}

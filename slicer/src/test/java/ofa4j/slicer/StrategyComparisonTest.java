package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.SubnetScorer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StrategyComparison} on a synthetic evaluator (a smooth function of the architecture in the
 * place of BN recalibration and validation): budgets spent, best-so-far curves, the measurement
 * cache, resumption, seeded repetition, the table and the plot.
 */
class StrategyComparisonTest {

    private final SearchSpace space = SearchSpace.fmnist();
    private final TestPredictors.SmoothAccuracy truth = new TestPredictors.SmoothAccuracy(space, 5);
    private final TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(space);
    private final AtomicLong calls = new AtomicLong();
    private final SubnetScorer scorer = (arch, seed) -> {
        calls.incrementAndGet();
        assertEquals(77L, seed); // every measurement uses the one calibration seed
        return truth.predict(arch);
    };

    @TempDir Path dir;

    private ConstrainedSpace constrained() {
        double lo = cpu.predictMs(space.min());
        double hi = cpu.predictMs(space.max());
        return new ConstrainedSpace(space, Constraint.builder().maxLatencyMs(cpu, lo + 0.4 * (hi - lo)).build(),
                List.of());
    }

    private StrategyComparison.Settings trueSettings(List<String> names) {
        return new StrategyComparison.Settings(names, StrategyComparison.Mode.TRUE, 50, List.of(1L, 2L));
    }

    private List<StrategyComparison.Row> run(Path out, StrategyComparison.Settings s) throws IOException {
        try (MeasuredAccuracy m = new MeasuredAccuracy(scorer, 77, "synthetic", out.resolve("m.jsonl"))) {
            return StrategyComparison.run(constrained(), s, null, m, out.resolve("rows.jsonl"), null);
        }
    }

    @Test
    void everyStrategySpendsItsBudgetOnTrueEvaluationsMeasuringEachNetworkOnce() throws IOException {
        StrategyComparison.Settings s = trueSettings(SearchStrategies.NAMES);
        List<StrategyComparison.Row> rows = run(dir, s);
        assertEquals(SearchStrategies.NAMES.size() * 2, rows.size());
        long distinctSum = 0;
        long newSum = 0;
        for (StrategyComparison.Row r : rows) {
            String w = r.strategy() + " seed " + r.seed();
            if (r.strategy().equals(CompoundScaling.NAME)) {
                assertTrue(r.evaluations() >= 1 && r.evaluations() <= 50, w); // the feasible points of its curve
            } else {
                assertEquals(50, r.evaluations(), w);
            }
            assertEquals(r.evaluations(), r.bestSoFar().size(), w);
            for (int i = 1; i < r.bestSoFar().size(); i++) {
                assertTrue(r.bestSoFar().get(i) >= r.bestSoFar().get(i - 1), w);
            }
            assertEquals(r.bestAccuracy(), r.bestSoFar().get(r.bestSoFar().size() - 1), 1e-12, w);
            ArchConfig best = parse(r.bestKey());
            assertEquals(truth.predict(best), r.bestAccuracy(), 1e-12, w);
            assertTrue(constrained().satisfies(best), w);
            assertTrue(r.distinctEvaluations() >= 1 && r.distinctEvaluations() <= r.evaluations(), w);
            assertNull(r.bestPredicted(), w);
            distinctSum += r.distinctEvaluations();
            newSum += r.newMeasurements();
        }
        // each network was measured once: the scorer's calls are the cache's lines, fewer than the searches'
        // distinct networks summed (compound scaling's second seed walks the same curve and measures nothing)
        assertEquals(newSum, calls.get());
        assertEquals(calls.get(), Files.readAllLines(dir.resolve("m.jsonl")).size());
        assertTrue(calls.get() < distinctSum, calls.get() + " vs " + distinctSum);
        StrategyComparison.Row cs2 = rows.stream()
                .filter(r -> r.strategy().equals(CompoundScaling.NAME) && r.seed() == 2).findFirst().orElseThrow();
        assertEquals(0, cs2.newMeasurements());
    }

    private ArchConfig parse(String key) {
        // the rows keep keys; find the arch among a fresh search's candidates is not possible, so rebuild it
        return ArchKeys.parse(space, key);
    }

    @Test
    void aRerunSkipsFinishedRunsAndSurvivesACutLine() throws IOException {
        StrategyComparison.Settings s = trueSettings(List.of("random", "evolution", RegularizedEvolution.NAME));
        List<StrategyComparison.Row> first = run(dir, s);
        long measured = calls.get();
        assertEquals(6, first.size());
        assertEquals(first, run(dir, s)); // nothing rerun: the very rows
        assertEquals(measured, calls.get());
        // the last run is lost and a line is cut short by a kill: only that run is redone, from the cache
        Path rows = dir.resolve("rows.jsonl");
        List<String> lines = Files.readAllLines(rows);
        Files.write(rows, lines.subList(0, 5));
        Files.writeString(rows, "{\"format_version\":1,\"mo", StandardOpenOption.APPEND);
        Files.writeString(dir.resolve("m.jsonl"), "{\"key\":\"r2", StandardOpenOption.APPEND);
        List<StrategyComparison.Row> again = run(dir, s);
        assertEquals(measured, calls.get());
        assertEquals(6, again.size());
        assertEquals(6, StrategyComparison.readRows(rows).size());
        StrategyComparison.Row redone = again.get(5);
        assertEquals(first.get(5).bestKey(), redone.bestKey());
        assertEquals(first.get(5).bestSoFar(), redone.bestSoFar());
        assertEquals(0, redone.newMeasurements());
    }

    @Test
    void sameSeedsGiveTheSameRowsInAFreshDirectory() throws IOException {
        StrategyComparison.Settings s = trueSettings(List.of("random", ReinforceSearch.NAME, BayesianOptimisation.NAME));
        List<StrategyComparison.Row> a = run(dir.resolve("a"), s);
        List<StrategyComparison.Row> b = run(dir.resolve("b"), s);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).bestKey(), b.get(i).bestKey());
            assertEquals(a.get(i).bestSoFar(), b.get(i).bestSoFar());
            assertEquals(a.get(i).distinctEvaluations(), b.get(i).distinctEvaluations());
        }
        // different seeds, different searches
        assertTrue(!a.get(0).bestSoFar().equals(a.get(1).bestSoFar()));
    }

    @Test
    void theTableComparesWithRandomSearchAndThePlotIsAPng() throws IOException {
        StrategyComparison.Settings s = trueSettings(List.of("random", "evolution"));
        List<StrategyComparison.Row> rows = run(dir, s);
        StrategyComparison.Report rep = StrategyComparison.summarise(s, rows, "c");
        assertEquals(2, rep.strategies().size());
        StrategyComparison.StrategySummary rnd = rep.strategies().get(0);
        StrategyComparison.StrategySummary evo = rep.strategies().get(1);
        assertEquals("random", rnd.strategy());
        assertEquals(0.0, rnd.vsBaselinePoints(), 1e-12);
        assertEquals(1.0, rnd.winsOverBaseline(), 1e-12); // two ties, half each
        double r1 = rows.get(0).bestAccuracy();
        double r2 = rows.get(1).bestAccuracy();
        double e1 = rows.get(2).bestAccuracy();
        double e2 = rows.get(3).bestAccuracy();
        assertEquals((r1 + r2) / 2, rnd.meanAccuracy(), 1e-12);
        assertEquals(Math.abs(r1 - r2) / Math.sqrt(2), rnd.sdAccuracy(), 1e-12);
        assertEquals(100 * ((e1 - r1) + (e2 - r2)) / 2, evo.vsBaselinePoints(), 1e-9);
        assertEquals(2, evo.pairedSeeds());
        assertEquals((StrategyComparison.at(rows.get(2).bestSoFar(), 25) + StrategyComparison.at(rows.get(3).bestSoFar(),
                25)) / 2, evo.meanAtHalf(), 1e-12);
        assertEquals(50, evo.meanEvaluations(), 1e-12);
        assertNotNull(rep.msPerMeasurement());
        String md = StrategyComparison.markdown(rep);
        assertTrue(md.contains(String.format(java.util.Locale.ROOT, "| random | 2 | %.2f%% +- %.2f | ",
                100 * rnd.meanAccuracy(), 100 * rnd.sdAccuracy())), md);
        assertTrue(md.contains("| evolution | 2 | "), md);
        byte[] png = StrategyComparison.plot(s, rows, "t");
        assertTrue(png.length > 1000);
        assertEquals((byte) 0x89, png[0]);
        assertEquals("PNG", new String(png, 1, 3, StandardCharsets.US_ASCII));
    }

    @Test
    void onThePredictorOnlyTheBestSubnetIsMeasured() throws IOException {
        TestPredictors.SmoothAccuracy predictor = new TestPredictors.SmoothAccuracy(space, 6);
        StrategyComparison.Settings s = new StrategyComparison.Settings(List.of("random", "evolution"),
                StrategyComparison.Mode.PREDICTOR, 200, List.of(3L));
        List<StrategyComparison.Row> rows;
        try (MeasuredAccuracy m = new MeasuredAccuracy(scorer, 77, "synthetic", null)) {
            rows = StrategyComparison.run(constrained(), s, predictor, m, dir.resolve("rows.jsonl"), null);
        }
        assertEquals(2, rows.size());
        for (StrategyComparison.Row r : rows) {
            ArchConfig best = ArchKeys.parse(space, r.bestKey());
            assertEquals(200, r.evaluations());
            assertTrue(r.bestSoFar().isEmpty());
            assertEquals(predictor.predict(best), r.bestPredicted(), 1e-12);
            assertEquals(truth.predict(best), r.bestAccuracy(), 1e-12);
            assertTrue(r.newMeasurements() <= 1);
        }
        assertTrue(calls.get() >= 1 && calls.get() <= 2);
        assertThrows(IllegalArgumentException.class, () -> StrategyComparison.plot(s, rows, "t"));
    }

    @Test
    void badSettingsAreRefusedNamingTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trueSettings(List.of("random", "annealing")));
        assertTrue(e.getMessage().contains("'annealing'") && e.getMessage().contains("allowed: evolution"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new StrategyComparison.Settings(List.of("evolution"),
                StrategyComparison.Mode.TRUE, 33, List.of(1L)));
        assertTrue(e.getMessage().contains("found 33") && e.getMessage().contains("multiple of 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StrategyComparison.Mode.of("truth"));
        assertTrue(e.getMessage().contains("'truth'") && e.getMessage().contains("true, predictor"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new StrategyComparison.Settings(List.of("random"),
                StrategyComparison.Mode.TRUE, 50, List.of(1L, 1L)));
        assertTrue(e.getMessage().contains("[1, 1]"), e.getMessage());
    }

    @Test
    void gradientSearchJoinsWithItsEvaluationsCountedAndItsStepsApart() throws IOException {
        AtomicLong steps = new AtomicLong();
        // a flat loss: only the expected-cost term moves the logits; every step is counted
        GradientSearch.PathLoss flat = (arch, rng) -> {
            steps.incrementAndGet();
            int blocks = arch.depths().stream().mapToInt(Integer::intValue).sum();
            return new GradientSearch.Step(1.0, new double[blocks]);
        };
        StrategyComparison.Settings s = trueSettings(List.of("random", GradientSearch.NAME));
        List<StrategyComparison.Row> rows;
        try (MeasuredAccuracy m = new MeasuredAccuracy(scorer, 77, "synthetic", dir.resolve("m.jsonl"))) {
            rows = StrategyComparison.run(constrained(), s, null, m, flat, dir.resolve("rows.jsonl"), null);
        }
        assertEquals(4, rows.size());
        assertEquals(2 * StrategyComparison.GRADIENT_STEPS, steps.get());
        for (StrategyComparison.Row r : rows) {
            String w = r.strategy() + " seed " + r.seed();
            boolean g = r.strategy().equals(GradientSearch.NAME);
            assertEquals(g ? 200 : 0, r.pathSteps(), w);
            assertEquals(50, r.evaluations(), w); // the argmax and 49 draws: the budget, as random search's
            assertEquals(50, r.bestSoFar().size(), w);
            // the row's best is the best subnet evaluated (for gradient: not always its argmax)
            assertEquals(r.bestSoFar().get(49), r.bestAccuracy(), 1e-12, w);
            assertEquals(truth.predict(ArchKeys.parse(space, r.bestKey())), r.bestAccuracy(), 1e-12, w);
            assertTrue(constrained().satisfies(ArchKeys.parse(space, r.bestKey())), w);
            assertTrue(r.searchMs() >= 0 && r.wallMs() >= r.measureMs(), w);
        }
        StrategyComparison.Report rep = StrategyComparison.summarise(s, rows, "c");
        assertEquals(0, rep.strategies().get(0).meanPathSteps());
        StrategyComparison.StrategySummary grad = rep.strategies().get(1);
        assertEquals(GradientSearch.NAME, grad.strategy());
        assertEquals(200, grad.meanPathSteps());
        assertEquals(50, grad.meanEvaluations());
        assertEquals(2, grad.pairedSeeds());
        String md = StrategyComparison.markdown(rep);
        assertTrue(md.contains(String.format(java.util.Locale.ROOT, "| gradient | 2 | %.2f%% +- %.2f | ",
                100 * grad.meanAccuracy(), 100 * grad.sdAccuracy())), md);
        assertTrue(md.contains(" | 200 gradient steps |\n"), md);
        assertTrue(md.lines().filter(l -> l.startsWith("| random | 2 | ")).allMatch(l -> l.endsWith(" | - |")), md);
        assertTrue(md.contains("Gradient: it trains architecture logits on the supernet instead of evaluating"), md);
        // a rerun skips both, the gradient's steps included
        try (MeasuredAccuracy m = new MeasuredAccuracy(scorer, 77, "synthetic", dir.resolve("m.jsonl"))) {
            assertEquals(rows, StrategyComparison.run(constrained(), s, null, m, flat, dir.resolve("rows.jsonl"), null));
        }
        assertEquals(400, steps.get());
        // over the cap, the evaluations stop at the draws it may make
        assertEquals(StrategyComparison.GRADIENT_CANDIDATES_CAP, ((GradientSearch) StrategyComparison.forBudget(
                GradientSearch.NAME, 1000, CostAxis.macs(), flat)).candidates());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StrategyComparison.forBudget(GradientSearch.NAME, 50, CostAxis.macs()));
        assertEquals("search strategy gradient needs the trained supernet's path loss (GradientSearch.supernetLoss),"
                + " found none", e.getMessage());
        try (MeasuredAccuracy m = new MeasuredAccuracy(scorer, 77, "synthetic", null)) {
            e = assertThrows(IllegalArgumentException.class, () -> StrategyComparison.run(constrained(),
                    trueSettings(List.of(GradientSearch.NAME)), null, m, dir.resolve("other.jsonl"), null));
            assertTrue(e.getMessage().startsWith("search strategy gradient needs"), e.getMessage());
        }
    }

    @Test
    void smallBudgetsGiveSmallPopulations() {
        for (long budget : new long[] {25, 50, 100}) {
            for (String n : SearchStrategies.NAMES) {
                SearchStrategy st = StrategyComparison.forBudget(n, budget, CostAxis.macs());
                SearchResult r = st.search(constrained(), truth, 9);
                if (!n.equals(CompoundScaling.NAME)) {
                    assertEquals(budget, r.evaluations(), n + " at " + budget);
                }
            }
        }
        assertEquals(300, ((EvolutionSearch) StrategyComparison.forBudget("evolution", 300, CostAxis.macs())).budget());
        assertEquals(StrategyComparison.BAYES_CAP,
                ((BayesianOptimisation) StrategyComparison.forBudget(BayesianOptimisation.NAME, 50_100, CostAxis.macs()))
                        .budget());
    }

    /** Rebuilds an arch from its key (test helper). */
    static final class ArchKeys {
        static ArchConfig parse(SearchSpace space, String key) {
            // key: r<res>-k<k>e<e>.k<k>e<e>|...  one stage per '|', the active blocks of each stage
            String[] head = key.split("-", 2);
            int res = Integer.parseInt(head[0].substring(1));
            String[] stages = head[1].split("\\|");
            List<ofa4j.models.BlockChoice> blocks = new ArrayList<>();
            List<Integer> depths = new ArrayList<>();
            int maxDepth = space.depths().get(space.depths().size() - 1);
            for (String st : stages) {
                String[] bs = st.split("\\.");
                depths.add(bs.length);
                ofa4j.models.BlockChoice last = null;
                for (String b : bs) {
                    int e = b.indexOf('e');
                    last = new ofa4j.models.BlockChoice(Integer.parseInt(b.substring(1, e)),
                            Integer.parseInt(b.substring(e + 1)));
                    blocks.add(last);
                }
                for (int i = bs.length; i < maxDepth; i++) {
                    blocks.add(last);
                }
            }
            return new ArchConfig(blocks, depths, res);
        }
    }
}

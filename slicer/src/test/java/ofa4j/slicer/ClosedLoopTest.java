package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyPredictor;
import org.junit.jupiter.api.Test;

/**
 * The closed loop delivers what it measured: over-budget candidates are rejected, budgets are
 * tightened when nothing meets them, larger budgets never deliver less, refinement sees every
 * measured row, and an impossible budget ends with one message naming it.
 */
class ClosedLoopTest {

    private static final SearchSpace SPACE = SearchSpace.fmnist();
    private static final TestPredictors.LayerLatency CPU = TestPredictors.LayerLatency.cpu(SPACE);
    private static final EvolutionSearch SMALL = EvolutionSearch.builder().optGenerations(8).build();

    /** Measures accuracy as the prediction minus a fixed offset and latency as {@code slowdown} x prediction. */
    private static final class FakeMeasurer implements ClosedLoop.Measurer {
        final AccuracyPredictor truth = new TestPredictors.SmoothAccuracy(SPACE, 1);
        final Map<String, Integer> calls = new HashMap<>();
        final double slowdown;

        FakeMeasurer(double slowdown) {
            this.slowdown = slowdown;
        }

        @Override
        public ClosedLoop.Measurement measure(ArchConfig arch, Map<String, Specialiser.LocalTiming> timings) {
            calls.merge(arch.key(), 1, Integer::sum);
            Map<String, Double> lat = new HashMap<>();
            timings.keySet().forEach(d -> lat.put(d, CPU.predictMs(arch) * slowdown));
            return new ClosedLoop.Measurement(truth.predict(arch) - 0.01, lat);
        }
    }

    /** Screens with an error of up to +-2 points that depends on the subnet; whole accuracy as FakeMeasurer. */
    private static final class ScreeningMeasurer implements ClosedLoop.Measurer {
        final FakeMeasurer whole = new FakeMeasurer(1.0);
        final Map<String, Integer> screened = new HashMap<>();
        final Map<String, Integer> completed = new HashMap<>();

        @Override
        public ClosedLoop.Measurement measure(ArchConfig arch, Map<String, Specialiser.LocalTiming> timings) {
            throw new AssertionError("a screening loop measures no candidate whole at once");
        }

        @Override
        public ClosedLoop.Measurement screen(ArchConfig arch, Map<String, Specialiser.LocalTiming> timings, int n) {
            screened.merge(arch.key(), 1, Integer::sum);
            ClosedLoop.Measurement m = whole.measure(arch, timings);
            double noise = ((arch.key().hashCode() & 0xff) / 255.0 - 0.5) * 0.04;
            return new ClosedLoop.Measurement(m.valAccuracy() + noise, m.latencyMs(), n);
        }

        @Override
        public double valAccuracy(ArchConfig arch) {
            completed.merge(arch.key(), 1, Integer::sum);
            return whole.truth.predict(arch) - 0.01;
        }
    }

    @Test
    void aBoundedPoolDropsTheOldestCandidatesBetweenTargets() {
        FakeMeasurer m = new FakeMeasurer(1.0);
        ClosedLoop loop = new ClosedLoop(SPACE, new TestPredictors.SmoothAccuracy(SPACE, 1), SMALL, m, null, local(), 4, 1,
                null).maxPooled(5);
        double budget = midBudget();
        for (int i = 0; i < 4; i++) {
            loop.run(new Fleet.Target("t" + i, Constraint.builder().maxLatencyMs(CPU, budget * (1 + 0.2 * i)).build()), i);
            // trimmed before each target, so at most the bound plus one target's K candidates
            assertTrue(loop.pooled() <= 5 + 4, "pool " + loop.pooled());
        }
        assertTrue(m.calls.size() > 5, "several targets measured " + m.calls.size() + " distinct candidates");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loop.maxPooled(0));
        assertTrue(e.getMessage().contains("found 0"), e.getMessage());
    }

    @Test
    void screeningScoresEveryCandidateOnAPartAndDeliversOnlyFinalistsMeasuredWhole() {
        ScreeningMeasurer m = new ScreeningMeasurer();
        List<Integer> refitRows = new ArrayList<>();
        ClosedLoop.Refiner r = rows -> {
            rows.forEach(x -> assertTrue(x.measurement().complete(), "refit on a screened row " + x.arch().key()));
            refitRows.add(rows.size());
            return new TestPredictors.SmoothAccuracy(SPACE, 1);
        };
        double budget = midBudget();
        ClosedLoop loop = new ClosedLoop(SPACE, new TestPredictors.SmoothAccuracy(SPACE, 1), SMALL, m, r, local(), 8, 1,
                null).screening(500);
        ClosedLoop.Outcome o = loop.run(new Fleet.Target("t", Constraint.builder().maxLatencyMs(CPU, budget).build()), 4);

        assertEquals(8, m.screened.size());
        assertTrue(m.screened.values().stream().allMatch(n -> n == 1), m.screened.toString());
        assertTrue(m.completed.size() >= 1 && m.completed.size() <= ClosedLoop.FINALISTS, m.completed.toString());
        assertTrue(m.completed.values().stream().allMatch(n -> n == 1), m.completed.toString());
        // the finalists are the best screened candidates within the budget
        double worstFinalist = loop.measured().stream().filter(c -> m.completed.containsKey(c.arch().key()))
                .mapToDouble(c -> m.screen(c.arch(), local(), 500).valAccuracy()).min().orElseThrow();
        for (ClosedLoop.MeasuredCandidate c : loop.measured()) {
            if (!m.completed.containsKey(c.arch().key())) {
                assertFalse(c.measurement().complete());
                assertEquals(500, c.measurement().screenImages());
                if (c.measuredLatencyMs(CPU.deviceName()) <= budget) {
                    assertTrue(c.measurement().valAccuracy() <= worstFinalist, c.arch().key());
                }
            }
        }
        ClosedLoop.MeasuredCandidate d = o.delivered();
        assertTrue(d.measurement().complete());
        assertEquals(m.whole.truth.predict(d.arch()) - 0.01, d.measurement().valAccuracy(), 1e-12);
        assertTrue(d.measuredLatencyMs(CPU.deviceName()) <= budget);
        assertEquals(List.of(m.completed.size()), refitRows);
        assertThrows(IllegalArgumentException.class, () -> loop.screening(-1));
    }

    private static Map<String, Specialiser.LocalTiming> local() {
        return Map.of(CPU.deviceName(), new Specialiser.LocalTiming(CPU.deviceName(), 1, 1));
    }

    private static double midBudget() {
        return (CPU.predictMs(SPACE.min()) + CPU.predictMs(SPACE.max())) / 2;
    }

    @Test
    void rejectsCandidatesThatMeasureOverBudgetAndTightensTheSearch() {
        // every subnet measures 25% slower than predicted: the first round's top candidates, chosen
        // right under the budget by prediction, all measure over it
        FakeMeasurer m = new FakeMeasurer(1.25);
        double budget = midBudget();
        ClosedLoop loop = new ClosedLoop(SPACE, new TestPredictors.SmoothAccuracy(SPACE, 1), SMALL, m, null, local(), 4, 1,
                null);
        ClosedLoop.Outcome o = loop.run(new Fleet.Target("t", Constraint.builder().maxLatencyMs(CPU, budget).build()), 3);

        List<ClosedLoop.MeasuredCandidate> round1 = o.proposed().stream().filter(c -> c.round() == 1).toList();
        assertEquals(4, round1.size());
        for (ClosedLoop.MeasuredCandidate c : round1) {
            assertTrue(c.candidate().costs().latencyMs(CPU.deviceName()) <= budget, "proposed under budget by prediction");
            assertTrue(c.measuredLatencyMs(CPU.deviceName()) > budget, "but measures over it: " + c.arch().key());
        }
        assertTrue(o.searches().size() >= 2, "a second, tightened round: " + o.searches().size());
        assertTrue(o.notes().get(0).contains("measured/predicted median 1.250"), o.notes().toString());
        double delivered = o.delivered().measuredLatencyMs(CPU.deviceName());
        assertTrue(delivered <= budget, "delivered measures " + delivered + " ms, budget " + budget);
        assertTrue(o.delivered().round() >= 2);
        assertTrue(o.latencyMeasured());
        // each subnet is measured once
        assertTrue(m.calls.values().stream().allMatch(n -> n == 1), m.calls.toString());
    }

    @Test
    void deliversTheBestMeasuredAndLargerBudgetsNeverDeliverLess() {
        FakeMeasurer m = new FakeMeasurer(1.0);
        double lo = CPU.predictMs(SPACE.min());
        double hi = CPU.predictMs(SPACE.max());
        List<Fleet.Target> targets = new ArrayList<>();
        for (double f : new double[] {0.25, 0.5, 0.75}) {
            targets.add(new Fleet.Target("lat-" + f, Constraint.builder().maxLatencyMs(CPU, lo + f * (hi - lo)).build()));
        }
        ClosedLoop loop = new ClosedLoop(SPACE, new TestPredictors.SmoothAccuracy(SPACE, 1), SMALL, m, null, local(), 5, 1,
                null);
        List<ClosedLoop.Outcome> out = loop.run(targets, 11);
        double previous = -1;
        for (ClosedLoop.Outcome o : out) {
            double val = o.delivered().measurement().valAccuracy();
            assertTrue(val >= previous, "budget " + o.target().name() + " delivered " + val + " < " + previous);
            previous = val;
            double budget = o.target().constraint().latencyBounds().get(0).maxMs();
            // the delivered one is the best measured of the whole pool within the budget
            for (ClosedLoop.MeasuredCandidate c : loop.measured()) {
                if (c.measuredLatencyMs(CPU.deviceName()) <= budget) {
                    assertTrue(c.measurement().valAccuracy() <= val, c.arch().key() + " measured better");
                }
            }
        }
    }

    @Test
    void refinementSeesEveryMeasuredRowAndTheNextRoundUsesTheRefittedPredictor() {
        FakeMeasurer m = new FakeMeasurer(1.0);
        List<Integer> batches = new ArrayList<>();
        AccuracyPredictor refitted = new TestPredictors.SmoothAccuracy(SPACE, 99);
        ClosedLoop.Refiner r = rows -> {
            batches.add(rows.size());
            rows.forEach(x -> assertTrue(Double.isFinite(x.measurement().valAccuracy())));
            return refitted;
        };
        ClosedLoop loop = new ClosedLoop(SPACE, new TestPredictors.SmoothAccuracy(SPACE, 1), SMALL, m, r, local(), 3, 2,
                new double[] {0.5, 0.6});
        ClosedLoop.Outcome o = loop.run(new Fleet.Target("t", Constraint.builder().maxLatencyMs(CPU, midBudget()).build()), 5);
        assertEquals(2, o.searches().size());
        assertEquals(loop.measured().size(), batches.stream().mapToInt(Integer::intValue).sum());
        assertEquals(2, batches.size());
        assertTrue(o.proposed().stream().filter(c -> c.round() == 2).allMatch(c -> c.predictor().equals(refitted.name())));
        // a prediction outside the rows fitted on (the table's [0.5, 0.6], then also the measured rows)
        // is flagged and reported at the nearest bound; the search ranked on the raw prediction
        double hi = Math.max(0.6, o.proposed().stream().filter(c -> c.round() == 1)
                .mapToDouble(c -> c.measurement().valAccuracy()).max().orElse(0.6));
        int clamped = 0;
        for (ClosedLoop.MeasuredCandidate c : o.proposed()) {
            double p = c.candidate().predictedAccuracy();
            double top = c.round() == 1 ? 0.6 : hi;
            assertTrue(p >= 0.5 - 1e-12 && p <= top + 1e-12, "reported " + p + " outside [0.5, " + top + "]");
            if (c.outsideTableRange()) {
                clamped++;
                assertTrue(Math.abs(p - 0.5) < 1e-12 || Math.abs(p - top) < 1e-12, "clamped to a bound: " + p);
            }
        }
        assertTrue(clamped > 0, "SmoothAccuracy predicts beyond [0.5, 0.6] for some candidates");
    }

    /** A predictor of one value for every subnet. */
    private record Constant(double value, String name) implements AccuracyPredictor {
        @Override
        public double[] predict(List<ArchConfig> archs) {
            double[] p = new double[archs.size()];
            java.util.Arrays.fill(p, value);
            return p;
        }
    }

    /** Refits to SmoothAccuracy(1); leaves rows out by asking {@code without}. */
    private static ClosedLoop.Refiner leavingOut(java.util.function.Function<ArchConfig, AccuracyPredictor> without) {
        return new ClosedLoop.Refiner() {
            @Override
            public AccuracyPredictor refit(List<ClosedLoop.MeasuredCandidate> rows) {
                return new TestPredictors.SmoothAccuracy(SPACE, 1);
            }

            @Override
            public AccuracyPredictor fitWithout(ArchConfig arch) {
                return without.apply(arch);
            }
        };
    }

    @Test
    void withRefinementTheDeliveredSubnetIsReportedOutOfSampleByTheRefinedPredictor() {
        FakeMeasurer m = new FakeMeasurer(1.0);
        List<String> leftOut = new ArrayList<>();
        ClosedLoop.Refiner r = leavingOut(arch -> {
            leftOut.add(arch.key());
            return new Constant(0.5 + 0.01 * leftOut.size(), "loo");
        });
        ClosedLoop loop = new ClosedLoop(SPACE, new TestPredictors.SmoothAccuracy(SPACE, 1), SMALL, m, r, local(), 3, 1,
                new double[] {0.0, 1.0});
        // two targets with the same budget deliver the same subnet: one refit leaves it out
        Constraint c = Constraint.builder().maxLatencyMs(CPU, midBudget()).build();
        List<ClosedLoop.Outcome> out = loop.run(List.of(new Fleet.Target("a", c), new Fleet.Target("b", c)), 5);
        assertEquals(out.get(0).delivered().arch().key(), out.get(1).delivered().arch().key());
        assertEquals(List.of(out.get(0).delivered().arch().key()), leftOut);
        for (ClosedLoop.Outcome o : out) {
            assertEquals(ClosedLoop.Prediction.OUT_OF_SAMPLE, o.prediction().basis());
            assertEquals("loo", o.prediction().predictor());
            assertEquals(0.51, o.prediction().accuracy(), 1e-12);
            assertFalse(o.prediction().outsideTableRange());
            // the search's own prediction stays with the candidate
            assertEquals(new TestPredictors.SmoothAccuracy(SPACE, 1).predict(o.delivered().arch()),
                    o.delivered().candidate().predictedAccuracy(), 1e-12);
        }
    }

    @Test
    void anOutOfSamplePredictionBeyondTheOtherRowsIsClampedAndFlaggedAndWithoutRefinementTheSearchsStands() {
        FakeMeasurer m = new FakeMeasurer(1.0);
        ClosedLoop.Refiner r = leavingOut(arch -> new Constant(1.7, "wild"));
        Fleet.Target t = new Fleet.Target("t", Constraint.builder().maxLatencyMs(CPU, midBudget()).build());
        ClosedLoop loop = new ClosedLoop(SPACE, new TestPredictors.SmoothAccuracy(SPACE, 1), SMALL, m, r, local(), 3, 1,
                new double[] {0.2, 0.3});
        ClosedLoop.Outcome o = loop.run(t, 5);
        String key = o.delivered().arch().key();
        double othersMax = Math.max(0.3, loop.measured().stream().filter(x -> !x.arch().key().equals(key))
                .mapToDouble(x -> x.measurement().valAccuracy()).max().orElse(0.3));
        assertTrue(o.prediction().outsideTableRange());
        assertEquals(othersMax, o.prediction().accuracy(), 1e-12);

        ClosedLoop plain = new ClosedLoop(SPACE, new TestPredictors.SmoothAccuracy(SPACE, 1), SMALL, new FakeMeasurer(1.0),
                null, local(), 3, 1, null);
        ClosedLoop.Outcome p = plain.run(t, 5);
        assertEquals(ClosedLoop.Prediction.SEARCH, p.prediction().basis());
        assertEquals(p.delivered().candidate().predictedAccuracy(), p.prediction().accuracy(), 0.0);
    }

    @Test
    void anImpossibleMeasuredBudgetEndsWithOneMessageNamingItAndTheFastestMeasurement() {
        FakeMeasurer m = new FakeMeasurer(20.0); // everything is 20x slower than predicted
        double budget = midBudget();
        ClosedLoop loop = new ClosedLoop(SPACE, new TestPredictors.SmoothAccuracy(SPACE, 1), SMALL, m, null, local(), 2, 1,
                null);
        InfeasibleConstraintException e = assertThrows(InfeasibleConstraintException.class,
                () -> loop.run(List.of(new Fleet.Target("phone", Constraint.builder().maxLatencyMs(CPU, budget).build())), 1));
        assertTrue(e.getMessage().startsWith("target phone: no measured candidate meets"), e.getMessage());
        assertTrue(e.getMessage().contains("fastest measured"), e.getMessage());
        assertTrue(e.cheapest().get("latency_ms[" + CPU.deviceName() + "]") > budget);
        assertTrue(e.getMessage().contains(String.format(java.util.Locale.ROOT, "budget %.4f ms", budget)), e.getMessage());
        int rounds = loop.measured().stream().mapToInt(c -> c.round()).max().orElse(0);
        assertTrue(rounds >= 1 && rounds <= 1 + ClosedLoop.MAX_TIGHTENING_ROUNDS, "rounds " + rounds);
    }

    @Test
    void remoteDevicesKeepThePredictionAndSaySo() {
        FakeMeasurer m = new FakeMeasurer(5.0);
        ClosedLoop loop = new ClosedLoop(SPACE, new TestPredictors.SmoothAccuracy(SPACE, 1), SMALL, m, null, Map.of(), 3, 1,
                null);
        ClosedLoop.Outcome o = loop.run(new Fleet.Target("far", Constraint.builder().maxLatencyMs(CPU, midBudget()).build()), 2);
        assertFalse(o.latencyMeasured());
        assertEquals(1, o.searches().size());
        assertTrue(Double.isNaN(o.delivered().measuredLatencyMs(CPU.deviceName())));
        assertTrue(o.delivered().candidate().costs().latencyMs(CPU.deviceName()) <= midBudget());
    }
}

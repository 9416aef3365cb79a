package ofa4j.slicer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.LatencyPredictor;

/**
 * Keeps the promise of a slice: the predictor-driven search only proposes; what is delivered was
 * measured. Each round searches with the current accuracy predictor, measures the top {@code K}
 * distinct candidates that satisfy the constraint by prediction (validation accuracy after BN
 * recalibration, and latency through the device profile's own meter when the device is this
 * machine), and may refit the predictor on those rows (LINAS-style refinement). The delivered
 * subnet is the most accurate <em>measured</em> one that meets the constraint <em>by measurement</em>.
 *
 * <p>When no measured candidate meets a latency budget, the predicted budget is tightened by the
 * observed measured/predicted ratio and the search runs again, for a bounded number of rounds; then
 * an {@link InfeasibleConstraintException} names the budget and the best measured latency.
 *
 * <p>Measurements are pooled across the targets of one loop: a candidate measured for one budget is
 * a candidate for every budget it meets, so a larger budget never delivers a less accurate subnet than
 * a smaller one. Devices without a local timing (remote profiles) keep the predicted latency.
 */
public final class ClosedLoop {

    /** Default number of candidates measured per round. */
    public static final int DEFAULT_K = 8;

    /** Default number of search-measure(-refit) rounds. */
    public static final int DEFAULT_ROUNDS = 1;

    /** Extra rounds allowed to tighten a latency budget that no measured candidate met. */
    public static final int MAX_TIGHTENING_ROUNDS = 3;

    /** The smallest tightening per extra round (the budget shrinks by at least 3%). */
    static final double MIN_TIGHTENING = 1.03;

    /** Measures one subnet: validation accuracy and latency on this machine. */
    public interface Measurer {
        /**
         * Measures a subnet.
         *
         * @param arch the subnet
         * @param timings local timing settings by device name (may be empty: accuracy only)
         * @return the figures
         * @throws Exception if extraction, evaluation or timing fails
         */
        Measurement measure(ArchConfig arch, Map<String, Specialiser.LocalTiming> timings) throws Exception;

        /**
         * Screens a subnet: latency as {@link #measure}, accuracy on the first {@code valImages}
         * validation images only. By default the whole measurement.
         *
         * @param arch the subnet
         * @param timings local timing settings by device name
         * @param valImages validation images to score on
         * @return the figures, {@link Measurement#screenImages} set when only a part was scored
         * @throws Exception if extraction, evaluation or timing fails
         */
        default Measurement screen(ArchConfig arch, Map<String, Specialiser.LocalTiming> timings, int valImages)
                throws Exception {
            return measure(arch, timings);
        }

        /**
         * The accuracy of a subnet on the whole validation split (to complete a screened one).
         *
         * @param arch the subnet
         * @return validation top-1, fraction
         * @throws Exception if extraction or evaluation fails
         */
        default double valAccuracy(ArchConfig arch) throws Exception {
            return measure(arch, Map.of()).valAccuracy();
        }
    }

    /**
     * Refits the accuracy predictor after new rows were measured.
     */
    public interface Refiner {
        /**
         * Takes the new measured rows (validation accuracy) and returns the predictor to search with next.
         *
         * @param rows the rows measured since the last call
         * @return the refitted predictor
         * @throws Exception if fitting or writing fails
         */
        AccuracyPredictor refit(List<MeasuredCandidate> rows) throws Exception;

        /**
         * The predictor fitted, as the last {@link #refit}, on every row so far except those of one
         * subnet: its out-of-sample prediction of that subnet, which has seen every other
         * measurement. By default not supported.
         *
         * @param arch the subnet whose rows are left out
         * @return the predictor, or null when not supported
         * @throws Exception if fitting fails
         */
        default AccuracyPredictor fitWithout(ArchConfig arch) throws Exception {
            return null;
        }
    }

    /**
     * The accuracy reported for a delivered subnet.
     *
     * @param accuracy predicted validation accuracy (fraction), clamped to the accuracies the
     *     predictor was fitted on when {@code outsideTableRange}
     * @param predictor name of the predictor
     * @param outsideTableRange true when the raw prediction lay outside those accuracies
     * @param basis how it was made: {@link #SEARCH} (the prediction the search ranked by) or {@link
     *     #OUT_OF_SAMPLE} (the refined predictor, refitted without the subnet's own measurement)
     */
    public record Prediction(double accuracy, String predictor, boolean outsideTableRange, String basis) {
        /** The prediction the search ranked the subnet by. */
        public static final String SEARCH = "search";

        /** The refined predictor's prediction with the subnet's own measured row left out. */
        public static final String OUT_OF_SAMPLE = "refined, own measurement left out";
    }

    /**
     * What a measurement found.
     *
     * @param valAccuracy validation top-1, fraction
     * @param latencyMs measured latency by device name (only devices timed here)
     * @param screenImages 0 when the accuracy was measured on the whole validation split; else the
     *     number of its first images it was measured on (a screening)
     */
    public record Measurement(double valAccuracy, Map<String, Double> latencyMs, int screenImages) {
        /** Copies the map. */
        public Measurement {
            latencyMs = Map.copyOf(latencyMs);
            if (screenImages < 0) {
                throw new IllegalArgumentException("screenImages must be >= 0, found " + screenImages);
            }
        }

        /**
         * A measurement on the whole validation split.
         *
         * @param valAccuracy validation top-1, fraction
         * @param latencyMs measured latency by device name
         */
        public Measurement(double valAccuracy, Map<String, Double> latencyMs) {
            this(valAccuracy, latencyMs, 0);
        }

        /** @return true when the accuracy covers the whole validation split */
        public boolean complete() {
            return screenImages == 0;
        }
    }

    /**
     * One measured candidate.
     *
     * @param candidate the candidate as the search proposed it (predicted accuracy and costs)
     * @param proposedBy the target whose search proposed it first
     * @param round the round (1-based) of that search
     * @param predictor name of the predictor that predicted it
     * @param measurement what was measured
     * @param outsideTableRange true when the predicted accuracy lies outside the range of the
     *     accuracies the predictor was fitted on (an extrapolation)
     * @param measureMs wall time of its measurement, ms
     */
    public record MeasuredCandidate(Candidate candidate, String proposedBy, int round, String predictor,
            Measurement measurement, boolean outsideTableRange, double measureMs) {

        /** @return the subnet */
        public ArchConfig arch() {
            return candidate.arch();
        }

        /**
         * The measured latency on a device, or NaN when not measured here.
         *
         * @param device the device name
         * @return ms or NaN
         */
        public double measuredLatencyMs(String device) {
            Double v = measurement.latencyMs().get(device);
            return v == null ? Double.NaN : v;
        }
    }

    /**
     * The outcome for one target.
     *
     * @param target the target
     * @param delivered the candidate delivered
     * @param proposed every candidate this target's searches proposed and that was measured (in order)
     * @param searches this target's search results, one per round
     * @param notes what happened (tightening, rejections) in plain words
     * @param latencyMeasured true when every latency bound of the constraint was checked by
     *     measurement; false when some device is remote and its prediction was kept
     * @param prediction the accuracy reported for the delivered subnet: with refinement, the refined
     *     predictor's out-of-sample prediction (the search's own is in {@code delivered})
     */
    public record Outcome(Fleet.Target target, MeasuredCandidate delivered, List<MeasuredCandidate> proposed,
            List<SearchResult> searches, List<String> notes, boolean latencyMeasured, Prediction prediction) {
        /** Copies the lists. */
        public Outcome {
            proposed = List.copyOf(proposed);
            searches = List.copyOf(searches);
            notes = List.copyOf(notes);
        }
    }

    private final SearchSpace space;
    private final SearchStrategy strategy;
    private final Measurer measurer;
    private final Refiner refiner;
    private final Map<String, Specialiser.LocalTiming> localTimings;
    private final int k;
    private final int rounds;
    private final double fittedMin;
    private final double fittedMax;
    /** Every row given to the refiner, by arch key (guarded by {@code this}). */
    private final Map<String, Double> refitRows = new LinkedHashMap<>();
    /** Out-of-sample predictions by arch key, valid while {@code refitRows} has {@code oosRows} rows. */
    private final Map<String, Prediction> outOfSample = new HashMap<>();
    private int oosRows = -1;
    private final CostTable table;
    /** Validation images a candidate is screened on first (0: every candidate on the whole split). */
    private int screenImages;
    /** Every candidate measured so far, by arch key, in the order measured (guarded by {@code this}). */
    private final Map<String, MeasuredCandidate> pool = new LinkedHashMap<>();
    /** Candidates the pool keeps between targets (the oldest measured go first). */
    private int maxPooled = Integer.MAX_VALUE;
    private CachingAccuracyPredictor predictor;

    /**
     * Creates a loop.
     *
     * @param space the search space
     * @param predictor the accuracy predictor to start with
     * @param strategy the search strategy
     * @param measurer measures candidates
     * @param refiner refits the predictor after each round, or null for no refinement
     * @param localTimings how to time devices on this machine, by device name (others are remote)
     * @param k candidates measured per round (>= 1)
     * @param rounds search rounds (>= 1); more only when a budget is not met by measurement
     * @param tableRange min and max accuracy of the rows the predictor was fitted on, or null when
     *     unknown: a prediction outside is flagged and reported clamped to it (measured rows of a
     *     refit widen it)
     */
    public ClosedLoop(SearchSpace space, AccuracyPredictor predictor, SearchStrategy strategy, Measurer measurer,
            Refiner refiner, Map<String, Specialiser.LocalTiming> localTimings, int k, int rounds, double[] tableRange) {
        if (space == null || predictor == null || strategy == null || measurer == null) {
            throw new IllegalArgumentException("space, predictor, strategy and measurer must not be null");
        }
        if (k < 1 || k > 256) {
            throw new IllegalArgumentException("candidates measured per round (K) must be in [1, 256], found " + k);
        }
        if (rounds < 1 || rounds > 20) {
            throw new IllegalArgumentException("closed-loop rounds must be in [1, 20], found " + rounds);
        }
        this.space = space;
        this.predictor = cached(predictor);
        this.strategy = strategy;
        this.measurer = measurer;
        this.refiner = refiner;
        this.localTimings = localTimings == null ? Map.of() : Map.copyOf(localTimings);
        this.k = k;
        this.rounds = rounds;
        this.fittedMin = tableRange == null ? Double.NEGATIVE_INFINITY : tableRange[0];
        this.fittedMax = tableRange == null ? Double.POSITIVE_INFINITY : tableRange[1];
        this.table = new CostTable(space);
    }

    /**
     * Screens candidates before measuring them whole (successive halving, as in Hyperband): every
     * candidate is timed and scored on the first {@code valImages} validation images, and only the
     * {@link #FINALISTS} best screened ones that meet the constraint by measurement are scored on
     * the whole split; only whole-split candidates are delivered or used to refit the predictor.
     * This halves the cost of a specialisation ({@code ofa slice}, the service) at K = 8.
     *
     * @param valImages validation images of a screening, or 0 to measure every candidate whole
     * @return this loop
     * @throws IllegalArgumentException if {@code valImages} is negative
     */
    public synchronized ClosedLoop screening(int valImages) {
        if (valImages < 0) {
            throw new IllegalArgumentException("screening images must be >= 0 (0 = off), found " + valImages);
        }
        this.screenImages = valImages;
        return this;
    }

    /**
     * Bounds the pool of measured candidates kept between targets, for a long-lived loop (the
     * slicing service): before each target the oldest measured candidates beyond {@code max} are
     * dropped, so a later target may measure one again. Unbounded by default (a run's targets).
     *
     * @param max candidates kept (>= 1)
     * @return this loop
     * @throws IllegalArgumentException if {@code max} is below 1
     */
    public synchronized ClosedLoop maxPooled(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("measured candidates kept must be >= 1, found " + max);
        }
        this.maxPooled = max;
        return this;
    }

    /** @return measured candidates held in the pool now */
    public synchronized int pooled() {
        return pool.size();
    }

    /** Screened candidates measured whole per target and round, best screened first. */
    public static final int FINALISTS = 3;

    /**
     * The default screening size: {@value #DEFAULT_SCREEN_IMAGES} validation images (a binomial
     * standard error of about 1.6 points at 85%: enough to rank, the finalists are scored whole), and
     * no screening for splits under twice that.
     *
     * @param valImages images of the validation split
     * @return validation images of a screening, 0 for none
     */
    public static int defaultScreenImages(int valImages) {
        return valImages < 2 * DEFAULT_SCREEN_IMAGES ? 0 : DEFAULT_SCREEN_IMAGES;
    }

    /** Validation images of a default screening. */
    public static final int DEFAULT_SCREEN_IMAGES = 500;

    private static CachingAccuracyPredictor cached(AccuracyPredictor p) {
        return p instanceof CachingAccuracyPredictor c ? c : new CachingAccuracyPredictor(p);
    }

    /** @return every candidate measured so far, in the order measured */
    public synchronized List<MeasuredCandidate> measured() {
        return List.copyOf(pool.values());
    }

    /**
     * Runs the loop for every target, in order, sharing the measurements.
     *
     * @param targets the targets
     * @param seed the seed; target {@code i} uses the {@code i}-th split of a {@code SplittableRandom(seed)}
     * @return one outcome per target
     * @throws InfeasibleConstraintException if a target's constraint is impossible by prediction, or
     *     no measured candidate meets it after the tightening rounds (naming the target)
     * @throws IllegalStateException if a measurement fails (naming the subnet)
     */
    public synchronized List<Outcome> run(List<Fleet.Target> targets, long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        List<Outcome> out = new ArrayList<>();
        for (Fleet.Target t : targets) {
            long s = seeds.nextLong();
            try {
                out.add(runOne(t, s));
            } catch (InfeasibleConstraintException e) {
                throw new InfeasibleConstraintException("target " + t.name() + ": " + e.getMessage(), e.cheapest());
            }
        }
        // every target's prediction from the predictor that has seen all the targets' measurements
        return out.stream().map(this::withReportedPrediction).toList();
    }

    /**
     * Runs the loop for one target.
     *
     * @param target the target
     * @param seed seed of its searches
     * @return the outcome
     * @throws InfeasibleConstraintException if the constraint is impossible by prediction, or no
     *     measured candidate meets it after the tightening rounds
     */
    public synchronized Outcome run(Fleet.Target target, long seed) {
        return withReportedPrediction(runOne(target, seed));
    }

    private Outcome runOne(Fleet.Target target, long seed) {
        for (var it = pool.keySet().iterator(); pool.size() > maxPooled && it.hasNext(); ) {
            it.next();
            it.remove(); // between targets only: a target's own candidates stay until it returns
        }
        Constraint c = target.constraint();
        Map<String, Double> factor = new LinkedHashMap<>();
        for (Constraint.LatencyBound b : c.latencyBounds()) {
            factor.put(b.predictor().deviceName(), 1.0);
        }
        boolean allLocal = c.latencyBounds().stream().allMatch(b -> localTimings.containsKey(b.predictor().deviceName()));
        ConstrainedSpace byMeasurement = new ConstrainedSpace(space, withoutLocalLatency(c), List.of(), table);
        List<String> proposed = new ArrayList<>();
        List<SearchResult> searches = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(seed);
        int maxRounds = rounds + (c.latencyBounds().isEmpty() ? 0 : MAX_TIGHTENING_ROUNDS);
        for (int round = 1; round <= maxRounds; round++) {
            Constraint searched = tightened(c, factor);
            List<LatencyPredictor> extra = new ArrayList<>(strategy.extraDevices());
            for (Constraint.LatencyBound b : c.latencyBounds()) {
                extra.add(b.predictor());
            }
            ConstrainedSpace cs;
            try {
                cs = new ConstrainedSpace(space, searched, extra, table);
            } catch (InfeasibleConstraintException e) {
                if (round == 1) {
                    throw e;
                }
                notes.add("round " + round + ": the tightened budget is below the cheapest subnet by prediction");
                break; // tightened below the cheapest subnet: nothing smaller to try
            }
            RecordingPredictor rec = new RecordingPredictor(predictor);
            SearchResult sr = strategy.search(cs, rec, rng.nextLong());
            searches.add(sr);
            List<String> fresh = new ArrayList<>();
            List<MeasuredCandidate> thisRound = new ArrayList<>();
            for (Candidate cand : rec.topDistinct(cs, k)) {
                MeasuredCandidate m = pool.get(cand.arch().key());
                if (m == null) {
                    m = measure(cand, target.name(), round);
                    pool.put(cand.arch().key(), m);
                    fresh.add(cand.arch().key());
                }
                thisRound.add(m);
                proposed.add(cand.arch().key());
            }
            completeFinalists(c, byMeasurement);
            List<MeasuredCandidate> rows = fresh.stream().map(pool::get).filter(m -> m.measurement().complete())
                    .toList();
            if (refiner != null && !rows.isEmpty() && round <= rounds) {
                try {
                    predictor = cached(refiner.refit(rows));
                    for (MeasuredCandidate row : rows) { // the refitted predictor has seen these accuracies too
                        refitRows.put(row.arch().key(), row.measurement().valAccuracy());
                    }
                } catch (Exception e) {
                    throw new IllegalStateException("refitting the accuracy predictor failed: " + e.getMessage(), e);
                }
            }
            MeasuredCandidate best = bestFeasible(c, byMeasurement);
            if (best != null && round >= rounds) {
                return new Outcome(target, best, proposed.stream().map(pool::get).toList(), searches, notes, allLocal,
                        new Prediction(best.candidate().predictedAccuracy(), best.predictor(), best.outsideTableRange(),
                                Prediction.SEARCH));
            }
            if (best == null && round < maxRounds) {
                tighten(c, factor, thisRound, notes, round);
            }
        }
        List<MeasuredCandidate> all = proposed.stream().map(pool::get).toList();
        throw new InfeasibleConstraintException(noneMet(c, all), cheapestMeasured(c, all));
    }

    /**
     * The outcome with the accuracy to report for its delivered subnet. Without refinement, or when
     * the refiner cannot leave rows out, that is the search's prediction. With refinement it is the
     * refined predictor's prediction refitted without the subnet's own measured row: the search's
     * prediction came from a predictor that had not yet seen the region the search went to, and the
     * in-sample prediction of the refitted one would have seen the very measurement it is compared
     * with. It is clamped and flagged like the search's, against the accuracies fitted on (the
     * table and the other measured rows).
     */
    private Outcome withReportedPrediction(Outcome o) {
        if (refiner == null || refitRows.isEmpty()) {
            return o;
        }
        if (oosRows != refitRows.size()) {
            outOfSample.clear();
            oosRows = refitRows.size();
        }
        String key = o.delivered().arch().key();
        Prediction p = outOfSample.get(key);
        if (p == null) {
            AccuracyPredictor fitted;
            try {
                fitted = refiner.fitWithout(o.delivered().arch());
            } catch (Exception e) {
                throw new IllegalStateException("refitting the accuracy predictor without subnet " + key + " failed: "
                        + e.getMessage(), e);
            }
            if (fitted == null) {
                return o;
            }
            double[] range = fittedRange(key);
            double lo = Math.max(0, range[0]);
            double hi = Math.min(1, range[1]);
            double raw = fitted.predict(List.of(o.delivered().arch()))[0];
            boolean outside = raw < lo || raw > hi;
            p = new Prediction(Math.max(lo, Math.min(hi, raw)), fitted.name(), outside, Prediction.OUT_OF_SAMPLE);
            outOfSample.put(key, p);
        }
        return new Outcome(o.target(), o.delivered(), o.proposed(), o.searches(), o.notes(), o.latencyMeasured(), p);
    }

    /**
     * The accuracies the current predictor was fitted on: the table's range widened by every
     * measured row given to the refiner, except {@code exceptKey}'s (null: none left out).
     */
    private double[] fittedRange(String exceptKey) {
        double lo = fittedMin;
        double hi = fittedMax;
        for (Map.Entry<String, Double> e : refitRows.entrySet()) {
            if (!e.getKey().equals(exceptKey)) {
                lo = Math.min(lo, e.getValue());
                hi = Math.max(hi, e.getValue());
            }
        }
        return new double[] {lo, hi};
    }

    /**
     * Measures whole the {@link #FINALISTS} best screened candidates of the pool that meet {@code c}
     * by measurement (nothing when screening is off).
     */
    private void completeFinalists(Constraint c, ConstrainedSpace byMeasurement) {
        if (screenImages == 0) {
            return;
        }
        List<MeasuredCandidate> feasible = pool.values().stream().filter(m -> meets(c, byMeasurement, m))
                .sorted(Comparator.comparingDouble((MeasuredCandidate m) -> m.measurement().valAccuracy()).reversed())
                .limit(FINALISTS).toList();
        for (MeasuredCandidate m : feasible) {
            if (m.measurement().complete()) {
                continue;
            }
            long t0 = System.nanoTime();
            double acc;
            try {
                acc = measurer.valAccuracy(m.arch());
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("measuring subnet " + m.arch().key() + " failed: " + e.getMessage(), e);
            }
            Measurement whole = new Measurement(acc, m.measurement().latencyMs());
            pool.put(m.arch().key(), new MeasuredCandidate(m.candidate(), m.proposedBy(), m.round(), m.predictor(),
                    whole, m.outsideTableRange(), m.measureMs() + (System.nanoTime() - t0) / 1e6));
        }
    }

    /** The most accurate candidate of the pool measured whole that meets {@code c} by measurement. */
    private MeasuredCandidate bestFeasible(Constraint c, ConstrainedSpace byMeasurement) {
        Comparator<MeasuredCandidate> order = Comparator
                .comparingDouble((MeasuredCandidate m) -> m.measurement().valAccuracy())
                .thenComparing(m -> -m.candidate().costs().macs());
        MeasuredCandidate best = null;
        for (MeasuredCandidate m : pool.values()) {
            if (m.measurement().complete() && meets(c, byMeasurement, m) && (best == null || order.compare(m, best) > 0)) {
                best = m;
            }
        }
        return best;
    }

    /**
     * Whether a measured candidate meets a constraint: latency bounds of local devices by measurement,
     * every other bound by its exact (MACs, params, memory, resolution) or predicted (remote
     * latency) value.
     */
    private boolean meets(Constraint c, ConstrainedSpace byMeasurement, MeasuredCandidate m) {
        if (!byMeasurement.satisfies(m.arch())) {
            return false;
        }
        for (Constraint.LatencyBound b : c.latencyBounds()) {
            String d = b.predictor().deviceName();
            if (localTimings.containsKey(d) && !(m.measuredLatencyMs(d) <= b.maxMs())) {
                return false;
            }
        }
        return true;
    }

    private Constraint withoutLocalLatency(Constraint c) {
        List<Constraint.LatencyBound> remote = c.latencyBounds().stream()
                .filter(b -> !localTimings.containsKey(b.predictor().deviceName())).toList();
        return new Constraint(remote, c.maxMacs(), c.maxParams(), c.maxPeakMemoryBytes(), c.minResolution(),
                c.maxResolution());
    }

    private static Constraint tightened(Constraint c, Map<String, Double> factor) {
        List<Constraint.LatencyBound> bounds = new ArrayList<>();
        for (Constraint.LatencyBound b : c.latencyBounds()) {
            bounds.add(new Constraint.LatencyBound(b.predictor(), b.maxMs() * factor.get(b.predictor().deviceName())));
        }
        return new Constraint(bounds, c.maxMacs(), c.maxParams(), c.maxPeakMemoryBytes(), c.minResolution(),
                c.maxResolution());
    }

    /**
     * Shrinks the predicted budget of every local device whose bound this round's candidates missed,
     * by the median measured/predicted ratio (at least {@link #MIN_TIGHTENING}).
     */
    private void tighten(Constraint c, Map<String, Double> factor, List<MeasuredCandidate> round, List<String> notes,
            int roundNo) {
        for (Constraint.LatencyBound b : c.latencyBounds()) {
            String d = b.predictor().deviceName();
            if (!localTimings.containsKey(d)) {
                continue;
            }
            double[] ratios = round.stream().filter(m -> Double.isFinite(m.measuredLatencyMs(d)))
                    .mapToDouble(m -> m.measuredLatencyMs(d) / m.candidate().costs().latencyMs(d)).sorted().toArray();
            if (ratios.length == 0) {
                continue;
            }
            double median = ratios.length % 2 == 1 ? ratios[ratios.length / 2]
                    : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2;
            double by = Math.max(median, MIN_TIGHTENING);
            factor.put(d, factor.get(d) / by);
            notes.add(String.format(Locale.ROOT,
                    "round %d: no measured candidate met %.4f ms on %s (measured/predicted median %.3f);"
                            + " searching again under a predicted %.4f ms",
                    roundNo, b.maxMs(), d, median, b.maxMs() * factor.get(d)));
        }
    }

    private MeasuredCandidate measure(Candidate cand, String target, int round) {
        Measurement m;
        long t0 = System.nanoTime();
        try {
            m = screenImages > 0 ? measurer.screen(cand.arch(), localTimings, screenImages)
                    : measurer.measure(cand.arch(), localTimings);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("measuring subnet " + cand.arch().key() + " failed: " + e.getMessage(), e);
        }
        // A prediction beyond every accuracy the predictor was fitted on is an extrapolation, which
        // a refitted predictor can make far above anything measured: it is flagged and reported at
        // the nearest accuracy it has seen. The search itself ranks on the raw predictions.
        double p = cand.predictedAccuracy();
        double[] range = fittedRange(null);
        boolean outside = p < range[0] || p > range[1];
        Candidate reported = outside ? new Candidate(cand.arch(), Math.max(range[0], Math.min(range[1], p)), cand.costs())
                : cand;
        return new MeasuredCandidate(reported, target, round, predictor.name(), m, outside,
                (System.nanoTime() - t0) / 1e6);
    }

    private String noneMet(Constraint c, List<MeasuredCandidate> proposed) {
        StringBuilder sb = new StringBuilder("no measured candidate meets ").append(c.describe()).append(" on this machine");
        for (Constraint.LatencyBound b : c.latencyBounds()) {
            String d = b.predictor().deviceName();
            double best = proposed.stream().mapToDouble(m -> m.measuredLatencyMs(d)).filter(Double::isFinite).min()
                    .orElse(Double.NaN);
            if (Double.isFinite(best)) {
                sb.append(String.format(Locale.ROOT, "; budget %.4f ms on %s, fastest measured %.4f ms", b.maxMs(), d, best));
            }
        }
        return sb.append(" (").append(proposed.size()).append(" candidates measured; raise the budget)").toString();
    }

    private static Map<String, Double> cheapestMeasured(Constraint c, List<MeasuredCandidate> proposed) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (Constraint.LatencyBound b : c.latencyBounds()) {
            String d = b.predictor().deviceName();
            proposed.stream().mapToDouble(x -> x.measuredLatencyMs(d)).filter(Double::isFinite).min()
                    .ifPresent(v -> m.put("latency_ms[" + d + "]", v));
        }
        return m;
    }

    /** Records every subnet a search asked about, to rank them afterwards. */
    private static final class RecordingPredictor implements AccuracyPredictor {
        private final AccuracyPredictor delegate;
        private final Map<String, Candidate> seen = new LinkedHashMap<>();

        RecordingPredictor(AccuracyPredictor delegate) {
            this.delegate = delegate;
        }

        @Override
        public double[] predict(List<ArchConfig> archs) {
            double[] p = delegate.predict(archs);
            for (int i = 0; i < archs.size(); i++) {
                ArchConfig a = archs.get(i).canonical();
                if (!seen.containsKey(a.key())) {
                    seen.put(a.key(), new Candidate(a, p[i], null));
                }
            }
            return p;
        }

        @Override
        public String name() {
            return delegate.name();
        }

        /** The {@code k} distinct subnets with the highest predicted accuracy that satisfy {@code cs}. */
        List<Candidate> topDistinct(ConstrainedSpace cs, int k) {
            List<Candidate> all = new ArrayList<>(seen.values());
            all.sort(Comparator.comparingDouble(Candidate::predictedAccuracy).reversed()
                    .thenComparing(c -> c.arch().key()));
            List<Candidate> out = new ArrayList<>();
            for (Candidate c : all) {
                if (out.size() == k) {
                    break;
                }
                if (cs.satisfies(c.arch())) {
                    out.add(new Candidate(c.arch(), c.predictedAccuracy(), cs.costs(c.arch())));
                }
            }
            return out;
        }
    }
}

package ofa4j.slicer;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import ofa4j.models.JsonFiles;
import ofa4j.predictor.AccuracyPredictor;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Every search strategy at an equal budget of evaluations, over several seeds, on one constraint:
 * the comparison of {@code ofa compare}.
 *
 * <p>Two kinds of evaluation. {@link Mode#TRUE}: the strategies search on true evaluations ({@link
 * MeasuredAccuracy}: BN recalibration and validation accuracy of the supernet's subnet, no
 * predictor), and every evaluation is recorded, so that the best-so-far measured accuracy after
 * each evaluation can be drawn. {@link Mode#PREDICTOR}: the strategies search on the accuracy
 * predictor, and the best subnet each finds is measured once at the end.
 *
 * <p>Budgets are counted as the strategies count them (a repeat of a network counts); true
 * evaluations of a network already measured are answered from {@link MeasuredAccuracy}'s cache, so
 * each row also gives the distinct networks a search evaluated, which is what it would cost alone.
 * Each (mode, strategy, seed, budget, constraint) is appended as one JSON line to the rows file when
 * done; a rerun skips the ones found there (resumable), and tables only ever read that file.
 *
 * <p>Small budgets get small settings ({@link #forBudget}): populations of a fifth of the budget
 * (OFA's evolution and NSGA-II: 5 generations; regularized evolution: tournaments of a quarter of
 * the population, as Real et al.'s 25 of 100, one child at a time), REINFORCE updates every 5
 * samples, Bayesian optimisation starts from a fifth of the budget. Large budgets are {@link
 * SearchStrategies}' defaults, except that Bayesian optimisation (a GP is {@code O(n^3)}) and
 * compound scaling (a curve of distinct points) are capped at {@link #BAYES_CAP} evaluations and
 * steps; the rows show the evaluations actually made.
 *
 * <p>Gradient-based search ({@link GradientSearch}, {@link #STRATEGIES}) works on the trained supernet
 * rather than through evaluations: its {@link #GRADIENT_STEPS} steps each run one sampled subnet
 * forward and backward on a validation batch (the path loss), and only its answer is evaluated: the
 * argmax subnet and the most probable feasible draws of the learned distribution, as many as the
 * budget allows ({@link #GRADIENT_CANDIDATES_CAP} at most). Its rows count those evaluations like any
 * strategy's, and the steps apart ({@link Row#pathSteps()}); their time is in its search time and
 * hence in its estimated cost.
 */
public final class StrategyComparison {

    /** The rows file in the output directory. */
    public static final String ROWS_FILE = "compare.jsonl";

    /** The measurement cache in the output directory ({@link MeasuredAccuracy}). */
    public static final String MEASUREMENTS_FILE = "measurements.jsonl";

    /** The baseline every strategy is compared with. */
    public static final String BASELINE = "random";

    /** Evaluations at most of Bayesian optimisation and steps of compound scaling. */
    public static final int BAYES_CAP = 500;

    /** Optimisation steps of gradient-based search in a comparison (its default). */
    public static final int GRADIENT_STEPS = 200;

    /** Evaluations at most of gradient-based search: the subnets drawn from its learned distribution. */
    public static final int GRADIENT_CANDIDATES_CAP = 256;

    /** The strategies a comparison can run: {@link SearchStrategies#NAMES} and gradient-based search. */
    public static final List<String> STRATEGIES = java.util.stream.Stream.concat(SearchStrategies.NAMES.stream(),
            java.util.stream.Stream.of(GradientSearch.NAME)).toList();

    /** Below this budget the small settings of {@link #forBudget} apply. */
    public static final long SMALL_BUDGET = 1000;

    /** What the strategies search on. */
    public enum Mode {
        /** Measured accuracy (BN recalibration + validation top-1), no predictor. */
        TRUE("true"),
        /** The accuracy predictor; the best subnet found is measured at the end. */
        PREDICTOR("predictor");

        private final String label;

        Mode(String label) {
            this.label = label;
        }

        /** @return {@code true} or {@code predictor} */
        public String label() {
            return label;
        }

        /**
         * Parses a label.
         *
         * @param s {@code true} or {@code predictor}
         * @return the mode
         * @throws IllegalArgumentException naming the value and the allowed ones
         */
        public static Mode of(String s) {
            for (Mode m : values()) {
                if (m.label.equals(s)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("evaluation mode must be one of true, predictor; found '" + s + "'");
        }
    }

    /**
     * One search of the comparison, a line of {@link #ROWS_FILE}.
     *
     * @param formatVersion {@link #FORMAT_VERSION}
     * @param mode {@link Mode#label()}
     * @param strategy strategy name
     * @param seed the search's seed
     * @param budget the evaluations asked for
     * @param constraint the constraint, described
     * @param evaluations evaluations the search made (repeats of a network included)
     * @param distinctEvaluations distinct networks evaluated (canonical keys): the true evaluations the
     *     search would cost alone
     * @param newMeasurements subnets measured during this search (the others came from the cache)
     * @param bestKey the arch key of the best subnet found
     * @param bestAccuracy its measured validation accuracy, fraction
     * @param bestPredicted its predicted accuracy (predictor mode), else null
     * @param bestSoFar true mode: the best measured accuracy after each evaluation (size {@code
     *     evaluations}); predictor mode: empty
     * @param bestMacs MACs of the best subnet
     * @param bestLatencyMs predicted latencies of the best subnet by device
     * @param wallMs wall time of the search and its measurements, ms
     * @param measureMs wall time of the new measurements within it, ms
     * @param notes the search's notes (rejection sampling, caps)
     * @param pathSteps gradient-based search: its optimisation steps (one sampled subnet's forward and
     *     backward pass on a validation batch each), made besides its evaluations; 0 for the others
     *     (and in rows written before the field existed)
     */
    public record Row(int formatVersion, String mode, String strategy, long seed, long budget, String constraint,
            long evaluations, long distinctEvaluations, long newMeasurements, String bestKey, double bestAccuracy,
            Double bestPredicted, List<Double> bestSoFar, long bestMacs, Map<String, Double> bestLatencyMs,
            double wallMs, double measureMs, List<String> notes, long pathSteps) {

        /** Copies the lists. */
        public Row {
            bestSoFar = bestSoFar == null ? List.of() : List.copyOf(bestSoFar);
            notes = notes == null ? List.of() : List.copyOf(notes);
            bestLatencyMs = bestLatencyMs == null ? Map.of() : Map.copyOf(bestLatencyMs);
        }

        /** @return the key a rerun skips on */
        public String runKey() {
            return keyOf(mode, strategy, seed, budget, constraint);
        }

        /** @return search time without the new measurements, ms */
        public double searchMs() {
            return Math.max(0, wallMs - measureMs);
        }
    }

    /** Version of the rows' layout. */
    public static final int FORMAT_VERSION = 1;

    static String keyOf(String mode, String strategy, long seed, long budget, String constraint) {
        return mode + "|" + strategy + "|" + seed + "|" + budget + "|" + constraint;
    }

    /**
     * What to compare.
     *
     * @param strategies names of {@link #STRATEGIES}
     * @param mode what they search on
     * @param budget evaluations of each search
     * @param seeds the seeds (each strategy runs once per seed)
     */
    public record Settings(List<String> strategies, Mode mode, long budget, List<Long> seeds) {
        /** Checks the values. */
        public Settings {
            if (strategies == null || strategies.isEmpty()) {
                throw new IllegalArgumentException("at least one search strategy is needed; allowed: "
                        + String.join(", ", STRATEGIES));
            }
            for (String s : strategies) {
                if (!STRATEGIES.contains(s)) {
                    throw new IllegalArgumentException("unknown search strategy '" + s + "'; allowed: "
                            + String.join(", ", STRATEGIES));
                }
            }
            if (mode == null) {
                throw new IllegalArgumentException("evaluation mode must not be null");
            }
            if (seeds == null || seeds.isEmpty()) {
                throw new IllegalArgumentException("at least one seed is needed");
            }
            if (new HashSet<>(seeds).size() != seeds.size() || new HashSet<>(strategies).size() != strategies.size()) {
                throw new IllegalArgumentException("strategies and seeds must not repeat, found " + strategies + " and "
                        + seeds);
            }
            strategies = List.copyOf(strategies);
            seeds = List.copyOf(seeds);
            for (String s : strategies) { // a budget that does not suit a strategy fails here
                forBudget(s, budget, CostAxis.macs(), (arch, rng) -> {
                    throw new IllegalStateException("a check, not a search");
                });
            }
        }
    }

    private StrategyComparison() {}

    /**
     * Creates a strategy for a budget (see the class comment for the settings of small budgets).
     *
     * @param name a name of {@link SearchStrategies#NAMES}
     * @param budget evaluations
     * @param axis the cost axis of its front
     * @return the strategy
     * @throws IllegalArgumentException naming a budget that does not suit the strategy, and what does
     */
    public static SearchStrategy forBudget(String name, long budget, CostAxis axis) {
        return forBudget(name, budget, axis, null);
    }

    /**
     * Creates a strategy for a budget, gradient-based search included.
     *
     * @param name a name of {@link #STRATEGIES}
     * @param budget evaluations
     * @param axis the cost axis of its front
     * @param gradientLoss the path loss of gradient-based search (the trained supernet's, {@link
     *     GradientSearch#supernetLoss}); null when {@code name} is another strategy
     * @return the strategy
     * @throws IllegalArgumentException naming a budget that does not suit the strategy, and what does,
     *     or gradient-based search without its path loss
     */
    public static SearchStrategy forBudget(String name, long budget, CostAxis axis, GradientSearch.PathLoss gradientLoss) {
        if (budget < 1) {
            throw new IllegalArgumentException("evaluations must be at least 1, found " + budget);
        }
        boolean small = budget < SMALL_BUDGET;
        switch (name) {
            case "evolution", "nsga2" -> {
                if (!small || (budget % 100 == 0 && budget >= 200)) {
                    return SearchStrategies.create(name, budget, axis);
                }
                if (budget % 5 != 0 || budget < 20) {
                    throw new IllegalArgumentException("evaluations for " + name + " must be a multiple of 5 of at least 20"
                            + " (a population of a fifth, 5 generations) or a multiple of 100 of at least 200, found "
                            + budget);
                }
                int pop = (int) (budget / 5);
                return name.equals("evolution")
                        ? EvolutionSearch.builder().optPopulationSize(pop).optGenerations(4).optFrontAxis(axis).build()
                        : Nsga2Search.builder(axis).optPopulationSize(pop).optGenerations(4).build();
            }
            case "random" -> {
                return new RandomSearch(budget, (int) Math.min(100, budget), RejectionPolicy.DEFAULT, axis);
            }
            case RegularizedEvolution.NAME -> {
                if (!small) {
                    return SearchStrategies.create(name, budget, axis);
                }
                if (budget < 10) {
                    throw new IllegalArgumentException("evaluations for " + name + " must be at least 10 (a population of a"
                            + " fifth, at least 2), found " + budget);
                }
                int pop = (int) (budget / 5);
                int sample = Math.max(2, (int) Math.round(pop / 4.0));
                return RegularizedEvolution.builder().optPopulationSize(pop).optSampleSize(sample).optEvaluations(budget)
                        .optBatchSize(1).optFrontAxis(axis).build();
            }
            case ReinforceSearch.NAME -> {
                return small ? ReinforceSearch.builder().optEvaluations(budget).optBatchSize(5).optFrontAxis(axis).build()
                        : SearchStrategies.create(name, budget, axis);
            }
            case BayesianOptimisation.NAME -> {
                long n = Math.min(budget, BAYES_CAP);
                return BayesianOptimisation.builder().optEvaluations(n).optInitialPoints((int) Math.max(2, Math.min(20, n / 5)))
                        .optFrontAxis(axis).build();
            }
            case CompoundScaling.NAME -> {
                return CompoundScaling.builder().optSteps((int) Math.min(budget, BAYES_CAP)).optFrontAxis(axis).build();
            }
            case GradientSearch.NAME -> {
                if (gradientLoss == null) {
                    throw new IllegalArgumentException("search strategy " + name + " needs the trained supernet's path"
                            + " loss (GradientSearch.supernetLoss), found none");
                }
                return GradientSearch.builder(gradientLoss).optSteps(GRADIENT_STEPS)
                        .optCandidates((int) Math.min(budget, GRADIENT_CANDIDATES_CAP)).optFrontAxis(axis).build();
            }
            default -> throw new IllegalArgumentException("unknown search strategy '" + name + "'; allowed: "
                    + String.join(", ", STRATEGIES));
        }
    }

    /**
     * Records every evaluation of one search (through {@link Scorer.Listener}) and passes the
     * predictions on.
     */
    private static final class Trace implements AccuracyPredictor, Scorer.Listener {
        private final AccuracyPredictor delegate;
        final List<Double> values = new ArrayList<>();
        final Set<String> distinct = new HashSet<>();

        Trace(AccuracyPredictor delegate) {
            this.delegate = delegate;
        }

        @Override
        public double[] predict(List<ofa4j.models.ArchConfig> archs) {
            return delegate.predict(archs);
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public void scored(List<Candidate> scored) {
            for (Candidate c : scored) {
                values.add(c.predictedAccuracy());
                distinct.add(c.arch().canonical().key());
            }
        }
    }

    /**
     * Reads the rows file.
     *
     * @param file the rows file
     * @return its rows, in order; empty when it does not exist (a last line cut short by a kill is skipped)
     * @throws IOException if it is unreadable or a line before the last is bad
     */
    public static List<Row> readRows(Path file) throws IOException {
        List<Row> out = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        String[] lines = JsonFiles.readText(file).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            try {
                Row r = JsonFiles.parse(line, Row.class, file + " line " + (i + 1));
                JsonFiles.checkVersion(file + " line " + (i + 1), r.formatVersion(), FORMAT_VERSION, FORMAT_VERSION);
                out.add(r);
            } catch (IOException e) {
                if (i < lines.length - 2) {
                    throw e;
                }
            }
        }
        return out;
    }

    /**
     * Runs every (strategy, seed) of the settings that the rows file does not hold yet, appending each
     * row when its search is done.
     *
     * @param space the constrained space (constraint checked)
     * @param settings strategies, mode, budget and seeds
     * @param predictor the accuracy predictor (predictor mode), ignored in true mode (may be null there)
     * @param measured true evaluations: the evaluator of true mode, and the final measurement of each
     *     best subnet in predictor mode
     * @param rowsFile the rows file (appended to)
     * @param progress takes one line per search, or null
     * @return the rows of these settings, old and new, in settings order
     * @throws IOException if the rows file cannot be read or appended to
     */
    public static List<Row> run(ConstrainedSpace space, Settings settings, AccuracyPredictor predictor,
            MeasuredAccuracy measured, Path rowsFile, Consumer<String> progress) throws IOException {
        return run(space, settings, predictor, measured, null, rowsFile, progress);
    }

    /**
     * As {@link #run(ConstrainedSpace, Settings, AccuracyPredictor, MeasuredAccuracy, Path, Consumer)},
     * with the path loss gradient-based search needs when the settings name it.
     *
     * @param space the constrained space (constraint checked)
     * @param settings strategies, mode, budget and seeds
     * @param predictor the accuracy predictor (predictor mode), ignored in true mode (may be null there)
     * @param measured true evaluations
     * @param gradientLoss the trained supernet's path loss ({@link GradientSearch#supernetLoss}), or null
     *     when the settings do not name gradient-based search
     * @param rowsFile the rows file (appended to)
     * @param progress takes one line per search, or null
     * @return the rows of these settings, old and new, in settings order
     * @throws IOException if the rows file cannot be read or appended to
     */
    public static List<Row> run(ConstrainedSpace space, Settings settings, AccuracyPredictor predictor,
            MeasuredAccuracy measured, GradientSearch.PathLoss gradientLoss, Path rowsFile, Consumer<String> progress)
            throws IOException {
        if (measured == null || (settings.mode() == Mode.PREDICTOR && predictor == null)) {
            throw new IllegalArgumentException("true evaluations" + (settings.mode() == Mode.PREDICTOR
                    ? " and a predictor" : "") + " are needed");
        }
        String constraint = space.constraint().describe();
        Map<String, Row> done = new LinkedHashMap<>();
        for (Row r : readRows(rowsFile)) {
            done.put(r.runKey(), r);
        }
        List<Row> out = new ArrayList<>();
        for (String name : settings.strategies()) {
            SearchStrategy strategy = forBudget(name, settings.budget(), CostAxis.macs(), gradientLoss);
            for (long seed : settings.seeds()) {
                String key = keyOf(settings.mode().label(), name, seed, settings.budget(), constraint);
                Row old = done.get(key);
                if (old != null) {
                    out.add(old);
                    if (progress != null) {
                        progress.accept(String.format(Locale.ROOT, "%s seed %d: done before (best %.2f%%), skipped", name,
                                seed, 100 * old.bestAccuracy()));
                    }
                    continue;
                }
                Row r = runOne(space, strategy, settings, seed, predictor, measured, constraint);
                Path parent = rowsFile.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                JsonLines.repairTail(rowsFile);
                Files.writeString(rowsFile, JsonFiles.toLine(r) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
                out.add(r);
                if (progress != null) {
                    progress.accept(String.format(Locale.ROOT, "%s seed %d: best %.2f%% %s; %d evaluations (%d distinct,"
                            + " %d measured now)%s in %.1f s", name, seed, 100 * r.bestAccuracy(), r.bestKey(),
                            r.evaluations(), r.distinctEvaluations(), r.newMeasurements(),
                            r.pathSteps() > 0 ? " after " + r.pathSteps() + " gradient steps" : "", r.wallMs() / 1000));
                }
            }
        }
        return out;
    }

    private static Row runOne(ConstrainedSpace space, SearchStrategy strategy, Settings settings, long seed,
            AccuracyPredictor predictor, MeasuredAccuracy measured, String constraint) {
        long m0 = measured.measured();
        double ms0 = measured.measureMs();
        long t0 = System.nanoTime();
        Trace trace = new Trace(settings.mode() == Mode.TRUE ? measured : predictor);
        SearchResult res = strategy.search(space, trace, seed);
        Candidate best = res.best();
        String answerNote = null;
        // the best evaluated subnet is on the front; gradient-based search answers with its argmax, which
        // need not be the best of the draws it evaluated: the row keeps the best, as the other strategies do
        Candidate top = best;
        for (Candidate c : res.front()) {
            if (c.predictedAccuracy() > top.predictedAccuracy()) {
                top = c;
            }
        }
        if (top != best) {
            answerNote = String.format(Locale.ROOT, "its answer %s scored %.2f%%; the best subnet it evaluated, %s"
                    + " (%.2f%%), is the row's", best.arch().key(), 100 * best.predictedAccuracy(), top.arch().key(),
                    100 * top.predictedAccuracy());
            best = top;
        }
        double bestAcc;
        Double bestPred = null;
        List<Double> curve = new ArrayList<>();
        if (settings.mode() == Mode.TRUE) {
            double b = Double.NEGATIVE_INFINITY;
            for (double v : trace.values) {
                b = Math.max(b, v);
                curve.add(b);
            }
            bestAcc = best.predictedAccuracy();
        } else {
            bestPred = best.predictedAccuracy();
            bestAcc = measured.predict(List.of(best.arch()))[0];
        }
        double wall = (System.nanoTime() - t0) / 1e6;
        List<String> notes = new ArrayList<>(res.notes());
        if (answerNote != null) {
            notes.add(answerNote);
        }
        if (res.evaluations() < settings.budget()) {
            notes.add(strategy.name() + " made " + res.evaluations() + " of " + settings.budget() + " evaluations"
                    + (strategy instanceof CompoundScaling ? " (the feasible points of its curve)"
                            : strategy instanceof BayesianOptimisation ? " (capped: its GP costs O(n^3))"
                            : strategy instanceof GradientSearch ? " (the distinct feasible draws of its learned"
                                    + " distribution, at most " + GRADIENT_CANDIDATES_CAP + ")" : ""));
        }
        long pathSteps = strategy instanceof GradientSearch g ? g.steps() : 0;
        return new Row(FORMAT_VERSION, settings.mode().label(), strategy.name(), seed, settings.budget(), constraint,
                res.evaluations(), trace.distinct.size(), measured.measured() - m0, best.arch().key(), bestAcc, bestPred,
                curve, best.costs().macs(), best.costs().latencyMs(), wall, measured.measureMs() - ms0, notes, pathSteps);
    }

    // ------------------------------------------------------------------------------------------ summary

    /**
     * One strategy's figures over its seeds.
     *
     * @param strategy the strategy
     * @param runs seeds run
     * @param meanAccuracy mean best measured accuracy, fraction
     * @param sdAccuracy its sample standard deviation (0 for one run)
     * @param meanAtHalf true mode: mean best-so-far after half the budget, else null
     * @param meanPredicted predictor mode: mean predicted accuracy of the best, else null
     * @param vsBaselinePoints mean best minus the baseline's ({@link #BASELINE}) at the same seeds, in
     *     accuracy points; null without baseline rows
     * @param winsOverBaseline seeds where the strategy's best beat the baseline's (ties count half)
     * @param pairedSeeds seeds both ran
     * @param meanEvaluations mean evaluations per search
     * @param meanDistinct mean distinct evaluations per search
     * @param meanSearchMs mean search time without measurements, ms
     * @param meanWallMs mean wall time per search as run (measurements from the cache cost nothing), ms
     * @param estTrueEvalSeconds mean distinct evaluations x mean time per measurement: what a search would
     *     cost alone, s (true mode; predictor mode: the search plus one measurement)
     * @param meanPathSteps mean gradient steps per search besides the evaluations ({@link Row#pathSteps()}),
     *     0 for the strategies that only evaluate
     */
    public record StrategySummary(String strategy, int runs, double meanAccuracy, double sdAccuracy, Double meanAtHalf,
            Double meanPredicted, Double vsBaselinePoints, double winsOverBaseline, int pairedSeeds,
            double meanEvaluations, double meanDistinct, double meanSearchMs, double meanWallMs,
            double estTrueEvalSeconds, double meanPathSteps) {}

    /**
     * The comparison's report ({@code compare-<mode>-<budget>.json}).
     *
     * @param formatVersion {@link #FORMAT_VERSION}
     * @param mode {@link Mode#label()}
     * @param budget evaluations per search
     * @param constraint the constraint
     * @param seeds the seeds
     * @param msPerMeasurement mean wall time of one true evaluation in these rows, ms (null if none was made)
     * @param strategies one summary per strategy, in settings order
     */
    public record Report(int formatVersion, String mode, long budget, String constraint, List<Long> seeds,
            Double msPerMeasurement, List<StrategySummary> strategies) {}

    private static Double orNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /**
     * Summarises rows of one mode, budget and constraint.
     *
     * @param settings the settings the rows belong to
     * @param rows the rows ({@link #run}'s answer)
     * @param constraint the constraint, described
     * @return the report
     */
    public static Report summarise(Settings settings, List<Row> rows, String constraint) {
        long measuredN = 0;
        double measuredMs = 0;
        for (Row r : rows) {
            measuredN += r.newMeasurements();
            measuredMs += r.measureMs();
        }
        double msPer = measuredN == 0 ? Double.NaN : measuredMs / measuredN;
        Map<Long, Double> base = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.strategy().equals(BASELINE)) {
                base.put(r.seed(), r.bestAccuracy());
            }
        }
        List<StrategySummary> out = new ArrayList<>();
        for (String s : settings.strategies()) {
            List<Row> rs = rows.stream().filter(r -> r.strategy().equals(s)).toList();
            if (rs.isEmpty()) {
                continue;
            }
            double[] acc = rs.stream().mapToDouble(Row::bestAccuracy).toArray();
            double half = Double.NaN;
            if (settings.mode() == Mode.TRUE) {
                int at = (int) Math.max(1, settings.budget() / 2);
                half = rs.stream().mapToDouble(r -> at(r.bestSoFar(), at)).average().orElse(Double.NaN);
            }
            double pred = settings.mode() == Mode.PREDICTOR
                    ? rs.stream().mapToDouble(r -> r.bestPredicted() == null ? Double.NaN : r.bestPredicted()).average()
                            .orElse(Double.NaN)
                    : Double.NaN;
            double diff = 0;
            double wins = 0;
            int paired = 0;
            for (Row r : rs) {
                Double b = base.get(r.seed());
                if (b != null) {
                    paired++;
                    diff += r.bestAccuracy() - b;
                    wins += r.bestAccuracy() > b ? 1 : r.bestAccuracy() == b ? 0.5 : 0;
                }
            }
            double distinct = rs.stream().mapToDouble(Row::distinctEvaluations).average().orElse(0);
            double searchMs = rs.stream().mapToDouble(Row::searchMs).average().orElse(0);
            double per = Double.isNaN(msPer) ? 0 : msPer;
            double est = settings.mode() == Mode.TRUE ? (searchMs + distinct * per) / 1000 : (searchMs + per) / 1000;
            out.add(new StrategySummary(s, rs.size(), mean(acc), sd(acc), orNull(half), orNull(pred),
                    paired == 0 ? null : 100 * diff / paired, wins, paired,
                    rs.stream().mapToDouble(Row::evaluations).average().orElse(0), distinct, searchMs,
                    rs.stream().mapToDouble(Row::wallMs).average().orElse(0), est,
                    rs.stream().mapToDouble(Row::pathSteps).average().orElse(0)));
        }
        return new Report(FORMAT_VERSION, settings.mode().label(), settings.budget(), constraint, settings.seeds(),
                orNull(msPer), out);
    }

    /** The value of a best-so-far curve after {@code n} evaluations (its last value when it is shorter). */
    static double at(List<Double> curve, int n) {
        if (curve.isEmpty()) {
            return Double.NaN;
        }
        return curve.get(Math.min(n, curve.size()) - 1);
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    static double sd(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }

    /**
     * Renders a report as a Markdown table with a short legend.
     *
     * @param r the report
     * @return Markdown text
     */
    public static String markdown(Report r) {
        boolean t = r.mode().equals(Mode.TRUE.label());
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "## Strategies on %s, %d evaluations, %d seeds (%s)%n%n",
                t ? "true evaluations" : "the predictor", r.budget(), r.seeds().size(), r.constraint()));
        sb.append("| strategy | runs | best val acc (mean +- sd) | ");
        sb.append(t ? "at " + Math.max(1, r.budget() / 2) + " evals" : "predicted");
        sb.append(" | vs random (pts) | wins vs random | evaluations | distinct evaluations | search ms | est. cost s"
                + " | besides evaluations |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        boolean gradient = false;
        for (StrategySummary s : r.strategies()) {
            gradient |= s.meanPathSteps() > 0;
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.2f%% +- %.2f | %.2f%% | %s | %s | %.0f | %.1f | %.0f | %.1f | %s |%n",
                    s.strategy(), s.runs(), 100 * s.meanAccuracy(), 100 * s.sdAccuracy(),
 100 * orNaN(t ? s.meanAtHalf() : s.meanPredicted()),
                    s.vsBaselinePoints() == null ? "-" : String.format(Locale.ROOT, "%+.2f", s.vsBaselinePoints()),
                    s.pairedSeeds() == 0 ? "-" : String.format(Locale.ROOT, "%s/%d", trim(s.winsOverBaseline()), s.pairedSeeds()),
                    s.meanEvaluations(), s.meanDistinct(), s.meanSearchMs(), s.estTrueEvalSeconds(),
                    s.meanPathSteps() > 0 ? String.format(Locale.ROOT, "%.0f gradient steps", s.meanPathSteps()) : "-"));
        }
        sb.append('\n');
        sb.append(String.format(Locale.ROOT, "Best val acc: the best %s subnet of each search (validation split); vs random:"
                + " mean difference to random search at the same seeds; wins: seeds where it beat random search (ties"
                + " count half). Distinct evaluations: different networks evaluated (repeats are answered from the"
                + " cache, never re-measured). Search ms: the search's own time without measurements. Est. cost: %s,"
                + " with %s per true evaluation.%n",
                t ? "measured" : "predicted (then measured)",
                t ? "search ms + distinct evaluations x the mean measurement time" : "search ms + one measurement",
                r.msPerMeasurement() == null ? "no measurement made in this run"
                        : String.format(Locale.ROOT, "%.0f ms", r.msPerMeasurement())));
        if (gradient) {
            sb.append(String.format(Locale.ROOT, "Gradient: it trains architecture logits on the supernet instead of"
                    + " evaluating: each gradient step runs one sampled subnet forward and backward on a batch of"
                    + " validation images (batch statistics, no recalibration); only its answer is evaluated (the"
                    + " argmax and the most probable feasible draws of the learned distribution, up to the budget,"
                    + " at most %d). The steps are not counted as evaluations; their time is in its search ms and"
                    + " est. cost.%n", GRADIENT_CANDIDATES_CAP));
        }
        return sb.toString();
    }

    private static double orNaN(Double v) {
        return v == null ? Double.NaN : v;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    /**
     * Draws the best-so-far measured accuracy against evaluations, mean (solid) and mean +- sd
     * (dashed) per strategy, as PNG (true mode).
     *
     * @param settings the settings of the rows
     * @param rows true-mode rows
     * @param title chart title
     * @return PNG bytes
     * @throws IOException if encoding fails
     * @throws IllegalArgumentException if no row has a curve
     */
    public static byte[] plot(Settings settings, List<Row> rows, String title) throws IOException {
        XYChart chart = new XYChartBuilder().width(ParetoPlot.WIDTH).height(ParetoPlot.HEIGHT).title(title)
                .xAxisTitle("evaluations").yAxisTitle("best-so-far measured val accuracy (%)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        chart.getStyler().setMarkerSize(0);
        int drawn = 0;
        int n = (int) settings.budget();
        for (String s : settings.strategies()) {
            List<Row> rs = rows.stream().filter(r -> r.strategy().equals(s) && !r.bestSoFar().isEmpty()).toList();
            if (rs.isEmpty()) {
                continue;
            }
            double[] x = new double[n];
            double[] mean = new double[n];
            double[] lo = new double[n];
            double[] hi = new double[n];
            for (int i = 0; i < n; i++) {
                double[] v = new double[rs.size()];
                for (int j = 0; j < v.length; j++) {
                    v[j] = 100 * at(rs.get(j).bestSoFar(), i + 1);
                }
                x[i] = i + 1;
                mean[i] = mean(v);
                double d = sd(v);
                lo[i] = mean[i] - d;
                hi[i] = mean[i] + d;
            }
            Color c = COLORS[drawn % COLORS.length];
            XYSeries m = chart.addSeries(s + " (" + rs.size() + " seeds)", x, mean);
            m.setLineColor(c);
            m.setMarker(SeriesMarkers.NONE);
            m.setLineStyle(new BasicStroke(2f));
            for (double[] band : new double[][] {lo, hi}) {
                XYSeries b = chart.addSeries(s + (band == lo ? " -sd" : " +sd"), x, band);
                b.setLineColor(c);
                b.setMarker(SeriesMarkers.NONE);
                b.setShowInLegend(false);
                b.setLineStyle(new BasicStroke(0.8f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                        new float[] {4f, 4f}, 0f));
            }
            drawn++;
        }
        if (drawn == 0) {
            throw new IllegalArgumentException("no best-so-far curve to draw: the rows are not of true evaluations");
        }
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }
}

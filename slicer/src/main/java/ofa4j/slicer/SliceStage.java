package ofa4j.slicer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.SearchSpace;
import java.nio.file.Files;
import ofa4j.predictor.AccuracyDataset;
import ofa4j.predictor.AccuracyDatasetBuilder;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.AccuracySample;
import ofa4j.predictor.AccuracyTableInfo;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.SupernetScorer;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.DataSplits;

import static ofa4j.predictor.PredictorStage.ACCURACY_FILE;
import static ofa4j.predictor.PredictorStage.MEASURED_FILE;
import static ofa4j.predictor.PredictorStage.tableAndMeasured;

/**
 * The slicing stage of a run, callable from Java: the default targets of a device, and slicing a
 * list of targets through the closed loop ({@link ClosedLoop}) with refinement of the run's
 * accuracy predictor on the measured rows.
 */
public final class SliceStage {

    private SliceStage() {}

    /**
     * The default fleet for a device: latency budgets at 25%, 50% and 75% of the way from the
     * smallest to the largest subnet's predicted latency, and a MACs budget at half the max subnet's.
     *
     * @param space the space
     * @param device the device profile
     * @return the targets
     */
    public static List<Fleet.Target> defaultTargets(SearchSpace space, DeviceProfile device) {
        double lo = Double.MAX_VALUE;
        for (int r : space.resolutions()) {
            lo = Math.min(lo, device.predictMs(space.uniform(space.kernels().get(0), space.expandRatios().get(0),
                    space.depths().get(0), r)));
        }
        double hi = device.predictMs(space.max());
        List<Fleet.Target> targets = new ArrayList<>();
        for (double f : new double[] {0.25, 0.5, 0.75}) {
            double ms = Math.round((lo + f * (hi - lo)) * 1000.0) / 1000.0;
            targets.add(new Fleet.Target(fmt("lat-%.3fms", ms), Constraint.builder().maxLatencyMs(device, ms).build()));
        }
        long macs = new CostModel(space).macs(space.max()) / 2;
        targets.add(new Fleet.Target(fmt("macs-%.2fM", macs / 1e6), Constraint.builder().maxMacs(macs).build()));
        return targets;
    }

    /**
     * The same targets with every latency bound on {@code from} moved to {@code to} (same name, same
     * milliseconds): the INT8 half of {@code --precision auto} is held to the FP32 half's budgets,
     * measured with the INT8 profile's meter.
     *
     * @param targets the targets
     * @param from the device whose bounds are moved
     * @param to the device they are moved to
     * @return the moved targets
     */
    public static List<Fleet.Target> sameBudgets(List<Fleet.Target> targets, DeviceProfile from, DeviceProfile to) {
        List<Fleet.Target> out = new ArrayList<>();
        for (Fleet.Target t : targets) {
            Constraint c = t.constraint();
            List<Constraint.LatencyBound> bounds = new ArrayList<>();
            for (Constraint.LatencyBound b : c.latencyBounds()) {
                bounds.add(b.predictor().deviceName().equals(from.name()) ? new Constraint.LatencyBound(to, b.maxMs()) : b);
            }
            out.add(new Fleet.Target(t.name(), new Constraint(bounds, c.maxMacs(), c.maxParams(), c.maxPeakMemoryBytes(),
                    c.minResolution(), c.maxResolution())));
        }
        return out;
    }

    /**
     * Settings of the closed loop.
     *
     * @param k candidates measured per round
     * @param rounds search-measure-refit rounds
     * @param calibrationImages BN recalibration images (the accuracy table's when it records them)
     * @param screenImages validation images of a screening, 0 to measure every candidate whole
     * @param int8 settings of the INT8 model made of each delivered slice, or null for FP32 only
     *     (with INT8 precision, of every candidate as well; null there means the default)
     * @param precision the delivered precision: with INT8 the device profile must be an INT8 one,
     *     the accuracy predictor is moved by the run's INT8 offset ({@link
     *     ofa4j.predictor.Int8Accuracy}) and every candidate is measured as its INT8 model
     */
    public record LoopSettings(int k, int rounds, int calibrationImages, int screenImages,
            Specialiser.Int8Settings int8, ofa4j.predictor.Precision precision) {

        /**
         * Settings of FP32 slices.
         *
         * @param k candidates measured per round
         * @param rounds search-measure-refit rounds
         * @param calibrationImages BN recalibration images
         * @param screenImages validation images of a screening, 0 to measure every candidate whole
         * @param int8 settings of the INT8 model made of each delivered slice, or null for FP32 only
         */
        public LoopSettings(int k, int rounds, int calibrationImages, int screenImages, Specialiser.Int8Settings int8) {
            this(k, rounds, calibrationImages, screenImages, int8, ofa4j.predictor.Precision.FP32);
        }

        /**
         * The same settings for slices of another precision.
         *
         * @param p the delivered precision
         * @return the settings
         */
        public LoopSettings withPrecision(ofa4j.predictor.Precision p) {
            return new LoopSettings(k, rounds, calibrationImages, screenImages, int8, p);
        }

        /**
         * Settings without INT8 models.
         *
         * @param k candidates measured per round
         * @param rounds search-measure-refit rounds
         * @param calibrationImages BN recalibration images
         * @param screenImages validation images of a screening, 0 to measure every candidate whole
         */
        public LoopSettings(int k, int rounds, int calibrationImages, int screenImages) {
            this(k, rounds, calibrationImages, screenImages, null);
        }

        /** Checks the values. */
        public LoopSettings {
            if (k < 1 || k > 256) {
                throw new IllegalArgumentException("--candidates (K) must be in [1, 256], found " + k);
            }
            if (rounds < 1 || rounds > 20) {
                throw new IllegalArgumentException("--rounds must be in [1, 20], found " + rounds);
            }
            if (calibrationImages < 1) {
                throw new IllegalArgumentException("--calibration-images must be >= 1, found " + calibrationImages);
            }
            if (precision == null) {
                throw new IllegalArgumentException("precision must be one of " + ofa4j.predictor.Precision.ids()
                        + ", found null");
            }
        }
    }

    /**
     * What slicing produced.
     *
     * @param front the predicted Pareto front (NSGA-II)
     * @param reports the specialised subnets, one per target in order
     * @param measured every candidate measured, in the order measured
     * @param rowsAdded rows added to the run's {@code measured.jsonl}
     * @param tableNote what happened to the measured rows, in words
     */
    public record Slices(SearchResult front, List<Specialiser.Report> reports, List<ClosedLoop.MeasuredCandidate> measured,
            int rowsAdded, String tableNote) {
        /** Copies the lists. */
        public Slices {
            reports = List.copyOf(reports);
            measured = List.copyOf(measured);
        }
    }

    /**
     * Slices every target through the closed loop: OFA's evolution proposes, the top K candidates
     * are measured (validation accuracy, latency through the profile's meter when the device is this
     * machine), the best measured one under the budget is delivered; measured rows are appended to
     * the run's accuracy table and the predictor refitted between rounds. Also draws the predicted
     * Pareto front (NSGA-II).
     *
     * @param net the trained supernet
     * @param data its data splits
     * @param predictor accuracy predictor to start with ({@code mlp} or {@code ridge})
     * @param device the device the latency bounds refer to
     * @param targets the targets
     * @param out output directory
     * @param loop closed-loop settings
     * @param predDir the run's predictor directory (table to append to), or null for no refinement
     * @param seed seed
     * @return the slices
     * @throws IOException if writing fails
     */
    public static Slices slice(Supernet net, DataSplits data, AccuracyPredictor predictor, DeviceProfile device,
            List<Fleet.Target> targets,
            Path out, LoopSettings loop, Path predDir, long seed) throws IOException {
        return slice(net, data, predictor, device, targets, out, loop, predDir, EvolutionSearch.ofaDefaults(), seed);
    }

    /**
     * Slices every target through the closed loop with a chosen search strategy (see {@link
     * SearchStrategies}); otherwise as {@link #slice(Supernet, DataSplits, AccuracyPredictor,
     * DeviceProfile, List, Path, LoopSettings, Path, long)}, whose strategy is OFA's evolution.
     *
     * @param net the trained supernet
     * @param data its data splits
     * @param predictor accuracy predictor to start with ({@code mlp} or {@code ridge})
     * @param device the device the latency bounds refer to
     * @param targets the targets
     * @param out output directory
     * @param loop closed-loop settings
     * @param predDir the run's predictor directory (table to append to), or null for no refinement
     * @param strategy the search that proposes the candidates of each round
     * @param seed seed
     * @return the slices
     * @throws IOException if writing fails
     */
    public static Slices slice(Supernet net, DataSplits data, AccuracyPredictor predictor, DeviceProfile device,
            List<Fleet.Target> targets, Path out, LoopSettings loop, Path predDir, SearchStrategy strategy, long seed)
            throws IOException {
        if (strategy == null) {
            throw new IllegalArgumentException("search strategy must not be null");
        }
        device.requirePrecision(loop.precision());
        boolean q8 = loop.precision() == ofa4j.predictor.Precision.INT8;
        SearchSpace space = net.space();
        AccuracyTableInfo info = predDir == null ? null : AccuracyTableInfo.read(predDir);
        int calib = info != null ? info.calibrationImages() : loop.calibrationImages();
        long calibSeed = info != null ? info.calibrationSeed() : AccuracyDatasetBuilder.calibrationSeed(seed);
        String tableNote;
        Refinement refine = null;
        List<AccuracySample> rows = List.of();
        if (predDir != null && Files.isRegularFile(predDir.resolve(ACCURACY_FILE))) {
            rows = AccuracyDataset.read(predDir.resolve(ACCURACY_FILE), space);
        }
        ofa4j.predictor.Int8Accuracy.Offset offset = null;
        if (q8) {
            // the FP32 table is not refined with INT8 measurements: they go to the INT8 rows, whose
            // mean difference moves the FP32 predictor to INT8 accuracy
            offset = ofa4j.predictor.Int8Accuracy.fit(predDir);
            predictor = ofa4j.predictor.Int8Accuracy.predictor(predictor, offset);
            tableNote = offset.describe() + (predDir == null ? ""
                    : "; INT8 candidates appended to " + predDir.resolve(ofa4j.predictor.Int8Accuracy.ROWS_FILE));
        } else if (info != null && info.valImages() == data.val().size()) {
            refine = new Refinement(space, predDir, predictor.name(), seed);
            tableNote = fmt("measured candidates appended to %s (%d calibration images, as the table)",
                    predDir.resolve(MEASURED_FILE), calib);
        } else {
            tableNote = predDir == null ? "no accuracy table: no refinement"
                    : "the accuracy table records no measuring settings matching this data: candidates are not appended";
        }
        double shift = offset == null ? 0 : offset.offset();
        double[] range = rows.isEmpty() ? null : new double[] {
            rows.stream().mapToDouble(AccuracySample::accuracy).min().orElseThrow() + shift,
            rows.stream().mapToDouble(AccuracySample::accuracy).max().orElseThrow() + shift};
        CachingAccuracyPredictor cached = new CachingAccuracyPredictor(predictor);
        SearchResult front = Nsga2Search.builder(CostAxis.latency(device)).build()
                .search(space, cached, Constraint.none(), seed);
        SupernetBackend backend = new SupernetBackend(net, data, calib, SupernetScorer.DEFAULT_EVAL_BATCH);
        Specialiser sp = new Specialiser(backend, out, loop.int8(), loop.precision());
        Map<String, Specialiser.LocalTiming> local = new LinkedHashMap<>();
        Map<String, Specialiser.LocalTiming> timings = new LinkedHashMap<>();
        Specialiser.LocalTiming here = SupernetBackend.localTiming(device);
        if (here != null) {
            local.put(device.name(), here);
            for (Fleet.Target t : targets) {
                timings.put(t.name(), here);
            }
        }
        ClosedLoop cl = new ClosedLoop(space, cached, strategy, sp.measurer(calibSeed), refine,
                local, loop.k(), loop.rounds(), range).screening(loop.screenImages());
        try {
            List<Specialiser.Report> reports;
            try {
                reports = sp.specialiseAll(cl, targets, timings, CostAxis.latency(device), front.front(),
                        CompoundScaling.baselineCurve(space, CostAxis.latency(device), cached), seed, calibSeed);
            } finally {
                if (q8 && predDir != null) {
                    ofa4j.predictor.Int8Accuracy.append(predDir.resolve(ofa4j.predictor.Int8Accuracy.ROWS_FILE),
                            sp.int8Rows());
                }
            }
            int added = q8 ? sp.int8Rows().size() : refine == null ? 0 : refine.added;
            return new Slices(front, reports, cl.measured(), added, tableNote);
        } finally {
            if (refine != null) {
                refine.close();
            }
        }
    }

    /**
     * The refinement of a closed loop: appends measured rows to the table and refits the predictor
     * of the same kind on all rows.
     */
    private static final class Refinement implements ClosedLoop.Refiner, AutoCloseable {
        private final SearchSpace space;
        private final Path dir;
        private final Refits refits;
        int added;

        Refinement(SearchSpace space, Path dir, String kind, long seed) {
            this.space = space;
            this.dir = dir;
            this.refits = new Refits(space, kind, seed);
        }

        @Override
        public AccuracyPredictor refit(List<ClosedLoop.MeasuredCandidate> measured) throws IOException {
            CostModel cost = new CostModel(space);
            java.util.Set<String> inTable = new java.util.HashSet<>();
            AccuracyDataset.read(dir.resolve(ACCURACY_FILE), space).forEach(r -> inTable.add(r.key()));
            try (AccuracyDataset ds = AccuracyDataset.openForAppend(dir.resolve(MEASURED_FILE))) {
                for (ClosedLoop.MeasuredCandidate m : measured) {
                    ArchConfig a = m.arch().canonical();
                    if (!ds.contains(a.key()) && !inTable.contains(a.key())) {
                        ds.append(AccuracySample.of(a, m.measurement().valAccuracy(), cost.macs(a)));
                        added++;
                    }
                }
            }
            return fit(tableAndMeasured(space, dir));
        }

        @Override
        public AccuracyPredictor fitWithout(ArchConfig arch) throws IOException {
            String key = arch.canonical().key();
            return fit(tableAndMeasured(space, dir).stream().filter(r -> !r.key().equals(key)).toList());
        }

        private AccuracyPredictor fit(List<AccuracySample> rows) {
            return refits.fit(rows);
        }

        @Override
        public void close() {
            refits.close();
        }
    }
    private static String fmt(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }
}

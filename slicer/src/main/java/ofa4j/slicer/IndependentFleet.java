package ofa4j.slicer;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import ofa4j.models.ArchConfig;
import ofa4j.models.AtomicFiles;
import ofa4j.models.CostModel;
import ofa4j.models.Hashing;
import ofa4j.models.JsonFiles;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyDataset;
import ofa4j.predictor.AccuracyDatasetBuilder;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.AccuracySample;
import ofa4j.predictor.AccuracyTableInfo;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.LatencyPredictor;
import ofa4j.predictor.MlpAccuracyPredictor;
import ofa4j.predictor.RidgeAccuracyPredictor;
import ofa4j.predictor.SupernetScorer;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.DataSplits;

import static ofa4j.predictor.PredictorStage.ACCURACY_FILE;
import static ofa4j.predictor.PredictorStage.MEASURED_FILE;
import static ofa4j.predictor.PredictorStage.tableAndMeasured;

/**
 * A fleet whose targets are sliced independently of each other, so that they can be sliced side by
 * side (on Apache Spark, module {@code spark}) and still give the same slices however they are
 * grouped: every target runs its own closed loop ({@link ClosedLoop}) with its own pool of measured
 * candidates, starting from the run's predictor, and refines its own copy of the predictor on the
 * table, the rows in {@code measured.jsonl} when the fleet started and its own measured rows.
 * Target {@code i} searches with the {@code i}-th seed of {@code SplittableRandom(seed)}, as in
 * {@link ClosedLoop#run(List, long)}. (The in-process fleet of {@link SliceStage#slice} instead
 * shares one pool and one refined predictor across its targets, in order; its slices can differ.)
 *
 * <p>The driver ({@link #run}) skips targets already delivered with the same inputs (a {@code
 * T.fleet.json} next to {@code T.onnx}), hands the others to a {@link Runner}, writes each
 * delivered target's files as it arrives ({@code T.onnx}, {@code T.int8.onnx}, {@code T.json},
 * then {@code T.fleet.json}), then appends the new measured rows to {@code measured.jsonl} and draws
 * {@code pareto.png}. The work of one group of targets ({@link #slice}) needs only the supernet,
 * the data and the serialisable {@link Inputs}.
 *
 * <p>Latency: with {@link Inputs#measureLatency()} the candidates are timed where they are
 * measured (that machine must be the device of the profile: {@link SupernetBackend#localTiming});
 * without, latency bounds are checked by the device profiles' predictions and nothing is timed.
 */
public final class IndependentFleet {

    /** Suffix of a delivered target's state file, {@code T.fleet.json}. */
    public static final String STATE_SUFFIX = ".fleet.json";

    /** Format version of {@link State}. */
    public static final int STATE_FORMAT_VERSION = 1;

    /** Note added to each target's outcome when latency bounds are checked by prediction. */
    public static final String PROFILE_LATENCY_NOTE = "latency bounds checked by the device profiles' predictions, not"
            + " by timing on the machine that measured the candidates (fleet latency: profile)";

    private IndependentFleet() {}

    /**
     * The bounds of a target in serialisable form; latency bounds name their device profile.
     *
     * @param maxLatencyMs latency bound by device name, in the constraint's order
     * @param maxMacs max MACs, or null
     * @param maxParams max parameters, or null
     * @param maxPeakMemoryBytes max peak activation memory, or null
     * @param minResolution min resolution, or null
     * @param maxResolution max resolution, or null
     */
    public record Bounds(LinkedHashMap<String, Double> maxLatencyMs, Long maxMacs, Long maxParams,
            Long maxPeakMemoryBytes, Integer minResolution, Integer maxResolution) implements Serializable {

        private static final long serialVersionUID = 1L;

        /**
         * The bounds of a constraint.
         *
         * @param c the constraint
         * @return its bounds
         * @throws IllegalArgumentException if a latency bound's model is not a device profile
         */
        public static Bounds of(Constraint c) {
            LinkedHashMap<String, Double> lat = new LinkedHashMap<>();
            for (Constraint.LatencyBound b : c.latencyBounds()) {
                if (!(b.predictor() instanceof DeviceProfile)) {
                    throw new IllegalArgumentException("a latency bound of an independent fleet must come from a device"
                            + " profile, found " + b.predictor().getClass().getSimpleName() + " for device "
                            + b.predictor().deviceName());
                }
                lat.put(b.predictor().deviceName(), b.maxMs());
            }
            return new Bounds(lat, c.maxMacs(), c.maxParams(), c.maxPeakMemoryBytes(), c.minResolution(),
                    c.maxResolution());
        }

        Constraint toConstraint(Map<String, ? extends LatencyPredictor> devices) {
            List<Constraint.LatencyBound> bounds = new ArrayList<>();
            maxLatencyMs.forEach((d, ms) -> bounds.add(new Constraint.LatencyBound(devices.get(d), ms)));
            return new Constraint(bounds, maxMacs, maxParams, maxPeakMemoryBytes, minResolution, maxResolution);
        }
    }

    /**
     * One target to slice.
     *
     * @param index its position in the fleet
     * @param name its name
     * @param seed the seed of its searches
     * @param bounds its bounds
     */
    public record Work(int index, String name, long seed, Bounds bounds) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * A row of the accuracy table in serialisable form.
     *
     * @param arch the subnet ({@link ArchConfig#toCompactJson()})
     * @param accuracy validation accuracy, fraction
     * @param macs its MACs
     */
    public record Row(String arch, double accuracy, long macs) implements Serializable {
        private static final long serialVersionUID = 1L;

        static Row of(AccuracySample s) {
            return new Row(s.arch().toCompactJson(), s.accuracy(), s.macs());
        }

        AccuracySample toSample() {
            return AccuracySample.of(ArchConfig.fromJson(arch), accuracy, macs);
        }
    }

    /**
     * What every target needs besides the supernet and the data.
     *
     * @param predictorKind {@code mlp} or {@code ridge}
     * @param predictor the starting predictor's file bytes
     * @param tableRange min and max accuracy of the table, or null
     * @param refineRows rows the predictor is refitted on besides a target's own (table + measured
     *     rows when the fleet started), or null for no refinement
     * @param profiles device profile file bytes by device name (every device of a latency bound, and
     *     the fleet's device)
     * @param device the fleet's device (the one a delivered slice is timed on with measured latency)
     * @param strategy the search strategy's name ({@link SearchStrategies})
     * @param evaluations its budget, or null for its default
     * @param k candidates measured per round
     * @param rounds search-measure-refit rounds
     * @param calibrationImages BN recalibration images
     * @param calibrationSeed seed of the calibration images
     * @param screenImages validation images of a screening, 0 for none
     * @param int8 INT8 settings of delivered slices, or null
     * @param measureLatency true: time candidates on the machine measuring them, which must be the
     *     device of each profile; false: check latency bounds by the profiles' predictions
     * @param refitSeed seed of the predictor refits
     * @param precision the delivered precision: with INT8 every candidate is measured as its INT8
     *     model, the latency bounds are on INT8 profiles and the predictor is moved by {@code
     *     int8Offset} ({@link ofa4j.predictor.Int8Accuracy}); the FP32 table is not refined
     * @param int8Offset mean INT8 minus FP32 validation accuracy of the run's INT8 rows (0 for FP32)
     */
    public record Inputs(String predictorKind, byte[] predictor, double[] tableRange, List<Row> refineRows,
            LinkedHashMap<String, byte[]> profiles, String device, String strategy, Long evaluations, int k, int rounds,
            int calibrationImages, long calibrationSeed, int screenImages, Specialiser.Int8Settings int8,
            boolean measureLatency, long refitSeed, ofa4j.predictor.Precision precision, double int8Offset)
            implements Serializable {
        private static final long serialVersionUID = 1L;

        /** Checks the precision. */
        public Inputs {
            if (precision == null) {
                throw new IllegalArgumentException("fleet precision must be one of " + ofa4j.predictor.Precision.ids()
                        + ", found null");
            }
        }
    }

    /**
     * A measured candidate in serialisable form.
     *
     * @param arch the subnet
     * @param predictedAccuracy predicted accuracy as reported
     * @param macs MACs
     * @param params parameters
     * @param peakActivationBytes peak activation memory
     * @param predictedLatencyMs predicted latency by device
     * @param proposedBy target whose search proposed it
     * @param round round of that search
     * @param predictor predictor name
     * @param valAccuracy measured validation accuracy
     * @param measuredLatencyMs measured latency by device
     * @param screenImages 0, or the validation images of a screening
     * @param outsideTableRange predicted accuracy outside the fitted range
     * @param measureMs wall time of the measurement, ms
     */
    public record CandidateRow(String arch, double predictedAccuracy, long macs, long params, long peakActivationBytes,
            Map<String, Double> predictedLatencyMs, String proposedBy, int round, String predictor, double valAccuracy,
            Map<String, Double> measuredLatencyMs, int screenImages, boolean outsideTableRange, double measureMs)
            implements Serializable {
        private static final long serialVersionUID = 1L;

        static CandidateRow of(ClosedLoop.MeasuredCandidate m) {
            ArchCosts c = m.candidate().costs();
            return new CandidateRow(m.arch().toCompactJson(), m.candidate().predictedAccuracy(), c.macs(), c.params(),
                    c.peakActivationBytes(), new LinkedHashMap<>(c.latencyMs()), m.proposedBy(), m.round(),
                    m.predictor(), m.measurement().valAccuracy(), new LinkedHashMap<>(m.measurement().latencyMs()),
                    m.measurement().screenImages(), m.outsideTableRange(), m.measureMs());
        }

        /** @return the measured candidate */
        public ClosedLoop.MeasuredCandidate toMeasured() {
            return new ClosedLoop.MeasuredCandidate(new Candidate(ArchConfig.fromJson(arch), predictedAccuracy,
                    new ArchCosts(macs, params, peakActivationBytes, predictedLatencyMs)), proposedBy, round, predictor,
                    new ClosedLoop.Measurement(valAccuracy, measuredLatencyMs, screenImages), outsideTableRange,
                    measureMs);
        }
    }

    /**
     * A search of a target, as much as its report needs (its front is not kept).
     *
     * @param strategy strategy name
     * @param seed seed
     * @param best its best candidate (predicted)
     * @param bestAccuracy its predicted accuracy
     * @param macs MACs of the best
     * @param params parameters of the best
     * @param peakActivationBytes peak memory of the best
     * @param latencyMs predicted latency of the best by device
     * @param evaluations predictor evaluations
     * @param distinctEvaluations distinct subnets predicted
     * @param costEvaluations cost checks
     * @param notes notes
     * @param wallMs wall time, ms
     */
    public record SearchRow(String strategy, long seed, String best, double bestAccuracy, long macs, long params,
            long peakActivationBytes, Map<String, Double> latencyMs, long evaluations, long distinctEvaluations,
            long costEvaluations, List<String> notes, double wallMs) implements Serializable {
        private static final long serialVersionUID = 1L;

        static SearchRow of(SearchResult r) {
            ArchCosts c = r.best().costs();
            return new SearchRow(r.strategy(), r.seed(), r.best().arch().toCompactJson(), r.best().predictedAccuracy(),
                    c.macs(), c.params(), c.peakActivationBytes(), new LinkedHashMap<>(c.latencyMs()), r.evaluations(),
                    r.distinctEvaluations(), r.costEvaluations(), new ArrayList<>(r.notes()), r.wallMs());
        }

        SearchResult toResult(Constraint c) {
            Candidate b = new Candidate(ArchConfig.fromJson(best), bestAccuracy,
                    new ArchCosts(macs, params, peakActivationBytes, latencyMs));
            return new SearchResult(strategy, seed, c, b, List.of(), CostAxis.macs(), List.of(), evaluations,
                    distinctEvaluations, costEvaluations, notes, wallMs);
        }
    }

    /**
     * What one target delivered (its files travel in {@link Shipped}).
     *
     * @param index position in the fleet
     * @param target target name
     * @param inputsSha256 digest of everything its slice depends on ({@link #inputsSha256})
     * @param delivered the delivered candidate
     * @param proposed every candidate its searches proposed, in order
     * @param searches its searches
     * @param notes the loop's notes
     * @param latencyMeasured every latency bound checked by measurement
     * @param predictedAccuracy reported predicted accuracy of the delivered subnet
     * @param predictor predictor of that prediction
     * @param outsideTableRange that prediction was clamped
     * @param predictionBasis {@link ClosedLoop.Prediction#basis()}
     * @param valAccuracy measured validation accuracy
     * @param testAccuracy measured test accuracy
     * @param measuredLatencyMs measured latency of the delivered slice, or null
     * @param onnxMaxAbsDiff ONNX verification difference, or null
     * @param stepMs wall time of each step, ms
     * @param int8ValAccuracy INT8 validation accuracy, or null
     * @param int8TestAccuracy INT8 test accuracy, or null
     * @param measured every candidate its loop measured
     * @param newRows rows its refinement added (to append to {@code measured.jsonl})
     * @param onnxSha256 SHA-256 of {@code T.onnx}
     * @param where the machine and process that sliced it
     * @param int8Rows the INT8 candidates its loop measured (INT8 precision; to append to {@code
     *     int8-measured.jsonl}), empty for FP32
     */
    public record Delivery(int index, String target, String inputsSha256, CandidateRow delivered,
            List<CandidateRow> proposed, List<SearchRow> searches, List<String> notes, boolean latencyMeasured,
            double predictedAccuracy, String predictor, boolean outsideTableRange, String predictionBasis,
            double valAccuracy, double testAccuracy, Double measuredLatencyMs, Double onnxMaxAbsDiff,
            Map<String, Double> stepMs, Double int8ValAccuracy, Double int8TestAccuracy, List<CandidateRow> measured,
            List<Row> newRows, String onnxSha256, String where, List<ofa4j.predictor.Int8Accuracy.Row> int8Rows)
            implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * A delivered target with its files.
     *
     * @param delivery what was delivered
     * @param onnx {@code T.onnx}
     * @param report {@code T.json}
     * @param int8Onnx {@code T.int8.onnx}, or null
     */
    public record Shipped(Delivery delivery, byte[] onnx, byte[] report, byte[] int8Onnx) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * The state file {@code T.fleet.json} of a delivered target: written last, so that a rerun with
     * the same inputs skips the target.
     *
     * @param formatVersion {@link #STATE_FORMAT_VERSION}
     * @param delivery what was delivered
     */
    public record State(int formatVersion, Delivery delivery) {}

    /** Slices groups of targets: in this process, or as a Spark job. */
    @FunctionalInterface
    public interface Runner {
        /**
         * Slices the targets; calls {@code done} once per target as it is delivered (from one
         * thread at a time), in any order.
         *
         * @param inputs what every target needs
         * @param works the targets
         * @param done receives each delivered target
         * @throws IOException if a target fails
         */
        void run(Inputs inputs, List<Work> works, Consumer<Shipped> done) throws IOException;
    }

    /**
     * The runner of this process: the targets one after another with the given supernet.
     *
     * @param net the supernet
     * @param data its data
     * @return the runner
     */
    public static Runner inProcess(Supernet net, DataSplits data) {
        return (inputs, works, done) -> slice(net, data, inputs, works, "this process",
                Runtime.getRuntime().availableProcessors(), done);
    }

    /**
     * Slices a group of targets with one supernet: each target's own closed loop, then its delivery
     * into a scratch directory whose files are handed over.
     *
     * @param net the supernet
     * @param data the data splits
     * @param in what every target needs
     * @param works the targets
     * @param where names this machine in messages
     * @param onnxThreads ONNX Runtime intra-op threads of the accuracy measurements (the slices do not
     *     depend on it)
     * @param done receives each delivered target
     * @throws IOException if a step fails (the target named)
     */
    public static void slice(Supernet net, DataSplits data, Inputs in, List<Work> works, String where,
            int onnxThreads, Consumer<Shipped> done) throws IOException {
        SearchSpace space = net.space();
        Path scratch = Files.createTempDirectory("ofa-fleet-");
        AccuracyPredictor predictor = null;
        try {
            predictor = loadPredictor(in.predictorKind(), in.predictor(), scratch.resolve("predictor"));
            boolean q8 = in.precision() == ofa4j.predictor.Precision.INT8;
            AccuracyPredictor searching = q8 ? ofa4j.predictor.Int8Accuracy.predictor(predictor,
                    new ofa4j.predictor.Int8Accuracy.Offset(in.int8Offset(), 0)) : predictor;
            Map<String, DeviceProfile> profiles = new LinkedHashMap<>();
            for (Map.Entry<String, byte[]> e : in.profiles().entrySet()) {
                Path f = scratch.resolve("profile.json");
                Files.write(f, e.getValue());
                profiles.put(e.getKey(), DeviceProfile.load(f));
                Files.delete(f);
            }
            Map<String, Specialiser.LocalTiming> local = new LinkedHashMap<>();
            if (in.measureLatency()) {
                for (DeviceProfile p : profiles.values()) {
                    Specialiser.LocalTiming t = SupernetBackend.localTiming(p);
                    if (t == null && p.name().equals(in.device())) {
                        throw new IOException("fleet latency 'measure': " + where + " (host "
                                + DeviceProfile.hostInfo()[0] + ") is not the machine of device profile " + p.name()
                                + (p.measurement() == null ? " (not measured on a machine)"
                                        : " (measured on host " + p.measurement().host() + ")")
                                + "; run the executors on that device, or check latency by the profile's predictions"
                                + " (latency 'profile')");
                    }
                    if (t != null) {
                        local.put(p.name(), t); // other devices' bounds keep their predictions, as in-process
                    }
                }
            }
            List<Row> refineRows = in.refineRows();
            List<AccuracySample> base = refineRows == null ? null : refineRows.stream().map(Row::toSample).toList();
            SupernetBackend backend = new SupernetBackend(net, data, in.calibrationImages(),
                    SupernetScorer.DEFAULT_EVAL_BATCH, onnxThreads);
            Specialiser sp = new Specialiser(backend, scratch, in.int8(), in.precision());
            SearchStrategy strategy = SearchStrategies.create(in.strategy(), in.evaluations(), CostAxis.macs());
            for (Work w : works) {
                long t0 = System.nanoTime();
                Fleet.Target target = new Fleet.Target(w.name(), w.bounds().toConstraint(profiles));
                Refiner refiner = base == null || q8 ? null : new Refiner(space, base, in.predictorKind(), in.refitSeed());
                int int8RowsBefore = sp.int8Rows().size();
                try {
                    ClosedLoop loop = new ClosedLoop(space, searching, strategy, sp.measurer(in.calibrationSeed()),
                            refiner, local, in.k(), in.rounds(), in.tableRange()).screening(in.screenImages());
                    ClosedLoop.Outcome o;
                    try {
                        o = loop.run(target, w.seed());
                    } catch (InfeasibleConstraintException e) {
                        throw new InfeasibleConstraintException("target " + w.name() + ": " + e.getMessage(),
                                e.cheapest());
                    }
                    if (!in.measureLatency() && !target.constraint().latencyBounds().isEmpty()) {
                        List<String> notes = new ArrayList<>(o.notes());
                        notes.add(PROFILE_LATENCY_NOTE);
                        o = new ClosedLoop.Outcome(o.target(), o.delivered(), o.proposed(), o.searches(), notes,
                                o.latencyMeasured(), o.prediction());
                    }
                    Specialiser.Report r = sp.specialise(o, local.get(in.device()), in.calibrationSeed());
                    byte[] onnx = Files.readAllBytes(r.onnxFile());
                    byte[] report = Files.readAllBytes(r.reportFile());
                    byte[] int8 = r.int8OnnxFile() == null ? null : Files.readAllBytes(r.int8OnnxFile());
                    Files.delete(r.onnxFile());
                    Files.delete(r.reportFile());
                    if (r.int8OnnxFile() != null) {
                        Files.delete(r.int8OnnxFile());
                        Files.deleteIfExists(Specialiser.openCvInt8File(r.int8OnnxFile()));
                    }
                    Delivery d = new Delivery(w.index(), w.name(), null, CandidateRow.of(o.delivered()),
                            o.proposed().stream().map(CandidateRow::of).toList(),
                            o.searches().stream().map(SearchRow::of).toList(), o.notes(), o.latencyMeasured(),
                            o.prediction().accuracy(), o.prediction().predictor(), o.prediction().outsideTableRange(),
                            o.prediction().basis(), r.valAccuracy(), r.testAccuracy(), orNull(r.measuredLatencyMs()),
                            orNull(r.onnxMaxAbsDiff()), new LinkedHashMap<>(r.stepMs()), orNull(r.int8ValAccuracy()),
                            orNull(r.int8TestAccuracy()), loop.measured().stream().map(CandidateRow::of).toList(),
                            refiner == null ? List.of() : refiner.added.stream().map(Row::of).toList(),
                            Hashing.sha256Hex(onnx),
                            where + String.format(java.util.Locale.ROOT, ", %.1f s", (System.nanoTime() - t0) / 1e9),
                            new ArrayList<>(sp.int8Rows().subList(int8RowsBefore, sp.int8Rows().size())));
                    done.accept(new Shipped(d, onnx, report, int8));
                } finally {
                    if (refiner != null) {
                        refiner.close();
                    }
                }
            }
        } finally {
            if (predictor instanceof MlpAccuracyPredictor m) {
                m.close();
            }
            deleteTree(scratch);
        }
    }

    /**
     * Digest of everything a target's slice depends on, so that a rerun skips a target only when
     * it would deliver the same: supernet and data, the starting predictor, the target and its seed,
     * the loop's settings and the latency mode. The rows of {@code measured.jsonl} are not part of
     * it: the fleet appends its own rows only after every target is delivered.
     *
     * @param supernetSha256 SHA-256 of the supernet parameters
     * @param dataFingerprint the data's fingerprint
     * @param in the inputs
     * @param w the target
     * @return 64 hex digits
     */
    public static String inputsSha256(String supernetSha256, String dataFingerprint, Inputs in, Work w) {
        StringBuilder sb = new StringBuilder();
        sb.append(supernetSha256).append('|').append(dataFingerprint).append('|').append(in.predictorKind()).append('|')
                .append(Hashing.sha256Hex(in.predictor())).append('|').append(w.name()).append('|').append(w.seed())
                .append('|').append(JsonFiles.toLine(w.bounds())).append('|');
        for (Map.Entry<String, byte[]> e : in.profiles().entrySet()) {
            sb.append(e.getKey()).append('=').append(Hashing.sha256Hex(e.getValue())).append(',');
        }
        sb.append('|').append(in.device()).append('|').append(in.strategy()).append('|').append(in.evaluations())
                .append('|').append(in.k()).append('|').append(in.rounds()).append('|').append(in.calibrationImages())
                .append('|').append(in.calibrationSeed()).append('|').append(in.screenImages()).append('|')
                .append(in.int8()).append('|').append(in.measureLatency()).append('|').append(in.refineRows() != null)
                .append('|').append(in.refitSeed());
        if (in.precision() != ofa4j.predictor.Precision.FP32) { // FP32 fleets keep the digests of earlier versions
            sb.append('|').append(in.precision().id()).append('|').append(in.int8Offset());
        }
        return Hashing.sha256Hex(sb.toString());
    }

    /**
     * Slices a fleet with independent targets: the run's settings as {@link SliceStage#slice}, each
     * target on its own ({@link IndependentFleet}), by {@code runner}.
     *
     * @param space the supernet's space
     * @param supernetSha256 SHA-256 of the supernet's parameters (part of each target's inputs)
     * @param data the data splits
     * @param predictor the starting predictor ({@code mlp} or {@code ridge})
     * @param device the fleet's device (its latency axis for the plot)
     * @param targets the targets (distinct names)
     * @param out output directory
     * @param loop loop settings
     * @param predDir the run's predictor directory, or null for no refinement
     * @param strategy search strategy name ({@link SearchStrategies#NAMES})
     * @param evaluations its budget, or null for its default
     * @param seed seed
     * @param measureLatency true: candidates are timed where they are measured (that machine must be
     *     the device); false: latency bounds by the profiles' predictions
     * @param runner who slices the targets
     * @param log receives one line per target skipped or delivered (may be null)
     * @return the slices, as {@link SliceStage#slice} returns them
     * @throws IOException if a target fails or writing fails
     */
    public static SliceStage.Slices run(SearchSpace space, String supernetSha256, DataSplits data,
            AccuracyPredictor predictor, DeviceProfile device, List<Fleet.Target> targets, Path out,
            SliceStage.LoopSettings loop, Path predDir, String strategy, Long evaluations, long seed,
            boolean measureLatency, Runner runner, Consumer<String> log) throws IOException {
        if (targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("a fleet needs at least one target");
        }
        Set<String> names = new HashSet<>();
        for (Fleet.Target t : targets) {
            if (!names.add(t.name())) {
                throw new IllegalArgumentException("target names must be distinct, found '" + t.name() + "' twice");
            }
        }
        SearchStrategies.create(strategy, evaluations, CostAxis.macs()); // a bad name or budget fails here
        AccuracyTableInfo info = predDir == null ? null : AccuracyTableInfo.read(predDir);
        int calib = info != null ? info.calibrationImages() : loop.calibrationImages();
        long calibSeed = info != null ? info.calibrationSeed() : AccuracyDatasetBuilder.calibrationSeed(seed);
        List<AccuracySample> rows = List.of();
        if (predDir != null && Files.isRegularFile(predDir.resolve(ACCURACY_FILE))) {
            rows = AccuracyDataset.read(predDir.resolve(ACCURACY_FILE), space);
        }
        ofa4j.predictor.Precision precision = loop.precision();
        device.requirePrecision(precision);
        boolean q8 = precision == ofa4j.predictor.Precision.INT8;
        // INT8: the FP32 table is not refined; the INT8 rows' mean difference moves the predictor (as in-process)
        ofa4j.predictor.Int8Accuracy.Offset offset = q8 ? ofa4j.predictor.Int8Accuracy.fit(predDir) : null;
        boolean refine = !q8 && info != null && info.valImages() == data.val().size();
        String tableNote = q8 ? offset.describe() + (predDir == null ? ""
                        : "; INT8 candidates appended to " + predDir.resolve(ofa4j.predictor.Int8Accuracy.ROWS_FILE))
                : refine
                ? String.format(java.util.Locale.ROOT, "measured candidates appended to %s (%d calibration images, as"
                        + " the table)", predDir.resolve(MEASURED_FILE), calib)
                : predDir == null ? "no accuracy table: no refinement"
                : "the accuracy table records no measuring settings matching this data: candidates are not appended";
        double shift = offset == null ? 0 : offset.offset();
        double[] range = rows.isEmpty() ? null : new double[] {
            rows.stream().mapToDouble(AccuracySample::accuracy).min().orElseThrow() + shift,
            rows.stream().mapToDouble(AccuracySample::accuracy).max().orElseThrow() + shift};
        LinkedHashMap<String, DeviceProfile> devices = new LinkedHashMap<>();
        devices.put(device.name(), device);
        List<Work> works = new ArrayList<>();
        SplittableRandom seeds = new SplittableRandom(seed);
        for (int i = 0; i < targets.size(); i++) {
            Fleet.Target t = targets.get(i);
            for (Constraint.LatencyBound b : t.constraint().latencyBounds()) {
                if (b.predictor() instanceof DeviceProfile p) {
                    devices.putIfAbsent(p.name(), p);
                }
            }
            works.add(new Work(i, t.name(), seeds.nextLong(), Bounds.of(t.constraint())));
        }
        Path tmp = Files.createTempDirectory("ofa-fleet-inputs-");
        Inputs in;
        try {
            LinkedHashMap<String, byte[]> profiles = new LinkedHashMap<>();
            for (DeviceProfile p : devices.values()) {
                Path f = tmp.resolve("profile.json");
                p.save(f);
                profiles.put(p.name(), Files.readAllBytes(f));
            }
            String kind = predictor.name();
            Path pf = tmp.resolve("predictor");
            if (predictor instanceof MlpAccuracyPredictor m) {
                m.save(pf);
            } else if (predictor instanceof RidgeAccuracyPredictor r) {
                r.save(pf);
            } else {
                throw new IllegalArgumentException("an independent fleet ships an mlp or ridge predictor, found "
                        + predictor.getClass().getSimpleName() + " (" + kind + ")");
            }
            List<Row> base = refine ? tableAndMeasured(space, predDir).stream().map(Row::of).toList() : null;
            in = new Inputs(kind, Files.readAllBytes(pf), range, base, profiles, device.name(), strategy, evaluations,
                    loop.k(), loop.rounds(), calib, calibSeed, loop.screenImages(), loop.int8(), measureLatency, seed,
                    precision, shift);
        } finally {
            deleteTree(tmp);
        }
        Files.createDirectories(out);
        Delivery[] delivered = new Delivery[targets.size()];
        List<Work> todo = new ArrayList<>();
        String[] sha = new String[works.size()];
        for (Work w : works) {
            sha[w.index()] = inputsSha256(supernetSha256, data.fingerprint(), in, w);
            Delivery d = finished(out, w.name(), sha[w.index()]);
            if (d != null) {
                delivered[w.index()] = d;
                if (log != null) {
                    log.accept("target " + w.name() + ": already delivered with the same inputs, skipped");
                }
            } else {
                todo.add(w);
            }
        }
        if (!todo.isEmpty()) {
            runner.run(in, todo, s -> {
                Delivery d = s.delivery();
                Delivery withSha = new Delivery(d.index(), d.target(), sha[d.index()], d.delivered(), d.proposed(),
                        d.searches(), d.notes(), d.latencyMeasured(), d.predictedAccuracy(), d.predictor(),
                        d.outsideTableRange(), d.predictionBasis(), d.valAccuracy(), d.testAccuracy(),
                        d.measuredLatencyMs(), d.onnxMaxAbsDiff(), d.stepMs(), d.int8ValAccuracy(), d.int8TestAccuracy(),
                        d.measured(), d.newRows(), d.onnxSha256(), d.where(), d.int8Rows());
                try {
                    String n = d.target();
                    AtomicFiles.writeBytes(out.resolve(n + ".onnx"), s.onnx());
                    if (s.int8Onnx() != null) {
                        AtomicFiles.writeBytes(out.resolve(n + Specialiser.INT8_SUFFIX), s.int8Onnx());
                        // the QOperator form is a function of the INT8 bytes: the very file the specialiser wrote
                        AtomicFiles.writeBytes(out.resolve(n + Specialiser.OPENCV_INT8_SUFFIX),
                                ofa4j.exporter.Int8Exporter.toQOperator(s.int8Onnx()));
                    }
                    AtomicFiles.writeBytes(out.resolve(n + ".json"), s.report());
                    JsonFiles.write(out.resolve(n + STATE_SUFFIX), new State(STATE_FORMAT_VERSION, withSha));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                delivered[d.index()] = withSha;
                if (log != null) {
                    log.accept(String.format(java.util.Locale.ROOT, "target %s: %s, measured val %.2f%% (%s)",
                            d.target(), ArchConfig.fromJson(d.delivered().arch()).key(), 100 * d.valAccuracy(),
                            d.where()));
                }
            });
        }
        List<Specialiser.Report> reports = new ArrayList<>();
        Map<String, ClosedLoop.MeasuredCandidate> measured = new LinkedHashMap<>();
        List<AccuracySample> newRows = new ArrayList<>();
        List<ofa4j.predictor.Int8Accuracy.Row> int8Rows = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            Delivery d = delivered[i];
            if (d == null) {
                throw new IOException("target " + targets.get(i).name() + " was not delivered by the runner");
            }
            reports.add(report(out, targets.get(i), d, precision));
            if (d.int8Rows() != null) {
                int8Rows.addAll(d.int8Rows());
            }
            for (CandidateRow c : d.measured()) {
                ClosedLoop.MeasuredCandidate m = c.toMeasured();
                measured.putIfAbsent(m.arch().key(), m);
            }
            d.newRows().forEach(r -> newRows.add(r.toSample()));
        }
        int added = 0;
        if (refine && !newRows.isEmpty()) {
            Set<String> inTable = new HashSet<>();
            rows.forEach(r -> inTable.add(r.key()));
            CostModel cost = new CostModel(space);
            try (AccuracyDataset ds = AccuracyDataset.openForAppend(predDir.resolve(MEASURED_FILE))) {
                for (AccuracySample r : newRows) {
                    ArchConfig a = r.arch().canonical();
                    if (!ds.contains(a.key()) && !inTable.contains(a.key())) {
                        ds.append(AccuracySample.of(a, r.accuracy(), cost.macs(a)));
                        added++;
                    }
                }
            }
        }
        if (q8 && predDir != null) {
            added = int8Rows.size();
            ofa4j.predictor.Int8Accuracy.append(predDir.resolve(ofa4j.predictor.Int8Accuracy.ROWS_FILE), int8Rows);
        }
        CachingAccuracyPredictor cachedForPlot = new CachingAccuracyPredictor(
                q8 ? ofa4j.predictor.Int8Accuracy.predictor(predictor, offset) : predictor);
        SearchResult front = Nsga2Search.builder(CostAxis.latency(device)).build()
                .search(space, cachedForPlot, Constraint.none(), seed);
        Map<String, Specialiser.LocalTiming> timings = new LinkedHashMap<>();
        Specialiser.LocalTiming here = measureLatency ? SupernetBackend.localTiming(device) : null;
        if (here != null) {
            targets.forEach(t -> timings.put(t.name(), here));
        }
        Specialiser.writePlot(out, CostAxis.latency(device), front.front(),
                CompoundScaling.baselineCurve(space, CostAxis.latency(device), cachedForPlot), reports, timings,
                new ArrayList<>(measured.values()));
        return new SliceStage.Slices(front, reports, new ArrayList<>(measured.values()), added, tableNote);
    }

    /** The delivery recorded for a target when its state, report and ONNX file match {@code sha}. */
    private static Delivery finished(Path out, String name, String sha) {
        Path state = out.resolve(name + STATE_SUFFIX);
        Path onnx = out.resolve(name + ".onnx");
        if (!Files.isRegularFile(state) || !Files.isRegularFile(onnx) || !Files.isRegularFile(out.resolve(name + ".json"))) {
            return null;
        }
        try {
            State s = JsonFiles.read(state, State.class);
            Delivery d = s == null ? null : s.delivery();
            if (s.formatVersion() != STATE_FORMAT_VERSION || d == null || !sha.equals(d.inputsSha256())
                    || !Hashing.sha256Hex(onnx).equals(d.onnxSha256())) {
                return null;
            }
            return d;
        } catch (IOException | RuntimeException e) {
            return null; // unreadable or of another version: sliced again
        }
    }

    /** The report of a delivered target, as {@link Specialiser#specialise} returns it. */
    private static Specialiser.Report report(Path out, Fleet.Target target, Delivery d,
            ofa4j.predictor.Precision precision) {
        ClosedLoop.MeasuredCandidate delivered = d.delivered().toMeasured();
        List<SearchResult> searches = d.searches().stream().map(s -> s.toResult(target.constraint())).toList();
        ClosedLoop.Outcome o = new ClosedLoop.Outcome(target, delivered,
                d.proposed().stream().map(CandidateRow::toMeasured).toList(), searches, d.notes(), d.latencyMeasured(),
                new ClosedLoop.Prediction(d.predictedAccuracy(), d.predictor(), d.outsideTableRange(),
                        d.predictionBasis()));
        Candidate c = new Candidate(delivered.arch(), d.predictedAccuracy(), delivered.candidate().costs());
        Path int8 = out.resolve(d.target() + Specialiser.INT8_SUFFIX);
        return new Specialiser.Report(d.target(), c, d.valAccuracy(), d.testAccuracy(), nan(d.measuredLatencyMs()),
                nan(d.onnxMaxAbsDiff()), out.resolve(d.target() + ".onnx"), out.resolve(d.target() + ".json"),
                d.stepMs(), o, nan(d.int8ValAccuracy()), nan(d.int8TestAccuracy()),
                d.int8ValAccuracy() == null ? null : int8, precision);
    }

    private static Double orNull(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private static double nan(Double v) {
        return v == null ? Double.NaN : v;
    }

    private static AccuracyPredictor loadPredictor(String kind, byte[] bytes, Path file) throws IOException {
        Files.write(file, bytes);
        try {
            return "ridge".equals(kind) ? RidgeAccuracyPredictor.load(file) : MlpAccuracyPredictor.load(file);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void deleteTree(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a scratch directory left behind in the temp directory is harmless
        }
    }

    /**
     * The refinement of one target: its own copy of the predictor, refitted on the fleet's base rows
     * and the target's own measured rows (in memory; the driver appends the rows afterwards).
     */
    private static final class Refiner implements ClosedLoop.Refiner, AutoCloseable {
        private final SearchSpace space;
        private final List<AccuracySample> base;
        private final Set<String> baseKeys = new HashSet<>();
        private final Refits refits;
        private final List<AccuracySample> added = new ArrayList<>();

        Refiner(SearchSpace space, List<AccuracySample> base, String kind, long seed) {
            this.space = space;
            this.base = base;
            this.refits = new Refits(space, kind, seed);
            base.forEach(r -> baseKeys.add(r.key()));
        }

        @Override
        public AccuracyPredictor refit(List<ClosedLoop.MeasuredCandidate> measured) {
            CostModel cost = new CostModel(space);
            for (ClosedLoop.MeasuredCandidate m : measured) {
                ArchConfig a = m.arch().canonical();
                if (!baseKeys.contains(a.key()) && added.stream().noneMatch(r -> r.key().equals(a.key()))) {
                    added.add(AccuracySample.of(a, m.measurement().valAccuracy(), cost.macs(a)));
                }
            }
            return fit(all(null));
        }

        @Override
        public AccuracyPredictor fitWithout(ArchConfig arch) {
            return fit(all(arch.canonical().key()));
        }

        private List<AccuracySample> all(String except) {
            List<AccuracySample> rows = new ArrayList<>(base);
            rows.addAll(added);
            return except == null ? rows : rows.stream().filter(r -> !r.key().equals(except)).toList();
        }

        private AccuracyPredictor fit(List<AccuracySample> rows) {
            return refits.fit(rows);
        }

        @Override
        public void close() {
            refits.close();
        }
    }
}

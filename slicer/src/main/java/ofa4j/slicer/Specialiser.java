package ofa4j.slicer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import ofa4j.exporter.Int8Exporter;
import ofa4j.models.ArchConfig;
import ofa4j.models.AtomicFiles;
import ofa4j.models.Hashing;
import ofa4j.models.Subnet;

/**
 * Turns search results into deployable files: for each target it extracts the chosen subnet from
 * the supernet with BN recalibration, measures its real validation and test accuracy, measures its
 * real latency (in the profile's engine, ONNX Runtime or PyTorch) when the target's device is this machine, verifies the ONNX model
 * against the subnet, exports it with the predicted and measured figures in its metadata, and
 * writes a JSON report next to it; then a Pareto plot of all targets. Every file is written
 * atomically ({@link AtomicFiles}).
 *
 * <p>Files in the output directory, per target {@code T}: {@code T.onnx}, {@code T.json}, with
 * {@link Int8Settings} also {@code T.int8.onnx} (post-training INT8 of the same subnet in QDQ form, its
 * validation and test accuracy measured in ONNX Runtime next to the FP32 ones) and {@code
 * T.int8.opencv.onnx} (the same INT8 model in QOperator form, {@link Int8Exporter#toQOperator},
 * which OpenCV's DNN module runs as well); and {@code
 * pareto.png} from {@link #specialiseAll}.
 *
 * <p>The work with the supernet, the data and ONNX is done by a {@link Backend} (the
 * supernet module's extraction and evaluation with the exporter's ONNX writer and verifier), so the orchestration and file formats here are plain Java.
 */
public final class Specialiser {


    /** Prefix of the ONNX metadata keys added here. */
    public static final String METADATA_PREFIX = "ofa4j.slice.";

    /** Data split that an accuracy is measured on. */
    public enum Split {
        /** The validation split carved from the training set (what predictors are fitted on). */
        VAL,
        /** The held-out test set (never used for search or fitting). */
        TEST
    }

    /** The heavy steps: supernet, data and ONNX Runtime. */
    public interface Backend {
        /**
         * Extracts a subnet from the supernet and recalibrates its BN statistics on training images.
         *
         * @param arch the subnet
         * @param seed seed of the calibration images' order
         * @return the standalone subnet (input normalisation in its metadata)
         * @throws Exception if extraction fails
         */
        Subnet extract(ArchConfig arch, long seed) throws Exception;

        /**
         * Measures top-1 accuracy.
         *
         * @param subnet the subnet
         * @param split which split
         * @return accuracy, fraction in [0, 1]
         * @throws Exception if evaluation fails
         */
        double top1(Subnet subnet, Split split) throws Exception;

        /**
         * Exports a subnet to ONNX.
         *
         * @param subnet the subnet
         * @param metadata extra {@code metadata_props}
         * @return the model bytes
         * @throws Exception if export fails
         */
        byte[] exportOnnx(Subnet subnet, Map<String, String> metadata) throws Exception;

        /**
         * Times the subnet on this machine in the engine of {@code timing}: the ONNX model in ONNX
         * Runtime, or the subnet as a static DJL network in PyTorch.
         *
         * @param onnx the model bytes
         * @param subnet the subnet it was exported from
         * @param timing engine, intra-op threads and batch size of the target's device profile
         * @return median latency of one forward pass in ms
         * @throws Exception if the engine fails
         */
        double latencyMs(byte[] onnx, Subnet subnet, LocalTiming timing) throws Exception;

        /**
         * Compares the ONNX model's outputs with the subnet's own forward pass on a few images.
         *
         * @param onnx the model bytes
         * @param subnet the subnet
         * @return max absolute difference of the logits, or NaN when the backend cannot verify
         * @throws Exception if ONNX Runtime fails
         */
        default double verifyOnnx(byte[] onnx, Subnet subnet) throws Exception {
            return Double.NaN;
        }

        /** @return a description for reports (supernet checkpoint, data set) */
        String describe();

        /**
         * Exports a subnet as an INT8 QDQ ONNX model, its activation ranges calibrated on training
         * images.
         *
         * @param subnet the subnet
         * @param metadata extra {@code metadata_props}
         * @param int8 the calibration settings
         * @param seed seed of the calibration images' choice
         * @return the model bytes
         * @throws Exception if export fails; by default: this backend cannot export INT8
         */
        default byte[] exportInt8(Subnet subnet, Map<String, String> metadata, Int8Settings int8, long seed)
                throws Exception {
            throw new UnsupportedOperationException(describe() + " cannot export INT8 models");
        }

        /**
         * Measures the top-1 accuracy of an ONNX model of the subnet (e.g. its INT8 model).
         *
         * @param onnx the model bytes
         * @param subnet the subnet it was exported from
         * @param split which split
         * @return accuracy, fraction in [0, 1]
         * @throws Exception if evaluation fails; by default: this backend cannot run ONNX models
         */
        default double top1(byte[] onnx, Subnet subnet, Split split) throws Exception {
            throw new UnsupportedOperationException(describe() + " cannot measure ONNX models");
        }

        /**
         * Times the subnet like {@link #latencyMs}, with the raw figure and the machine's slowdown
         * against its profile when the meter knows them.
         *
         * @param onnx the model bytes
         * @param subnet the subnet
         * @param timing the target's device settings
         * @return the timing (by default: {@link #latencyMs} as both figures, slowdown NaN)
         * @throws Exception if the engine fails
         */
        default ofa4j.predictor.ProfileMeter.Timing time(byte[] onnx, Subnet subnet, LocalTiming timing)
                throws Exception {
            double ms = latencyMs(onnx, subnet, timing);
            return new ofa4j.predictor.ProfileMeter.Timing(ms, ms, Double.NaN);
        }

        /**
         * Measures a candidate for the closed loop: extraction with BN recalibration, validation
         * accuracy, and latency through each local device's meter.
         *
         * @param arch the subnet
         * @param timings local timings by device name
         * @param seed seed of the calibration images (the accuracy table's, so rows are comparable)
         * @return the measurement
         * @throws Exception if a step fails
         */
        default ClosedLoop.Measurement measure(ArchConfig arch, Map<String, LocalTiming> timings, long seed)
                throws Exception {
            Subnet subnet = extract(arch, seed);
            double val = top1(subnet, Split.VAL);
            Map<String, Double> lat = new LinkedHashMap<>();
            if (!timings.isEmpty()) {
                byte[] onnx = exportOnnx(subnet, Map.of());
                for (Map.Entry<String, LocalTiming> e : timings.entrySet()) {
                    lat.put(e.getKey(), time(onnx, subnet, e.getValue()).ms());
                }
            }
            return new ClosedLoop.Measurement(val, lat);
        }

        /**
         * Screens a candidate for the closed loop: as {@link #measure}, with the accuracy measured on
         * the first {@code valImages} validation images only. By default the whole measurement.
         *
         * @param arch the subnet
         * @param timings local timings by device name
         * @param seed seed of the calibration images
         * @param valImages validation images to score on
         * @return the measurement
         * @throws Exception if a step fails
         */
        default ClosedLoop.Measurement screen(ArchConfig arch, Map<String, LocalTiming> timings, long seed,
                int valImages) throws Exception {
            return measure(arch, timings, seed);
        }
    }

    /**
     * Post-training INT8 of delivered slices: how activation ranges are calibrated.
     *
     * @param method min/max or percentile
     * @param percentile for the percentile method, in (50, 100]; ignored for min/max
     * @param images training images run through the FP32 model to calibrate
     */
    public record Int8Settings(Int8Exporter.Method method, double percentile, int images) implements java.io.Serializable {

        private static final long serialVersionUID = 1L;

        /**
         * The default: min/max on {@value #DEFAULT_IMAGES} training images. On the quick preset's
         * supernet (max, min and three slices) min/max lost 0.03 points of validation accuracy on
         * average and percentile 99.99 lost 0.08: these small nets have few outliers to clip.
         */
        public static final Int8Settings DEFAULT =
                new Int8Settings(Int8Exporter.Method.MINMAX, Int8Exporter.DEFAULT_PERCENTILE, Int8Settings.DEFAULT_IMAGES);

        /** Calibration images by default: 500, enough for stable ranges of every activation of these small nets. */
        public static final int DEFAULT_IMAGES = 500;

        /** Checks the values. */
        public Int8Settings {
            if (method == null) {
                throw new IllegalArgumentException("INT8 calibration method must be one of minmax, percentile; found null");
            }
            if (method == Int8Exporter.Method.PERCENTILE && !(percentile > 50 && percentile <= 100)) {
                throw new IllegalArgumentException("INT8 percentile (--int8-percentile) must be in (50, 100], found " + percentile);
            }
            if (images < 1) {
                throw new IllegalArgumentException("INT8 calibration images must be >= 1, found " + images);
            }
        }

    }

    /**
     * How to time a target on this machine (its device profile's settings).
     *
     * @param device the device name of the target's latency model (reported)
     * @param engine {@code onnxruntime} or {@code pytorch}
     * @param threads intra-op threads
     * @param batch batch size
     * @param warmup untimed runs before timing (the profile's)
     * @param repeats timed runs whose median is kept (the profile's)
     * @param anchorMs the profile's anchor latency (quiet-machine check before each timing), or null
     * @param precision precision of the models the profile timed (and of the models timed here)
     */
    public record LocalTiming(String device, String engine, int threads, int batch, int warmup, int repeats,
            Double anchorMs, ofa4j.predictor.Precision precision) {

        /**
         * FP32 timing.
         *
         * @param device the device name
         * @param engine {@code onnxruntime} or {@code pytorch}
         * @param threads intra-op threads
         * @param batch batch size
         * @param warmup untimed runs
         * @param repeats timed runs
         * @param anchorMs the profile's anchor latency, or null
         */
        public LocalTiming(String device, String engine, int threads, int batch, int warmup, int repeats,
                Double anchorMs) {
            this(device, engine, threads, batch, warmup, repeats, anchorMs, ofa4j.predictor.Precision.FP32);
        }

        /** Checks the values. */
        public LocalTiming {
            if (precision == null) {
                throw new IllegalArgumentException("timing precision must be one of "
                        + ofa4j.predictor.Precision.ids() + ", found null");
            }
            if (threads < 1 || batch < 1 || warmup < 0 || repeats < 1) {
                throw new IllegalArgumentException("threads, batch and repeats must be at least 1 and warm-up at"
                        + " least 0, found threads " + threads + ", batch " + batch + ", warm-up " + warmup
                        + ", repeats " + repeats);
            }
            if (!ofa4j.predictor.DeviceProfile.ENGINES.contains(engine)) {
                throw new IllegalArgumentException(
                        "engine must be one of " + ofa4j.predictor.DeviceProfile.ENGINES + ", found '" + engine + "'");
            }
        }

        /**
         * Timing with the engine's default warm-up and repeats (those of {@code ofa profile}).
         *
         * @param device the device name
         * @param engine {@code onnxruntime} or {@code pytorch}
         * @param threads intra-op threads
         * @param batch batch size
         */
        public LocalTiming(String device, String engine, int threads, int batch) {
            this(device, engine, threads, batch,
                    "pytorch".equals(engine) ? ofa4j.predictor.DjlLatencyMeter.DEFAULT_WARMUP
                            : ofa4j.predictor.OrtLatencyMeter.DEFAULT_WARMUP,
                    "pytorch".equals(engine) ? ofa4j.predictor.DjlLatencyMeter.DEFAULT_REPEATS
                            : ofa4j.predictor.OrtLatencyMeter.DEFAULT_REPEATS, null);
        }

        /**
         * ONNX Runtime timing.
         *
         * @param device the device name
         * @param threads intra-op threads
         * @param batch batch size
         */
        public LocalTiming(String device, int threads, int batch) {
            this(device, "onnxruntime", threads, batch);
        }

        /** @return the engine's display name */
        public String engineName() {
            return "pytorch".equals(engine) ? "PyTorch (DJL)" : "ONNX Runtime";
        }
    }

    /**
     * What was produced for one target.
     *
     * @param target target name
     * @param candidate the delivered subnet as the search proposed it (predicted figures)
     * @param valAccuracy measured validation accuracy (fraction)
     * @param testAccuracy measured test accuracy (fraction)
     * @param measuredLatencyMs median of {@link #LATENCY_TIMINGS} timings through the device
     *     profile's meter, ms; NaN when the device is not this machine
     * @param onnxMaxAbsDiff max |ONNX - subnet| of the logits, NaN when not verified
     * @param onnxFile the ONNX file
     * @param reportFile the JSON report
     * @param stepMs wall time of each step in ms, by step name
     * @param outcome the closed loop's outcome (every candidate measured for this target)
     * @param int8ValAccuracy validation accuracy of the INT8 model, NaN when none was made
     * @param int8TestAccuracy test accuracy of the INT8 model, NaN when none was made
     * @param int8OnnxFile the INT8 model, null when none was made
     * @param precision the delivered precision: with {@code INT8} the slice is its INT8 model, whose
     *     latency {@code measuredLatencyMs} is and whose validation accuracy the loop chose by;
     *     {@code valAccuracy} and {@code testAccuracy} stay the FP32 subnet's
     */
    public record Report(String target, Candidate candidate, double valAccuracy, double testAccuracy,
            double measuredLatencyMs, double onnxMaxAbsDiff, Path onnxFile, Path reportFile,
            Map<String, Double> stepMs, ClosedLoop.Outcome outcome, double int8ValAccuracy, double int8TestAccuracy,
            Path int8OnnxFile, ofa4j.predictor.Precision precision) {

        /** @return validation accuracy of the delivered model (INT8's when the slice is INT8) */
        public double deliveredValAccuracy() {
            return precision == ofa4j.predictor.Precision.INT8 ? int8ValAccuracy : valAccuracy;
        }

        /** @return test accuracy of the delivered model (INT8's when the slice is INT8) */
        public double deliveredTestAccuracy() {
            return precision == ofa4j.predictor.Precision.INT8 ? int8TestAccuracy : testAccuracy;
        }

        /** Copies the map. */
        public Report {
            stepMs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(stepMs));
        }
    }

    /** Timings of a delivered slice whose median is reported (the loop's own timing and two more). */
    public static final int LATENCY_TIMINGS = 3;

    /** Suffix of the INT8 model of a target: {@code T.int8.onnx}. */
    public static final String INT8_SUFFIX = ".int8.onnx";

    /** Suffix of the INT8 model of a target in the QOperator form OpenCV DNN runs: {@code T.int8.opencv.onnx}. */
    public static final String OPENCV_INT8_SUFFIX = ".int8.opencv.onnx";

    /**
     * The QOperator file written next to an INT8 model.
     *
     * @param int8OnnxFile {@code T.int8.onnx}
     * @return {@code T.int8.opencv.onnx} in the same directory
     * @throws IllegalArgumentException if the name does not end in {@value #INT8_SUFFIX}
     */
    public static Path openCvInt8File(Path int8OnnxFile) {
        String n = int8OnnxFile.getFileName().toString();
        if (!n.endsWith(INT8_SUFFIX)) {
            throw new IllegalArgumentException("an INT8 model file must end in " + INT8_SUFFIX + ", found '" + n + "'");
        }
        return int8OnnxFile.resolveSibling(n.substring(0, n.length() - INT8_SUFFIX.length()) + OPENCV_INT8_SUFFIX);
    }

    private final Backend backend;
    private final Path outDir;
    private final Int8Settings int8;
    private final ofa4j.predictor.Precision precision;
    /** INT8 candidates measured (FP32 and INT8 validation accuracy), in measuring order. */
    private final List<ofa4j.predictor.Int8Accuracy.Row> int8Rows =
            java.util.Collections.synchronizedList(new ArrayList<>());
    /** FP32 validation accuracy of the INT8 candidates, by key. */
    private final Map<String, Double> fp32Val = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Creates a specialiser that delivers FP32 models only.
     *
     * @param backend the heavy steps
     * @param outDir directory of the files written (created when needed)
     */
    public Specialiser(Backend backend, Path outDir) {
        this(backend, outDir, null);
    }

    /**
     * Creates a specialiser.
     *
     * @param backend the heavy steps
     * @param outDir directory of the files written (created when needed)
     * @param int8 settings of the INT8 model of each delivered slice, or null for FP32 only
     */
    public Specialiser(Backend backend, Path outDir, Int8Settings int8) {
        this(backend, outDir, int8, ofa4j.predictor.Precision.FP32);
    }

    /**
     * Creates a specialiser that delivers slices of one precision. With {@code INT8} every candidate
     * of the loop is measured as its INT8 model: FP32 and INT8 validation accuracy (the loop chooses
     * by INT8's), INT8 latency through the INT8 profile's meter; the delivered slice is the INT8
     * model, timed; the FP32 model is written beside it.
     *
     * @param backend the heavy steps
     * @param outDir directory of the files written (created when needed)
     * @param int8 settings of the INT8 models, or null: FP32 only ({@link Int8Settings#DEFAULT} with INT8)
     * @param precision the delivered precision
     */
    public Specialiser(Backend backend, Path outDir, Int8Settings int8, ofa4j.predictor.Precision precision) {
        if (backend == null || outDir == null || precision == null) {
            throw new IllegalArgumentException("backend, output directory and precision must not be null");
        }
        this.backend = backend;
        this.outDir = outDir;
        this.precision = precision;
        this.int8 = int8 == null && precision == ofa4j.predictor.Precision.INT8 ? Int8Settings.DEFAULT : int8;
    }

    /** @return the delivered precision */
    public ofa4j.predictor.Precision precision() {
        return precision;
    }

    /** @return every INT8 candidate measured so far: FP32 and INT8 validation accuracy (INT8 precision only) */
    public List<ofa4j.predictor.Int8Accuracy.Row> int8Rows() {
        synchronized (int8Rows) {
            return List.copyOf(int8Rows);
        }
    }

    /**
     * Measures a candidate as an INT8 model: extraction with BN recalibration, FP32 validation
     * accuracy, INT8 export calibrated on training images chosen by {@code calibrationSeed} (as
     * the delivered INT8 model is), its validation accuracy in ONNX Runtime and its latency
     * through each local device's (INT8) meter.
     */
    private ClosedLoop.Measurement measureInt8(ArchConfig arch, Map<String, LocalTiming> timings, long calibrationSeed)
            throws Exception {
        Subnet subnet = backend.extract(arch, calibrationSeed);
        double fp32 = backend.top1(subnet, Split.VAL);
        byte[] q = backend.exportInt8(subnet, Map.of(), int8, calibrationSeed);
        double v = backend.top1(q, subnet, Split.VAL);
        Map<String, Double> lat = new LinkedHashMap<>();
        for (Map.Entry<String, LocalTiming> e : timings.entrySet()) {
            lat.put(e.getKey(), backend.time(q, subnet, e.getValue()).ms());
        }
        String key = arch.canonical().key();
        if (fp32Val.put(key, fp32) == null) {
            Map<String, String> meta = ofa4j.exporter.OnnxExporter.readMetadata(q);
            int8Rows.add(new ofa4j.predictor.Int8Accuracy.Row(ofa4j.predictor.Int8Accuracy.FORMAT_VERSION, key, fp32, v,
                    meta.get(Int8Exporter.META_CALIBRATION_METHOD) + " on " + meta.get(Int8Exporter.META_CALIBRATION_SOURCE)));
        }
        return new ClosedLoop.Measurement(v, lat);
    }

    private static double since(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * The closed loop's measurer on this backend.
     *
     * @param calibrationSeed seed of the BN calibration images: the accuracy table's, so that
     *     measured candidates are rows of the same table
     * @return the measurer
     */
    public ClosedLoop.Measurer measurer(long calibrationSeed) {
        if (precision == ofa4j.predictor.Precision.INT8) {
            // no screening: an INT8 candidate is measured whole (its ONNX Runtime evaluation is cheap)
            return (arch, timings) -> measureInt8(arch, timings, calibrationSeed);
        }
        return new ClosedLoop.Measurer() {
            @Override
            public ClosedLoop.Measurement measure(ArchConfig arch, Map<String, LocalTiming> timings) throws Exception {
                return backend.measure(arch, timings, calibrationSeed);
            }

            @Override
            public ClosedLoop.Measurement screen(ArchConfig arch, Map<String, LocalTiming> timings, int valImages)
                    throws Exception {
                return backend.screen(arch, timings, calibrationSeed, valImages);
            }

            @Override
            public double valAccuracy(ArchConfig arch) throws Exception {
                return backend.top1(backend.extract(arch, calibrationSeed), Split.VAL);
            }
        };
    }

    /**
     * Delivers one target of a closed loop: extracts the delivered subnet, measures its validation
     * and test accuracy, verifies and times its ONNX model, and writes it with its report.
     *
     * @param outcome the loop's outcome for the target
     * @param timing how to time it on this machine (the device its report and plot refer to), or
     *     null when that device is not this machine
     * @param calibrationSeed seed of the BN calibration images (the loop's)
     * @return what was written
     * @throws IOException if writing fails or a backend step fails (wrapped, with the step named)
     */
    public Report specialise(ClosedLoop.Outcome outcome, LocalTiming timing, long calibrationSeed) throws IOException {
        long t0 = System.nanoTime();
        String name = outcome.target().name();
        ClosedLoop.MeasuredCandidate delivered = outcome.delivered();
        Candidate best = reported(outcome);
        Map<String, Double> steps = new LinkedHashMap<>();
        steps.put("search", outcome.searches().stream().mapToDouble(SearchResult::wallMs).sum());
        steps.put("measure_candidates", outcome.proposed().stream().filter(m -> m.proposedBy().equals(name))
                .distinct().mapToDouble(ClosedLoop.MeasuredCandidate::measureMs).sum());

        long t = System.nanoTime();
        Subnet subnet = step(name, "extract", () -> backend.extract(best.arch(), calibrationSeed));
        steps.put("extract_bn_recalibration", since(t));
        // the loop measured this very subnet (same extraction, same calibration images): not again
        boolean q8 = precision == ofa4j.predictor.Precision.INT8;
        Double fp32 = q8 ? fp32Val.get(best.arch().canonical().key()) : null;
        double val = !q8 ? delivered.measurement().valAccuracy()
                : fp32 != null ? fp32 : step(name, "validation accuracy", () -> backend.top1(subnet, Split.VAL));
        t = System.nanoTime();
        double test = step(name, "test accuracy", () -> backend.top1(subnet, Split.TEST));
        steps.put("eval_test", since(t));

        t = System.nanoTime();
        byte[] draft = step(name, "ONNX export", () -> backend.exportOnnx(subnet, metadata(outcome, val, test,
                Double.NaN, timing)));
        steps.put("export", since(t));
        t = System.nanoTime();
        double verifyDiff = step(name, "ONNX verification", () -> backend.verifyOnnx(draft, subnet));
        steps.put("verify_onnx", since(t));
        double latency = Double.NaN;
        List<Double> timings = new ArrayList<>();
        List<Double> speedRatios = new ArrayList<>();
        List<Double> rawTimings = new ArrayList<>();
        byte[] onnx = draft;
        if (timing != null && !q8) {
            t = System.nanoTime();
            latency = timeDelivered(name, draft, subnet, timing, delivered, timings, rawTimings, speedRatios);
            steps.put("measure_latency", since(t));
            Map<String, String> finalMeta = metadata(outcome, val, test, latency, timing);
            t = System.nanoTime();
            onnx = step(name, "ONNX export", () -> backend.exportOnnx(subnet, finalMeta));
            steps.put("export_with_latency", since(t));
        }
        Path onnxFile = outDir.resolve(name + ".onnx");
        Path reportFile = outDir.resolve(name + ".json");
        t = System.nanoTime();
        AtomicFiles.writeBytes(onnxFile, onnx);
        steps.put("write_onnx", since(t));
        Int8Model q = null;
        if (int8 != null) {
            Map<String, String> meta = metadata(outcome, val, test, Double.NaN, timing);
            if (q8) {
                meta.put(METADATA_PREFIX + "precision", precision.id());
            }
            q = int8(name, subnet, meta, calibrationSeed, steps, q8 ? timing : null, delivered, timings, rawTimings,
                    speedRatios);
            if (q8 && timing != null) {
                latency = median(timings);
            }
        }
        steps.put("deliver", since(t0));
        steps.put("total", steps.get("search") + steps.get("measure_candidates") + steps.get("deliver"));
        boolean normalised = !speedRatios.isEmpty() && speedRatios.stream().allMatch(Double::isFinite);
        report(outcome, val, test, latency, timings, verifyDiff, timing, onnxFile, onnx, steps,
                normalised ? rawTimings : null, normalised ? speedRatios : null, q).write(reportFile);
        return new Report(name, best, val, test, latency, verifyDiff, onnxFile, reportFile, steps, outcome,
                q == null ? Double.NaN : q.val(), q == null ? Double.NaN : q.test(), q == null ? null : q.file(),
                precision);
    }

    /** The INT8 model of a delivered slice, as measured and written. */
    private record Int8Model(double val, double test, String calibration, Path file, byte[] bytes, Path openCvFile,
            byte[] openCvBytes) {}

    /**
     * Makes, measures and writes the INT8 model of a delivered slice: the FP32 metadata (without its
     * latency, which was measured on the FP32 model) and the INT8 accuracies.
     */
    private Int8Model int8(String name, Subnet subnet, Map<String, String> meta, long calibrationSeed,
            Map<String, Double> steps, LocalTiming timing, ClosedLoop.MeasuredCandidate delivered, List<Double> timings,
            List<Double> rawTimings, List<Double> speedRatios) throws IOException {
        long t = System.nanoTime();
        byte[] draft = step(name, "INT8 export", () -> backend.exportInt8(subnet, meta, int8, calibrationSeed));
        steps.put("int8_export", since(t));
        t = System.nanoTime();
        double v = step(name, "INT8 validation accuracy", () -> backend.top1(draft, subnet, Split.VAL));
        double te = step(name, "INT8 test accuracy", () -> backend.top1(draft, subnet, Split.TEST));
        steps.put("int8_eval", since(t));
        Map<String, String> measured = new LinkedHashMap<>();
        measured.put(METADATA_PREFIX + "measured_int8_val_accuracy", fmt(v));
        measured.put(METADATA_PREFIX + "measured_int8_test_accuracy", fmt(te));
        if (timing != null) {
            t = System.nanoTime();
            double latency = timeDelivered(name, draft, subnet, timing, delivered, timings, rawTimings, speedRatios);
            steps.put("measure_latency", since(t));
            measured.put(METADATA_PREFIX + "measured_latency_ms", fmt(latency));
            measured.put(METADATA_PREFIX + "measured_latency_setup", timing.device() + " (" + timing.precision().id()
                    + "), " + timing.engineName() + ", " + timing.threads() + " intra-op threads, batch " + timing.batch()
                    + ", median of " + LATENCY_TIMINGS + " timings of " + timing.repeats() + " runs after "
                    + timing.warmup() + " warm-up runs (the profile's meter), at the profile's machine speed"
                    + " (anchor-normalised)");
        }
        byte[] bytes = ofa4j.exporter.OnnxExporter.withMetadata(draft, measured);
        Map<String, String> written = ofa4j.exporter.OnnxExporter.readMetadata(bytes);
        String calibration = written.get(Int8Exporter.META_CALIBRATION_METHOD) + " on "
                + written.get(Int8Exporter.META_CALIBRATION_SOURCE);
        Path file = outDir.resolve(name + INT8_SUFFIX);
        t = System.nanoTime();
        AtomicFiles.writeBytes(file, bytes);
        steps.put("write_int8_onnx", since(t));
        t = System.nanoTime();
        byte[] qop = step(name, "INT8 QOperator form", () -> Int8Exporter.toQOperator(bytes));
        Path openCv = openCvInt8File(file);
        AtomicFiles.writeBytes(openCv, qop);
        steps.put("write_int8_opencv_onnx", since(t));
        return new Int8Model(v, te, calibration, file, bytes, openCv, qop);
    }

    /**
     * Times a delivered model {@link #LATENCY_TIMINGS} times in all, the loop's own timing of it
     * being the first, and returns the median.
     */
    private double timeDelivered(String name, byte[] model, Subnet subnet, LocalTiming timing,
            ClosedLoop.MeasuredCandidate delivered, List<Double> timings, List<Double> rawTimings,
            List<Double> speedRatios) throws IOException {
        double first = delivered.measuredLatencyMs(timing.device());
        if (Double.isFinite(first)) {
            timings.add(first);
        }
        while (timings.size() < LATENCY_TIMINGS) {
            ofa4j.predictor.ProfileMeter.Timing tm = step(name, timing.engineName() + " timing",
                    () -> backend.time(model, subnet, timing));
            timings.add(tm.ms());
            rawTimings.add(tm.rawMs());
            speedRatios.add(tm.slowdown());
        }
        return median(timings);
    }

    /** The delivered subnet with the accuracy the outcome reports for it. */
    private static Candidate reported(ClosedLoop.Outcome outcome) {
        Candidate c = outcome.delivered().candidate();
        return new Candidate(c.arch(), outcome.prediction().accuracy(), c.costs());
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /**
     * Runs the closed loop for every target and delivers each ({@link #specialise}), then writes
     * {@code pareto.png}: the predicted front, every measured candidate and the measured front, and
     * the delivered subnets predicted and measured (validation accuracy throughout: what the
     * predictor predicts).
     *
     * @param loop the closed loop (its measurer should be {@link #measurer} of this specialiser)
     * @param targets the targets
     * @param timings local timing settings by target name (targets not in the map are not timed)
     * @param plotAxis cost axis of the plot (measured latency is plotted only on a latency axis
     *     whose device has a local timing)
     * @param plotFront the predicted front to draw, may be empty
     * @param seed seed of the searches
     * @param calibrationSeed seed of the BN calibration images (the loop measurer's)
     * @return one report per target, in order
     * @throws IOException if a step or a write fails
     */
    public List<Report> specialiseAll(ClosedLoop loop, List<Fleet.Target> targets, Map<String, LocalTiming> timings,
            CostAxis plotAxis, List<Candidate> plotFront, long seed, long calibrationSeed) throws IOException {
        return specialiseAll(loop, targets, timings, plotAxis, plotFront, List.of(), seed, calibrationSeed);
    }

    /**
     * As {@link #specialiseAll(ClosedLoop, List, Map, CostAxis, List, long, long)}, with compound
     * scaling's baseline curve on the plot.
     *
     * @param loop the closed loop
     * @param targets the targets
     * @param timings local timing settings by target name
     * @param plotAxis cost axis of the plot
     * @param plotFront the predicted front to draw, may be empty
     * @param plotBaseline compound scaling's curve, predicted ({@link CompoundScaling#baselineCurve}), may be empty
     * @param seed seed of the searches
     * @param calibrationSeed seed of the BN calibration images
     * @return one report per target, in order
     * @throws IOException if a step or a write fails
     */
    public List<Report> specialiseAll(ClosedLoop loop, List<Fleet.Target> targets, Map<String, LocalTiming> timings,
            CostAxis plotAxis, List<Candidate> plotFront, List<Candidate> plotBaseline, long seed, long calibrationSeed)
            throws IOException {
        List<ClosedLoop.Outcome> outcomes = loop.run(targets, seed);
        List<Report> out = new ArrayList<>();
        for (ClosedLoop.Outcome o : outcomes) {
            out.add(specialise(o, timings.get(o.target().name()), calibrationSeed));
        }
        writePlot(outDir, plotAxis, plotFront, plotBaseline, out, timings, loop.measured());
        return out;
    }

    /**
     * Writes {@code pareto.png} of delivered slices: the predicted front, every measured candidate
     * and the measured front, and the delivered subnets predicted and measured (validation
     * accuracy throughout: what the predictor predicts).
     *
     * @param outDir the directory of the slices
     * @param plotAxis cost axis of the plot (measured latency is plotted only on a latency axis
     *     whose device has a local timing)
     * @param plotFront the predicted front to draw, may be empty
     * @param reports the delivered slices
     * @param timings local timing settings by target name
     * @param candidates every measured candidate
     * @throws IOException if writing fails
     */
    public static void writePlot(Path outDir, CostAxis plotAxis, List<Candidate> plotFront, List<Report> reports,
            Map<String, LocalTiming> timings, List<ClosedLoop.MeasuredCandidate> candidates) throws IOException {
        writePlot(outDir, plotAxis, plotFront, List.of(), reports, timings, candidates);
    }

    /** Legend name of compound scaling's curve on the plot. */
    public static final String BASELINE_LABEL = "compound scaling (EfficientNet)";

    /**
     * Writes {@code pareto.png} as {@link #writePlot(Path, CostAxis, List, List, Map, List)} does, with
     * compound scaling's curve: predicted, and the measured figures of those of its subnets the closed
     * loop measured.
     *
     * @param outDir the directory of the slices
     * @param plotAxis cost axis of the plot
     * @param plotFront the predicted front to draw, may be empty
     * @param plotBaseline compound scaling's curve, predicted ({@link CompoundScaling#baselineCurve}), may be empty
     * @param reports the delivered slices
     * @param timings local timing settings by target name
     * @param candidates every measured candidate
     * @throws IOException if writing fails
     */
    public static void writePlot(Path outDir, CostAxis plotAxis, List<Candidate> plotFront, List<Candidate> plotBaseline,
            List<Report> reports, Map<String, LocalTiming> timings, List<ClosedLoop.MeasuredCandidate> candidates)
            throws IOException {
        Map<String, Candidate> chosen = new LinkedHashMap<>();
        List<ParetoPlot.Measured> measured = new ArrayList<>();
        String plotDevice = plotAxis.name().startsWith("latency[")
                ? plotAxis.name().substring("latency[".length(), plotAxis.name().length() - 1) : null;
        for (Report r : reports) {
            LocalTiming timing = timings.get(r.target());
            chosen.put(r.target(), r.candidate());
            double cost = plotAxis.value(r.candidate());
            if (plotDevice != null) {
                boolean sameDevice = timing != null && plotDevice.equals(timing.device());
                cost = sameDevice ? r.measuredLatencyMs() : Double.NaN;
            }
            if (!Double.isNaN(cost)) {
                measured.add(new ParetoPlot.Measured(r.target(), cost, r.valAccuracy()));
            }
        }
        List<ParetoPlot.Measured> points = new ArrayList<>();
        java.util.Set<String> onCurve = new java.util.HashSet<>();
        plotBaseline.forEach(c -> onCurve.add(c.arch().canonical().key()));
        List<ParetoPlot.Measured> curveMeasured = new ArrayList<>();
        for (ClosedLoop.MeasuredCandidate m : candidates) {
            double cost = plotDevice != null ? m.measuredLatencyMs(plotDevice) : plotAxis.value(m.candidate());
            if (Double.isFinite(cost)) {
                ParetoPlot.Measured p = new ParetoPlot.Measured(m.arch().key(), cost, m.measurement().valAccuracy());
                points.add(p);
                if (onCurve.contains(m.arch().canonical().key())) {
                    curveMeasured.add(p);
                }
            }
        }
        ParetoPlot.write(outDir.resolve("pareto.png"),
                "Slices: predicted front, measured candidates and measured front (validation accuracy)", plotAxis,
                plotFront, chosen, measured, points,
                plotBaseline.isEmpty() ? null : new ParetoPlot.Curve(BASELINE_LABEL, plotBaseline, curveMeasured));
    }

    private Map<String, String> metadata(ClosedLoop.Outcome outcome, double val, double test, double latency,
            LocalTiming timing) {
        Candidate best = reported(outcome);
        Map<String, String> m = new LinkedHashMap<>();
        String p = METADATA_PREFIX;
        m.put(p + "target", outcome.target().name());
        m.put(p + "constraint", outcome.target().constraint().describe());
        m.put(p + "arch_key", best.arch().key());
        SearchResult last = outcome.searches().get(outcome.searches().size() - 1);
        m.put(p + "search", last.strategy() + ", " + outcome.searches().size() + " round(s), "
                + outcome.proposed().size() + " candidates measured, delivered from round " + outcome.delivered().round());
        m.put(p + "predicted_accuracy", fmt(best.predictedAccuracy()));
        m.put(p + "predicted_accuracy_basis", outcome.prediction().predictor() + ", " + outcome.prediction().basis());
        for (Map.Entry<String, Double> e : best.costs().latencyMs().entrySet()) {
            m.put(p + "predicted_latency_ms." + e.getKey(), fmt(e.getValue()));
        }
        m.put(p + "measured_val_accuracy", fmt(val));
        m.put(p + "measured_test_accuracy", fmt(test));
        if (!Double.isNaN(latency)) {
            m.put(p + "measured_latency_ms", fmt(latency));
            m.put(p + "measured_latency_setup", timing.device() + ", " + timing.engineName() + ", " + timing.threads()
                    + " intra-op threads, batch " + timing.batch() + ", median of " + LATENCY_TIMINGS + " timings of "
                    + timing.repeats() + " runs after " + timing.warmup() + " warm-up runs (the profile's meter),"
                    + " at the profile's machine speed (anchor-normalised)");
        }
        m.put(p + "latency_checked_by", outcome.latencyMeasured() ? "measurement on this machine"
                : "prediction (the device is not this machine)");
        m.put(p + "macs", Long.toString(best.costs().macs()));
        m.put(p + "params", Long.toString(best.costs().params()));
        m.put(p + "peak_activation_bytes", Long.toString(best.costs().peakActivationBytes()));
        return m;
    }

    private SliceJson.Report report(ClosedLoop.Outcome outcome, double val, double test, double latency,
            List<Double> timings, double verifyDiff, LocalTiming timing, Path onnxFile, byte[] onnx,
            Map<String, Double> steps, List<Double> rawTimings, List<Double> slowdowns, Int8Model q) {
        Candidate best = reported(outcome);
        SearchResult last = outcome.searches().get(outcome.searches().size() - 1);
        List<String> notes = new ArrayList<>();
        outcome.searches().forEach(sr -> notes.addAll(sr.notes()));
        notes.addAll(outcome.notes());
        SliceJson.SearchSummary search = new SliceJson.SearchSummary(last.strategy(), outcome.searches().size(),
                outcome.searches().stream().mapToLong(SearchResult::evaluations).sum(),
                outcome.searches().stream().mapToLong(SearchResult::costEvaluations).sum(),
                outcome.delivered().round(), outcome.delivered().proposedBy(),
                outcome.latencyMeasured() ? "measurement" : "prediction",
                outcome.latencyMeasured() ? null
                        : "a latency bound refers to a device that is not this machine: its predicted latency was kept",
                notes);
        ClosedLoop.Prediction prediction = outcome.prediction();
        SliceJson.PredictedSlice pred = new SliceJson.PredictedSlice(prediction.accuracy(), prediction.predictor(),
                prediction.outsideTableRange(), new LinkedHashMap<>(best.costs().latencyMs()), prediction.basis(),
                outcome.delivered().candidate().predictedAccuracy());
        boolean timed = !Double.isNaN(latency);
        String note = !timed ? "not measured: the target's device is not this machine"
                : rawTimings == null ? null
                : "latency_ms and latency_timings_ms are at the machine speed of the device profile: each raw timing"
                        + " divided by the slowdown of an anchor subnet timed just before and after it (the loop's own"
                        + " timing, the first, was normalised the same way)";
        SliceJson.MeasuredSlice meas = new SliceJson.MeasuredSlice(val, test, timed ? latency : null,
                timed ? timings : null, timed ? timing.device() : null, timed ? timing.engine() : null,
                timed ? timing.threads() : null, timed ? timing.batch() : null, timed ? timing.warmup() : null,
                timed ? timing.repeats() : null, Double.isNaN(verifyDiff) ? null : verifyDiff, rawTimings, slowdowns,
                note, q == null ? null : q.val(), q == null ? null : q.test(), q == null ? null : q.calibration());
        Map<String, Double> st = new LinkedHashMap<>();
        steps.forEach((k, v) -> st.put(k, Math.round(v * 1000) / 1000.0));
        return new SliceJson.Report(SliceJson.REPORT_FORMAT_VERSION, outcome.target().name(),
                SliceJson.ConstraintJson.of(outcome.target().constraint()), best.arch().toJsonRecord(),
                best.arch().key(), search, pred, meas, SliceJson.CandidateRow.of(outcome), best.costs().macs(),
                best.costs().params(), best.costs().peakActivationBytes(),
                new SliceJson.OnnxFile(onnxFile.getFileName().toString(), onnx.length, Hashing.sha256Hex(onnx)),
                backend.describe(), st, q == null ? null
                        : new SliceJson.OnnxFile(q.file().getFileName().toString(), q.bytes().length,
                                Hashing.sha256Hex(q.bytes())), precision.id(), q == null ? null
                        : new SliceJson.OnnxFile(q.openCvFile().getFileName().toString(), q.openCvBytes().length,
                                Hashing.sha256Hex(q.openCvBytes())));
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }

    @FunctionalInterface
    private interface Step<T> {
        T run() throws Exception;
    }

    private static <T> T step(String target, String what, Step<T> s) throws IOException {
        try {
            return s.run();
        } catch (IOException e) {
            throw new IOException("target " + target + ": " + what + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("target " + target + ": " + what + " failed: " + e.getMessage(), e);
        }
    }
}

package ofa4j.slicer;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.AtomicFiles;
import ofa4j.models.Subnet;

/**
 * Turns search results into deployable files: for each target it extracts the chosen subnet from
 * the supernet with BN recalibration, measures its real validation and test accuracy, measures its
 * real latency (in the profile's engine, ONNX Runtime or PyTorch) when the target's device is this machine, verifies the ONNX model
 * against the subnet, exports it with the predicted and measured figures in its metadata, and
 * writes a JSON report next to it; then a Pareto plot of all targets. Every file is written
 * atomically ({@link AtomicFiles}).
 *
 * <p>Files in the output directory, per target {@code T}: {@code T.onnx}, {@code T.json}; and
 * {@code pareto.png} from {@link #specialiseAll}.
 *
 * <p>The work with the supernet, the data and ONNX is done by a {@link Backend} (the
 * supernet module's extraction and evaluation with the exporter's ONNX writer and verifier), so the orchestration and file formats here are plain Java.
 */
public final class Specialiser {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create();

    /** Version of the report JSON layout, written as {@code format_version}. */
    public static final int REPORT_FORMAT_VERSION = 1;

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
    }

    /**
     * How to time a target on this machine (its device profile's settings).
     *
     * @param device the device name of the target's latency model (reported)
     * @param engine {@code onnxruntime} or {@code pytorch}
     * @param threads intra-op threads
     * @param batch batch size
     */
    public record LocalTiming(String device, String engine, int threads, int batch) {
        /** Checks the values. */
        public LocalTiming {
            if (threads < 1 || batch < 1) {
                throw new IllegalArgumentException(
                        "threads and batch must be at least 1, found threads " + threads + ", batch " + batch);
            }
            if (!ofa4j.predictor.DeviceProfile.ENGINES.contains(engine)) {
                throw new IllegalArgumentException(
                        "engine must be one of " + ofa4j.predictor.DeviceProfile.ENGINES + ", found '" + engine + "'");
            }
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
     * @param candidate the chosen subnet as predicted by the search
     * @param valAccuracy measured validation accuracy (fraction)
     * @param testAccuracy measured test accuracy (fraction)
     * @param measuredLatencyMs measured latency in ms, NaN when not measured here
     * @param onnxMaxAbsDiff max |ONNX - subnet| of the logits, NaN when not verified
     * @param onnxFile the ONNX file
     * @param reportFile the JSON report
     * @param stepMs wall time of each step in ms, by step name
     */
    public record Report(String target, Candidate candidate, double valAccuracy, double testAccuracy,
            double measuredLatencyMs, double onnxMaxAbsDiff, Path onnxFile, Path reportFile,
            Map<String, Double> stepMs) {
        /** Copies the map. */
        public Report {
            stepMs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(stepMs));
        }
    }

    private final Backend backend;
    private final Path outDir;

    /**
     * Creates a specialiser.
     *
     * @param backend the heavy steps
     * @param outDir directory of the files written (created when needed)
     */
    public Specialiser(Backend backend, Path outDir) {
        if (backend == null || outDir == null) {
            throw new IllegalArgumentException("backend and output directory must not be null");
        }
        this.backend = backend;
        this.outDir = outDir;
    }

    private static double since(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * Specialises one target.
     *
     * @param target the target and its search result
     * @param timing how to time it on this machine, or null when its device is not this machine
     * @param seed seed of the BN calibration images
     * @return what was written
     * @throws IOException if writing fails or a backend step fails (wrapped, with the step named)
     */
    public Report specialise(Fleet.TargetResult target, LocalTiming timing, long seed) throws IOException {
        long t0 = System.nanoTime();
        String name = target.target().name();
        SearchResult sr = target.result();
        Candidate best = sr.best();
        Map<String, Double> steps = new LinkedHashMap<>();
        steps.put("search", sr.wallMs());

        long t = System.nanoTime();
        Subnet subnet = step(name, "extract", () -> backend.extract(best.arch(), seed));
        steps.put("extract_bn_recalibration", since(t));
        t = System.nanoTime();
        double val = step(name, "validation accuracy", () -> backend.top1(subnet, Split.VAL));
        steps.put("eval_val", since(t));
        t = System.nanoTime();
        double test = step(name, "test accuracy", () -> backend.top1(subnet, Split.TEST));
        steps.put("eval_test", since(t));

        Map<String, String> meta = metadata(target, best, val, test, Double.NaN, timing);
        t = System.nanoTime();
        byte[] draft = step(name, "ONNX export", () -> backend.exportOnnx(subnet, meta));
        steps.put("export", since(t));
        double verifyDiff;
        t = System.nanoTime();
        verifyDiff = step(name, "ONNX verification", () -> backend.verifyOnnx(draft, subnet));
        steps.put("verify_onnx", since(t));
        double latency = Double.NaN;
        byte[] onnx = draft;
        if (timing != null) {
            t = System.nanoTime();
            latency = step(name, timing.engineName() + " timing", () -> backend.latencyMs(draft, subnet, timing));
            steps.put("measure_latency", since(t));
            Map<String, String> finalMeta = metadata(target, best, val, test, latency, timing);
            t = System.nanoTime();
            onnx = step(name, "ONNX export", () -> backend.exportOnnx(subnet, finalMeta));
            steps.put("export_with_latency", since(t));
        }
        Path onnxFile = outDir.resolve(name + ".onnx");
        Path reportFile = outDir.resolve(name + ".json");
        t = System.nanoTime();
        AtomicFiles.writeBytes(onnxFile, onnx);
        steps.put("write_onnx", since(t));
        steps.put("total", since(t0));
        JsonObject json = report(target, best, val, test, latency, verifyDiff, timing, onnxFile, onnx, steps);
        AtomicFiles.writeString(reportFile, GSON.toJson(json) + "\n");
        return new Report(name, best, val, test, latency, verifyDiff, onnxFile, reportFile, steps);
    }

    /**
     * Specialises every target of a fleet search, then writes {@code pareto.png}: the first
     * target's front (on the plot axis), every chosen subnet, and the measured points.
     *
     * @param fleet the fleet search result
     * @param timings local timing settings by target name (targets not in the map are not timed)
     * @param plotAxis cost axis of the plot (measured latency is plotted only on a latency axis
     *     whose device has a local timing)
     * @param plotFront the predicted front to draw (e.g. an NSGA-II result's front on {@code plotAxis}), may be empty
     * @param seed seed of the BN calibration images
     * @return one report per target, in fleet order
     * @throws IOException if a step or a write fails
     */
    public List<Report> specialiseAll(Fleet.Result fleet, Map<String, LocalTiming> timings, CostAxis plotAxis,
            List<Candidate> plotFront, long seed) throws IOException {
        List<Report> out = new ArrayList<>();
        Map<String, Candidate> chosen = new LinkedHashMap<>();
        List<ParetoPlot.Measured> measured = new ArrayList<>();
        for (Fleet.TargetResult tr : fleet.results()) {
            LocalTiming timing = timings.get(tr.target().name());
            Report r = specialise(tr, timing, seed);
            out.add(r);
            chosen.put(r.target(), r.candidate());
            double cost = plotAxis.value(r.candidate());
            if (plotAxis.name().startsWith("latency")) {
                boolean sameDevice = timing != null && plotAxis.name().equals("latency[" + timing.device() + "]");
                cost = sameDevice ? r.measuredLatencyMs() : Double.NaN;
            }
            if (!Double.isNaN(cost)) {
                measured.add(new ParetoPlot.Measured(r.target(), cost, r.testAccuracy()));
            }
        }
        ParetoPlot.write(outDir.resolve("pareto.png"),
                "Specialised subnets: predicted front and measured test accuracy", plotAxis, plotFront, chosen, measured);
        return out;
    }

    private Map<String, String> metadata(Fleet.TargetResult target, Candidate best, double val, double test,
            double latency, LocalTiming timing) {
        Map<String, String> m = new LinkedHashMap<>();
        String p = METADATA_PREFIX;
        m.put(p + "target", target.target().name());
        m.put(p + "constraint", target.target().constraint().describe());
        m.put(p + "arch_key", best.arch().key());
        m.put(p + "search", target.result().strategy() + ", seed " + target.result().seed() + ", "
                + target.result().evaluations() + " evaluations");
        m.put(p + "predicted_accuracy", fmt(best.predictedAccuracy()));
        for (Map.Entry<String, Double> e : best.costs().latencyMs().entrySet()) {
            m.put(p + "predicted_latency_ms." + e.getKey(), fmt(e.getValue()));
        }
        m.put(p + "measured_val_accuracy", fmt(val));
        m.put(p + "measured_test_accuracy", fmt(test));
        if (!Double.isNaN(latency)) {
            m.put(p + "measured_latency_ms", fmt(latency));
            m.put(p + "measured_latency_setup", timing.device() + ", " + timing.engineName() + ", " + timing.threads()
                    + " threads, batch " + timing.batch());
        }
        m.put(p + "macs", Long.toString(best.costs().macs()));
        m.put(p + "params", Long.toString(best.costs().params()));
        m.put(p + "peak_activation_bytes", Long.toString(best.costs().peakActivationBytes()));
        return m;
    }

    private JsonObject report(Fleet.TargetResult target, Candidate best, double val, double test, double latency,
            double verifyDiff, LocalTiming timing, Path onnxFile, byte[] onnx, Map<String, Double> steps) {
        JsonObject o = new JsonObject();
        o.addProperty("format_version", REPORT_FORMAT_VERSION);
        o.addProperty("target", target.target().name());
        o.add("constraint", constraintJson(target.target().constraint()));
        o.add("arch", best.arch().toJsonTree());
        o.addProperty("key", best.arch().key());
        JsonObject search = new JsonObject();
        search.addProperty("strategy", target.result().strategy());
        search.addProperty("seed", target.result().seed());
        search.addProperty("evaluations", target.result().evaluations());
        search.addProperty("cost_evaluations", target.result().costEvaluations());
        com.google.gson.JsonArray notes = new com.google.gson.JsonArray();
        target.result().notes().forEach(notes::add);
        search.add("notes", notes);
        o.add("search", search);
        JsonObject pred = new JsonObject();
        pred.addProperty("accuracy", best.predictedAccuracy());
        JsonObject plat = new JsonObject();
        best.costs().latencyMs().forEach(plat::addProperty);
        pred.add("latency_ms", plat);
        o.add("predicted", pred);
        JsonObject meas = new JsonObject();
        meas.addProperty("val_accuracy", val);
        meas.addProperty("test_accuracy", test);
        if (Double.isNaN(latency)) {
            meas.add("latency_ms", com.google.gson.JsonNull.INSTANCE);
            meas.addProperty("latency_note", "not measured: the target's device is not this machine");
        } else {
            meas.addProperty("latency_ms", latency);
            meas.addProperty("latency_device", timing.device());
            meas.addProperty("latency_engine", timing.engine());
            meas.addProperty("latency_threads", timing.threads());
            meas.addProperty("latency_batch", timing.batch());
        }
        if (Double.isNaN(verifyDiff)) {
            meas.add("onnx_max_abs_diff", com.google.gson.JsonNull.INSTANCE);
        } else {
            meas.addProperty("onnx_max_abs_diff", verifyDiff);
        }
        o.add("measured", meas);
        o.addProperty("macs", best.costs().macs());
        o.addProperty("params", best.costs().params());
        o.addProperty("peak_activation_bytes", best.costs().peakActivationBytes());
        JsonObject file = new JsonObject();
        file.addProperty("file", onnxFile.getFileName().toString());
        file.addProperty("bytes", onnx.length);
        file.addProperty("sha256", sha256(onnx));
        o.add("onnx", file);
        o.addProperty("backend", backend.describe());
        JsonObject st = new JsonObject();
        steps.forEach((k, v) -> st.addProperty(k, Math.round(v * 1000) / 1000.0));
        o.add("step_ms", st);
        return o;
    }

    /**
     * Returns a constraint as JSON: {@code describe} and one field per bound that is set ({@code
     * max_latency_ms} by device, {@code max_macs}, {@code max_params}, {@code max_peak_memory_bytes},
     * {@code min_resolution}, {@code max_resolution}).
     *
     * @param c the constraint
     * @return the JSON object
     */
    public static JsonObject constraintJson(Constraint c) {
        JsonObject o = new JsonObject();
        o.addProperty("describe", c.describe());
        if (!c.latencyBounds().isEmpty()) {
            JsonObject lat = new JsonObject();
            for (Constraint.LatencyBound b : c.latencyBounds()) {
                lat.addProperty(b.predictor().deviceName(), b.maxMs());
            }
            o.add("max_latency_ms", lat);
        }
        if (c.maxMacs() != null) {
            o.addProperty("max_macs", c.maxMacs());
        }
        if (c.maxParams() != null) {
            o.addProperty("max_params", c.maxParams());
        }
        if (c.maxPeakMemoryBytes() != null) {
            o.addProperty("max_peak_memory_bytes", c.maxPeakMemoryBytes());
        }
        if (c.minResolution() != null) {
            o.addProperty("min_resolution", c.minResolution());
        }
        if (c.maxResolution() != null) {
            o.addProperty("max_resolution", c.maxResolution());
        }
        return o;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JVM", e);
        }
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

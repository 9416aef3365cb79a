package ofa4j.slicer;

import com.google.gson.annotations.SerializedName;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.JsonFiles;

/**
 * The JSON forms of the slicer: the report of a delivered slice ({@code slices/<target>.json}),
 * a search result (HTTP and {@code ofa slice --json}), a constraint and a candidate. Each is a
 * record bound by {@link JsonFiles}; {@link Report#read} and {@link Report#write} are the one
 * reader and writer of slice reports.
 */
public final class SliceJson {

    private SliceJson() {}

    /** The format version of slice reports written by this build. */
    public static final int REPORT_FORMAT_VERSION = 1;

    /**
     * A constraint: its description and each bound that is set.
     *
     * @param describe human-readable form
     * @param maxLatencyMs latency bounds by device name
     * @param maxMacs MAC bound
     * @param maxParams parameter bound
     * @param maxPeakMemoryBytes peak activation memory bound
     * @param minResolution lowest input resolution allowed
     * @param maxResolution highest input resolution allowed
     */
    public record ConstraintJson(String describe, Map<String, Double> maxLatencyMs, Long maxMacs, Long maxParams,
            Long maxPeakMemoryBytes, Integer minResolution, Integer maxResolution) {

        /**
         * @param c a constraint
         * @return its JSON form
         */
        public static ConstraintJson of(Constraint c) {
            Map<String, Double> lat = null;
            if (!c.latencyBounds().isEmpty()) {
                lat = new LinkedHashMap<>();
                for (Constraint.LatencyBound b : c.latencyBounds()) {
                    lat.put(b.predictor().deviceName(), b.maxMs());
                }
            }
            return new ConstraintJson(c.describe(), lat, c.maxMacs(), c.maxParams(), c.maxPeakMemoryBytes(),
                    c.minResolution(), c.maxResolution());
        }
    }

    /**
     * A candidate's predicted figures.
     *
     * @param accuracy predicted accuracy
     * @param latencyMs predicted latency by device
     * @param macs multiply-accumulates
     * @param params parameters
     * @param peakActivationBytes peak activation memory
     */
    public record Predicted(double accuracy, Map<String, Double> latencyMs, long macs, long params,
            long peakActivationBytes) {

        /**
         * @param c a candidate
         * @return its predicted figures
         */
        public static Predicted of(Candidate c) {
            return new Predicted(c.predictedAccuracy(), new LinkedHashMap<>(c.costs().latencyMs()), c.costs().macs(),
                    c.costs().params(), c.costs().peakActivationBytes());
        }
    }

    /**
     * A member of a search's front.
     *
     * @param key arch key
     * @param accuracy predicted accuracy
     * @param cost its value on the front's cost axis
     */
    public record FrontPoint(String key, double accuracy, double cost) {}

    /**
     * What a search returned.
     *
     * @param strategy strategy name
     * @param seed seed
     * @param constraint the constraint
     * @param arch the best subnet
     * @param key its key
     * @param predicted its predicted figures
     * @param evaluations accuracy-predictor evaluations
     * @param distinctEvaluations distinct subnets scored
     * @param costEvaluations cost checks
     * @param wallMs wall time in ms
     * @param notes notes of bounded rejection sampling
     * @param frontAxis label of the front's cost axis
     * @param front the non-dominated candidates
     */
    public record Search(String strategy, long seed, ConstraintJson constraint, ArchConfig.Json arch, String key,
            Predicted predicted, long evaluations, long distinctEvaluations, long costEvaluations, double wallMs,
            List<String> notes, String frontAxis, List<FrontPoint> front) {

        /**
         * @param r a search result
         * @return its JSON form
         */
        public static Search of(SearchResult r) {
            List<FrontPoint> f = new ArrayList<>();
            for (Candidate c : r.front()) {
                f.add(new FrontPoint(c.arch().key(), c.predictedAccuracy(), r.frontAxis().value(c)));
            }
            return new Search(r.strategy(), r.seed(), ConstraintJson.of(r.constraint()), r.best().arch().toJsonRecord(),
                    r.best().arch().key(), Predicted.of(r.best()), r.evaluations(), r.distinctEvaluations(),
                    r.costEvaluations(), Math.round(r.wallMs() * 1000) / 1000.0, r.notes(), r.frontAxis().label(), f);
        }
    }

    /**
     * One candidate of the closed loop, predicted and measured.
     *
     * @param key arch key
     * @param round search round that proposed it (1-based)
     * @param proposedBy target whose search proposed it
     * @param predictor accuracy predictor used
     * @param predictedAccuracy predicted validation accuracy
     * @param predictedLatencyMs predicted latency by device
     * @param measuredValAccuracy measured validation accuracy
     * @param screenedOnValImages set when measured on the first images only
     * @param measuredLatencyMs measured latency by device
     * @param macs multiply-accumulates
     * @param outsideTableRange whether the prediction lies outside the accuracy table's range
     * @param delivered whether this candidate was delivered
     */
    public record CandidateRow(String key, int round, String proposedBy, String predictor, double predictedAccuracy,
            Map<String, Double> predictedLatencyMs, double measuredValAccuracy, Integer screenedOnValImages,
            Map<String, Double> measuredLatencyMs, long macs, boolean outsideTableRange, boolean delivered) {

        /**
         * @param outcome a closed loop's outcome
         * @return every candidate its searches proposed
         */
        public static List<CandidateRow> of(ClosedLoop.Outcome outcome) {
            List<CandidateRow> out = new ArrayList<>();
            for (ClosedLoop.MeasuredCandidate m : outcome.proposed()) {
                out.add(new CandidateRow(m.arch().key(), m.round(), m.proposedBy(), m.predictor(),
                        m.candidate().predictedAccuracy(), new LinkedHashMap<>(m.candidate().costs().latencyMs()),
                        m.measurement().valAccuracy(),
                        m.measurement().complete() ? null : m.measurement().screenImages(),
                        new LinkedHashMap<>(m.measurement().latencyMs()), m.candidate().costs().macs(),
                        m.outsideTableRange(), m.arch().key().equals(outcome.delivered().arch().key())));
            }
            return out;
        }
    }

    /**
     * How the closed loop searched for a target.
     *
     * @param strategy search strategy
     * @param rounds search rounds
     * @param evaluations predictor evaluations over all rounds
     * @param costEvaluations cost checks over all rounds
     * @param deliveredFromRound round of the delivered candidate
     * @param deliveredProposedBy target whose search proposed it
     * @param latencyCheckedBy {@code measurement} or {@code prediction}
     * @param latencyNote why latency was not measured, when it was not
     * @param notes notes of the searches and the loop
     */
    public record SearchSummary(String strategy, int rounds, long evaluations, long costEvaluations,
            int deliveredFromRound, String deliveredProposedBy, String latencyCheckedBy, String latencyNote,
            List<String> notes) {}

    /**
     * What was predicted for the delivered subnet.
     *
     * @param accuracy predicted validation accuracy
     * @param accuracyPredictor predictor kind
     * @param outsideTableRange whether the prediction lies outside the table's range
     * @param latencyMs predicted latency by device
     * @param accuracyBasis how {@code accuracy} was predicted ({@link ClosedLoop.Prediction#basis});
     *     absent in files of earlier versions (the search's prediction)
     * @param searchAccuracy the prediction the search ranked the subnet by (the same as {@code
     *     accuracy} when the basis is the search); absent in files of earlier versions
     */
    public record PredictedSlice(double accuracy, String accuracyPredictor, boolean outsideTableRange,
            Map<String, Double> latencyMs, String accuracyBasis, Double searchAccuracy) {}

    /**
     * What was measured for the delivered subnet.
     *
     * @param valAccuracy validation accuracy after BN recalibration
     * @param testAccuracy test accuracy of the exported model
     * @param latencyMs median latency at the profile's machine speed, absent when not measured
     * @param latencyTimingsMs the timings whose median it is
     * @param latencyDevice device profile of the meter
     * @param latencyEngine engine
     * @param latencyThreads intra-op threads
     * @param latencyBatch batch size
     * @param latencyWarmup warm-up runs
     * @param latencyRepeats timed runs
     * @param onnxMaxAbsDiff max |ONNX - subnet| of the logits, absent when not verified
     * @param latencyRawTimingsMs raw timings before normalisation
     * @param machineSlowdownVsProfile anchor slowdown at each raw timing
     * @param latencyNote how to read the latency figures
     * @param int8ValAccuracy validation accuracy of the INT8 model in ONNX Runtime; absent when no
     *     INT8 model was made (and in files of earlier versions)
     * @param int8TestAccuracy test accuracy of the INT8 model in ONNX Runtime; absent likewise
     * @param int8Calibration how its activation ranges were calibrated, e.g. {@code percentile
     *     99.99 on 500 images of train, seed 7}; absent likewise
     */
    public record MeasuredSlice(double valAccuracy, double testAccuracy, Double latencyMs,
            List<Double> latencyTimingsMs, String latencyDevice, String latencyEngine, Integer latencyThreads,
            Integer latencyBatch, Integer latencyWarmup, Integer latencyRepeats, Double onnxMaxAbsDiff,
            List<Double> latencyRawTimingsMs, List<Double> machineSlowdownVsProfile, String latencyNote,
            Double int8ValAccuracy, Double int8TestAccuracy, String int8Calibration) {}

    /**
     * The exported model file.
     *
     * @param file its name, next to the report
     * @param bytes its size
     * @param sha256 its SHA-256
     */
    public record OnnxFile(String file, long bytes, String sha256) {}

    /**
     * The report of a delivered slice, {@code slices/<target>.json}.
     *
     * @param formatVersion format version
     * @param target target name
     * @param constraint the target's constraint
     * @param arch the delivered subnet
     * @param key its key
     * @param search how it was found
     * @param predicted what was predicted
     * @param measured what was measured
     * @param candidates every candidate of the loop
     * @param macs multiply-accumulates
     * @param params parameters
     * @param peakActivationBytes peak activation memory
     * @param onnx the exported file
     * @param backend the supernet that was sliced
     * @param stepMs wall time of each step
     * @param int8Onnx the INT8 model file; absent when none was made (and in files of earlier versions)
     * @param precision the delivered precision, {@code fp32} or {@code int8}: with {@code int8} the
     *     slice is its INT8 model ({@code int8_onnx}), chosen by its measured validation accuracy
     *     ({@code measured.int8_val_accuracy}) and timed ({@code measured.latency_ms}) with an INT8
     *     device profile, and {@code predicted} is the INT8 prediction; absent in files of earlier
     *     versions (fp32)
     * @param int8OpenCvOnnx the same INT8 model in QOperator form, the one OpenCV DNN runs ({@code
     *     T.int8.opencv.onnx}); absent without an INT8 model and in files of earlier versions
     */
    public record Report(int formatVersion, String target, ConstraintJson constraint, ArchConfig.Json arch, String key,
            SearchSummary search, PredictedSlice predicted, MeasuredSlice measured, List<CandidateRow> candidates,
            long macs, long params, long peakActivationBytes, OnnxFile onnx, String backend,
            @SerializedName("step_ms") Map<String, Double> stepMs, @SerializedName("int8_onnx") OnnxFile int8Onnx,
            String precision, @SerializedName("int8_opencv_onnx") OnnxFile int8OpenCvOnnx) {

        /** Checks the version and the keys every report has. */
        public Report {
            JsonFiles.checkVersion("slice report", formatVersion, 1, REPORT_FORMAT_VERSION);
            JsonFiles.required(target, "target");
            JsonFiles.required(arch, "arch");
            JsonFiles.required(predicted, "predicted");
            JsonFiles.required(measured, "measured");
            candidates = candidates == null ? List.of() : List.copyOf(candidates);
        }

        /**
         * @param file a slice report
         * @return its content
         * @throws IOException naming the file when it is not a slice report this build reads
         */
        public static Report read(Path file) throws IOException {
            return JsonFiles.read(file, Report.class);
        }

        /**
         * Writes this report atomically.
         *
         * @param file the target
         * @throws IOException if writing fails
         */
        public void write(Path file) throws IOException {
            JsonFiles.write(file, this);
        }
    }
}
